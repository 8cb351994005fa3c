#include <powermanage/eventstore/subscription.hpp>

#include <powermanage/db/connection.hpp>

#include <algorithm>

#include "eventstore/rows.hpp"

namespace pm::eventstore {
namespace {

constexpr std::chrono::milliseconds kStopCheck{100};

}  // namespace

Subscription::Subscription(std::string url, Position after, Handler handler, SubscriptionOptions options)
    : url_(std::move(url)), handler_(std::move(handler)), options_(std::move(options)), position_(after) {
    thread_ = std::thread([this] { run(); });
}

Subscription::~Subscription() { stop(); }

void Subscription::stop() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

Position Subscription::position() const {
    std::lock_guard lock(mutex_);
    return position_;
}

std::string Subscription::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void Subscription::run() {
    auto backoff = std::chrono::milliseconds(100);
    auto sleep_unless_stopped = [&](std::chrono::milliseconds total) {
        for (auto slept = std::chrono::milliseconds(0); slept < total && !stopping_; slept += kStopCheck) {
            std::this_thread::sleep_for(std::min(kStopCheck, total - slept));
        }
    };
    bool connected_before = false;
    while (!stopping_) {
        try {
            db::Connection conn(url_);
            // LISTEN before reading, so a commit between the read and the wait still wakes us.
            conn.exec("LISTEN " + conn.quote_identifier(options_.channel));
            if (connected_before) {
                ++reconnects_;
            }
            connected_before = true;
            backoff = std::chrono::milliseconds(100);
            while (!stopping_) {
                const auto events = detail::read_all(conn, position(), options_.batch_size);
                for (const auto& e : events) {
                    if (stopping_) {
                        return;
                    }
                    try {
                        handler_(e);
                    } catch (const std::exception& ex) {
                        std::lock_guard lock(mutex_);
                        error_ = "handler failed at position " + e.position.to_string() + ": " + ex.what();
                        stopping_ = true;
                        return;
                    }
                    {
                        std::lock_guard lock(mutex_);
                        position_ = e.position;
                    }
                    ++delivered_;
                }
                if (events.size() == options_.batch_size) {
                    continue;  // more are waiting
                }
                // Caught up: wait for a hint, or re-read after the poll interval regardless,
                // since a hint can be lost and a late commit sends none of its own.
                const auto deadline = std::chrono::steady_clock::now() + options_.poll_interval;
                while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
                    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now());
                    if (conn.wait_notification(std::clamp(left, std::chrono::milliseconds(1), kStopCheck))) {
                        while (conn.next_notification()) {
                        }
                        break;
                    }
                }
            }
        } catch (const db::DatabaseError&) {
            sleep_unless_stopped(backoff);
            backoff = std::min(backoff * 2, options_.max_reconnect_delay);
        }
    }
}

}  // namespace pm::eventstore
