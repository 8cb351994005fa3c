#pragma once

/// @file
/// @brief A subscription whose position lives in the integrator's own table and is written in
/// the same transaction as the integrator's update: a kill at any point neither loses an event
/// nor counts one twice.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/checkpoint_table.hpp>
#include <powermanage/eventstore/types.hpp>

namespace pm::eventstore {

/// How a checkpointed subscription reads, retries and waits.
struct CheckpointedSubscriptionOptions {
    /// This follower's key in the checkpoint table (one row per subscriber).
    std::string subscriber;
    /// The integrator's checkpoint table.
    CheckpointTable checkpoint;
    /// Create the checkpoint table (and schema) if missing; off when the integrator's own
    /// migrations create it.
    bool create_table = true;
    /// Most events handed to the handler in one transaction.
    std::size_t batch_size = 500;
    /// Re-read this often when no NOTIFY arrives.
    std::chrono::milliseconds poll_interval{1000};
    /// Backoff cap while the database is unreachable.
    std::chrono::milliseconds max_reconnect_delay{5000};
    /// The hint channel to LISTEN on (AppenderOptions::notify_channel).
    std::string channel = "pm_events";
    /// Who the batch transactions act for (row-level security on our projections).
    db::Actor actor = db::Actor::system("checkpointed_subscription");
    /// Tries of one batch before giving up on a handler that throws; 1 stops at once.
    int handler_attempts = 1;
    /// Wait between two tries of a batch whose handler threw.
    std::chrono::milliseconds handler_retry_delay{1000};
    /// Longest catch_up() waits for the transactions open anywhere in the cluster when it
    /// started to end, so that events they commit are included; past it, it returns what it
    /// has handled (the rest waits for the next run).
    std::chrono::milliseconds catch_up_wait{60000};
    /// application_name of the connection, for pg_stat_activity.
    std::string application_name = "pm_checkpointed_subscription";
};

/// The handler threw (handler_attempts times in a row) for the batch after position(): the
/// batch's transaction was rolled back each time, so neither its updates nor the checkpoint
/// moved.
class CheckpointedHandlerError : public std::runtime_error {
public:
    /// `message` says which events and why; `checkpoint` is where the table still stands.
    CheckpointedHandlerError(const std::string& message, Position checkpoint)
        : std::runtime_error(message), checkpoint_(checkpoint) {}
    /// The checkpoint, unchanged by the failed batch.
    Position checkpoint() const { return checkpoint_; }

private:
    Position checkpoint_;
};

/// Follows the event store in global order from the position stored in the integrator's
/// checkpoint table. Each batch runs in ONE transaction: the checkpoint row is locked (so a
/// second follower with the same subscriber waits instead of double counting), the events
/// after it are read, the handler updates the integrator's tables through the transaction it
/// is given, the new position is stored, and all of it commits together.
///
/// Failures: a lost or unreachable database is retried with backoff (available() turns false
/// and last_database_error() says why) and the batch is redone from the stored checkpoint; a
/// handler that throws rolls back its batch and is retried up to handler_attempts times, then
/// the subscription stops and error() says why. Keep handler transactions short: while one is
/// open, every commit younger than it waits for it before any reader of the event store sees
/// it (EventStore::read_all).
class CheckpointedSubscription {
public:
    /// Receives a non-empty batch, in global order, and the open transaction to update its
    /// tables in. It must not commit or roll back the transaction; to refuse the batch, throw.
    /// Runs on the subscription's thread.
    using Handler = std::function<void(db::Transaction&, std::span<const RecordedEvent>)>;

    /// Starts following the database at `url` on a thread of its own.
    /// Throws std::invalid_argument for an empty subscriber or table name, or batch_size 0.
    CheckpointedSubscription(std::string url, Handler handler,
                             CheckpointedSubscriptionOptions options);
    /// Stops (see stop()).
    ~CheckpointedSubscription();
    CheckpointedSubscription(const CheckpointedSubscription&) = delete;
    CheckpointedSubscription& operator=(const CheckpointedSubscription&) = delete;

    /// Stops and waits for the thread: a batch in the handler finishes and commits first; no
    /// handler call is running or will run afterwards.
    void stop();
    /// Whether it still follows (false after stop() or a handler failure).
    bool running() const { return !finished_.load(); }
    /// The last position committed to the checkpoint table by this object, or the one loaded.
    Position position() const;
    /// Events whose batch committed, since construction.
    std::uint64_t delivered() const { return delivered_.load(); }
    /// Batches committed since construction.
    std::uint64_t batches() const { return batches_.load(); }
    /// Times the connection was lost and re-established.
    std::uint64_t reconnects() const { return reconnects_.load(); }
    /// False while the database cannot be reached (the subscription keeps retrying).
    bool available() const { return available_.load(); }
    /// Why the database was last unreachable or refused a statement; empty if never.
    std::string last_database_error() const;
    /// Why the subscription stopped on its own (the handler's failure), or empty.
    std::string error() const;

    /// Processes, batch by batch as above, on the calling thread, every event committed before
    /// the call (and whatever else is final by then), and returns how many it handled (0 when
    /// already caught up). For a process that catches up and exits. Events are final only once
    /// every older transaction of the cluster has ended (EventStore::read_all), so it may wait
    /// for those, up to catch_up_wait. Throws db::DatabaseError when the database is unavailable
    /// (is_connection_failure(): map it to `unavailable`), CheckpointedHandlerError when the
    /// handler failed handler_attempts times; what committed before stays committed.
    static std::uint64_t catch_up(const std::string& url, const Handler& handler,
                                  const CheckpointedSubscriptionOptions& options);

private:
    void run();
    void record_database_error(const std::string& message);

    std::string url_;
    Handler handler_;
    CheckpointedSubscriptionOptions options_;
    mutable std::mutex mutex_;
    Position position_;
    std::string error_;
    std::string database_error_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> finished_{false};
    std::atomic<bool> available_{true};
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> batches_{0};
    std::atomic<std::uint64_t> reconnects_{0};
    std::thread thread_;
};

}  // namespace pm::eventstore
