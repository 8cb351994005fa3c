#include <algorithm>

#include <powermanage/db/connection.hpp>
#include <powermanage/eventstore/subscription.hpp>

#include "eventstore/rows.hpp"

namespace pm::eventstore {
namespace {

constexpr std::chrono::milliseconds kStopCheck{100};
// How soon to re-read when events are known to exist but are not final yet (an older
// transaction somewhere in the cluster is still open). The delay doubles up to the poll
// interval, since the announced position is a hint too (its event may sort before the
// cursor) and polling must not become a busy loop.
constexpr std::chrono::milliseconds kRetryUnfinal{20};

std::int64_t parse_position(const std::string& payload) {
    try {
        return std::stoll(payload);
    } catch (const std::exception&) {
        return 0;  // a hint from something else on the channel: just re-read
    }
}

}  // namespace

Subscription::Subscription(std::string url, Position after, Handler handler,
                           SubscriptionOptions options)
    : url_(std::move(url)),
      handler_(std::move(handler)),
      options_(std::move(options)),
      position_(after) {
    thread_ = std::thread([this] { run(); });
}

Subscription::~Subscription() {
    stop();
}

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
        for (auto slept = std::chrono::milliseconds(0); slept < total && !stopping_;
             slept += kStopCheck) {
            std::this_thread::sleep_for(std::min(kStopCheck, total - slept));
        }
    };
    bool connected_before = false;
    while (!stopping_) {
        try {
            db::Connection conn(url_);
            // Named, so operators can tell it apart in pg_stat_activity.
            conn.exec("SET application_name = 'pm_subscription'");
            // LISTEN before reading, so a commit between the read and the wait still wakes us.
            conn.exec("LISTEN " + conn.quote_identifier(options_.channel));
            if (connected_before) {
                ++reconnects_;
            }
            connected_before = true;
            backoff = std::chrono::milliseconds(100);
            // The newest position known to exist: from the table now, then from each hint.
            // While nothing at or past it has been delivered, re-read soon instead of
            // sleeping through the poll interval.
            std::int64_t announced =
                conn.exec("SELECT coalesce(max(position), 0) FROM events").int64(0, 0);
            std::int64_t delivered_max = position().position;
            auto retry_delay = kRetryUnfinal;
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
                        error_ = "handler failed at position " + e.position.to_string() + ": " +
                                 ex.what();
                        stopping_ = true;
                        return;
                    }
                    {
                        std::lock_guard lock(mutex_);
                        position_ = e.position;
                    }
                    delivered_max = std::max(delivered_max, e.position.position);
                    ++delivered_;
                }
                if (events.size() == options_.batch_size) {
                    continue;  // more are waiting
                }
                // Caught up: wait for a hint, or re-read after the poll interval regardless,
                // since a hint can be lost and a late commit sends none of its own.
                const bool unfinal = announced > delivered_max;
                const auto wait = unfinal ? std::min(retry_delay, options_.poll_interval)
                                          : options_.poll_interval;
                retry_delay = unfinal ? retry_delay * 2 : kRetryUnfinal;
                const auto deadline = std::chrono::steady_clock::now() + wait;
                while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
                    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now());
                    if (auto hint = conn.wait_notification(
                            std::clamp(left, std::chrono::milliseconds(1), kStopCheck))) {
                        do {
                            announced = std::max(announced, parse_position(hint->payload));
                        } while ((hint = conn.next_notification()));
                        retry_delay = kRetryUnfinal;
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
