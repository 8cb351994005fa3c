#include <algorithm>

#include <fmt/format.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/eventstore/checkpointed_subscription.hpp>

#include "eventstore/rows.hpp"

namespace pm::eventstore {
namespace {

using Options = CheckpointedSubscriptionOptions;
using Handler = CheckpointedSubscription::Handler;

constexpr std::chrono::milliseconds kStopCheck{100};
// See subscription.cpp: how soon to re-read when newer events exist but are not final yet.
constexpr std::chrono::milliseconds kRetryUnfinal{20};

// The handler refused a batch; carries the message out of one_batch() so that the callers can
// tell it from the database failing under us.
class HandlerFailed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

void validate(const Options& options) {
    if (options.subscriber.empty()) {
        throw std::invalid_argument(
            "a checkpointed subscription needs a subscriber name (its row in the checkpoint "
            "table)");
    }
    if (options.checkpoint.name.empty() || options.checkpoint.schema.empty()) {
        throw std::invalid_argument(
            "a checkpointed subscription needs its checkpoint table's schema and name");
    }
    if (options.batch_size == 0) {
        throw std::invalid_argument("a checkpointed subscription needs batch_size of at least 1");
    }
}

// Names the connection, creates the table if asked, and returns the stored position.
Position prepare(db::Connection& conn, const Options& options) {
    conn.exec("SET application_name = " + conn.quote_literal(options.application_name));
    if (options.create_table) {
        ensure_checkpoint_table(conn, options.checkpoint);
    }
    return load_checkpoint(conn, options.checkpoint, options.subscriber);
}

// One batch in one transaction; returns how many events it committed (0: nothing final
// after the checkpoint) and leaves `position` at the checkpoint now stored.
std::size_t one_batch(db::Connection& conn, const Options& options, const Handler& handler,
                      Position& position) {
    db::Transaction tx(conn, options.actor);
    // Locks the row (creating it on first use), so a second process with the same subscriber
    // waits here and then reads after what this one committed, instead of counting it again.
    // The stored position, not the one in memory, is where the batch starts.
    const auto row =
        tx.exec("INSERT INTO " + options.checkpoint.qualified(conn) +
                    " AS c (subscriber, transaction_id, position) VALUES ($1, 0, 0)"
                    " ON CONFLICT (subscriber) DO UPDATE"
                    " SET subscriber = c.subscriber RETURNING c.transaction_id, c.position",
                {options.subscriber});
    position = {static_cast<std::uint64_t>(row.int64(0, 0)), row.int64(0, 1)};
    const auto events = detail::read_all(conn, position, options.batch_size);
    if (events.empty()) {
        return 0;  // rolled back: nothing written
    }
    try {
        handler(tx, events);
    } catch (const db::DatabaseError& e) {
        if (e.is_connection_failure() || !conn.is_open()) {
            throw;  // the database went away, not the handler's doing: redo after reconnecting
        }
        throw HandlerFailed(e.what());
    } catch (const std::exception& e) {
        throw HandlerFailed(e.what());
    }
    save_checkpoint(tx, options.checkpoint, options.subscriber, events.back().position);
    tx.commit();
    position = events.back().position;
    return events.size();
}

std::string handler_message(const Options& options, Position checkpoint, int attempts,
                            const std::string& why) {
    return fmt::format(
        "the handler of subscriber {} failed {} time(s) on the batch after position {}: {}; the "
        "batch was rolled back each time, so its updates and the checkpoint stay at {}; fix the "
        "cause and start the subscription again",
        options.subscriber, attempts, checkpoint.to_string(), why, checkpoint.to_string());
}

db::DatabaseError unavailable(const db::DatabaseError& e) {
    return db::DatabaseError(
        fmt::format("the event store database is unavailable ({}); nothing is lost: the "
                    "checkpoint stays at the last committed batch, run again once the database "
                    "is back",
                    e.what()),
        e.sqlstate(), e.constraint());
}

}  // namespace

CheckpointedSubscription::CheckpointedSubscription(std::string url, Handler handler,
                                                   CheckpointedSubscriptionOptions options)
    : url_(std::move(url)), handler_(std::move(handler)), options_(std::move(options)) {
    validate(options_);
    thread_ = std::thread([this] { run(); });
}

CheckpointedSubscription::~CheckpointedSubscription() {
    stop();
}

void CheckpointedSubscription::stop() {
    stopping_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

Position CheckpointedSubscription::position() const {
    std::lock_guard lock(mutex_);
    return position_;
}

std::string CheckpointedSubscription::last_database_error() const {
    std::lock_guard lock(mutex_);
    return database_error_;
}

std::string CheckpointedSubscription::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void CheckpointedSubscription::record_database_error(const std::string& message) {
    std::lock_guard lock(mutex_);
    database_error_ = message;
}

void CheckpointedSubscription::run() {
    struct Finish {
        std::atomic<bool>& flag;
        ~Finish() { flag = true; }
    } finish{finished_};
    auto sleep_unless_stopped = [&](std::chrono::milliseconds total) {
        for (auto slept = std::chrono::milliseconds(0); slept < total && !stopping_;
             slept += kStopCheck) {
            std::this_thread::sleep_for(std::min(kStopCheck, total - slept));
        }
    };
    auto backoff = std::chrono::milliseconds(100);
    bool connected_before = false;
    int failures = 0;  // consecutive handler failures on the current batch
    while (!stopping_) {
        try {
            db::Connection conn(url_);
            // LISTEN before the first read, so a commit between a read and the wait still
            // wakes us.
            conn.exec("LISTEN " + conn.quote_identifier(options_.channel));
            Position position = prepare(conn, options_);
            {
                std::lock_guard lock(mutex_);
                position_ = position;
            }
            if (connected_before) {
                ++reconnects_;
            }
            connected_before = true;
            available_ = true;
            backoff = std::chrono::milliseconds(100);
            std::int64_t announced =
                conn.exec("SELECT coalesce(max(position), 0) FROM events").int64(0, 0);
            auto retry_delay = kRetryUnfinal;
            while (!stopping_) {
                std::size_t n = 0;
                try {
                    n = one_batch(conn, options_, handler_, position);
                } catch (const HandlerFailed& e) {
                    if (++failures >= options_.handler_attempts) {
                        std::lock_guard lock(mutex_);
                        error_ = handler_message(options_, position, failures, e.what());
                        return;
                    }
                    sleep_unless_stopped(options_.handler_retry_delay);
                    continue;
                }
                failures = 0;
                {
                    std::lock_guard lock(mutex_);
                    position_ = position;
                }
                if (n > 0) {
                    delivered_ += n;
                    ++batches_;
                }
                if (n == options_.batch_size) {
                    continue;  // more are waiting
                }
                // Caught up: wait for a hint or the poll interval; re-read soon while newer
                // events are known to exist but are not final yet.
                const bool unfinal = announced > position.position;
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
                            try {
                                announced =
                                    std::max<std::int64_t>(announced, std::stoll(hint->payload));
                            } catch (const std::exception&) {
                                // Something else on the channel: just re-read.
                            }
                        } while ((hint = conn.next_notification()));
                        retry_delay = kRetryUnfinal;
                        break;
                    }
                }
            }
        } catch (const db::DatabaseError& e) {
            // Connection failures are an outage; anything else (a dropped checkpoint table, a
            // missing privilege) is reported the same way and retried, since it needs an
            // operator and must not take the integrator's process down.
            if (e.is_connection_failure()) {
                available_ = false;
            }
            record_database_error(e.what());
            sleep_unless_stopped(backoff);
            backoff = std::min(backoff * 2, options_.max_reconnect_delay);
        }
    }
}

std::uint64_t CheckpointedSubscription::catch_up(const std::string& url, const Handler& handler,
                                                 const CheckpointedSubscriptionOptions& options) {
    validate(options);
    try {
        db::Connection conn(url);
        Position position = prepare(conn, options);
        // Every transaction that may have appended before this call has an id below the
        // horizon; once none of them runs, everything they committed is final and readable.
        const std::string horizon(
            conn.exec("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").text(0, 0));
        const auto deadline = std::chrono::steady_clock::now() + options.catch_up_wait;
        auto delay = std::chrono::milliseconds(10);
        std::uint64_t total = 0;
        int failures = 0;
        for (;;) {
            const bool settled =
                conn.exec("SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8", {horizon})
                    .boolean(0, 0);
            std::size_t n = 0;
            try {
                n = one_batch(conn, options, handler, position);
            } catch (const HandlerFailed& e) {
                if (++failures >= options.handler_attempts) {
                    throw CheckpointedHandlerError(
                        handler_message(options, position, failures, e.what()), position);
                }
                std::this_thread::sleep_for(options.handler_retry_delay);
                continue;
            }
            failures = 0;
            total += n;
            if (n == options.batch_size) {
                continue;
            }
            if (settled || std::chrono::steady_clock::now() >= deadline) {
                return total;
            }
            std::this_thread::sleep_for(delay);
            delay = std::min(delay * 2, std::chrono::milliseconds(200));
        }
    } catch (const db::DatabaseError& e) {
        if (e.is_connection_failure()) {
            throw unavailable(e);
        }
        throw;
    }
}

}  // namespace pm::eventstore
