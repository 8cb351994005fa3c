#pragma once

/// @file
/// @brief The event store: append with an expected version (batched into group commits),
/// read a stream, read everything in commit-safe order, subscribe, and travel in time.

#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <span>
#include <vector>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/subscription.hpp>
#include <powermanage/eventstore/types.hpp>

namespace pm::eventstore {

/// How the group-commit appender batches.
struct AppenderOptions {
    /// Most events in one transaction.
    std::size_t max_batch_events = 1000;
    /// How long a writer waits for the batch to fill up to max_batch_events once it has some
    /// callers. Zero (the default) lets `linger` decide instead.
    std::chrono::microseconds max_wait{0};
    /// When max_wait is zero and the writer's previous batch had several callers: how long it
    /// may wait for as many callers to have queued again (each appends anew as soon as its
    /// result arrives). A batch is mostly CPU (inserting and projecting its events); without
    /// the wait, a writer that has just committed takes the few callers already back, and
    /// the rest form a second, small transaction that pays the commit again. A lone caller
    /// never waits. Zero takes whatever has queued.
    std::chrono::microseconds linger{300};
    /// Writer threads, each with its own connection, and as many queues (lanes). Each stream
    /// belongs to one lane (by hash) and a lane is in at most one transaction at a time, so
    /// a stream's appends keep their order and writers never wait for each other's stream
    /// locks. A writer takes the queued appends of every idle lane into one transaction,
    /// except that it leaves further lanes to another writer once it holds
    /// `parallel_batch_events`; see there for when a second transaction runs beside it.
    /// One by default: on 2 cores, many callers appending a few events each (agents'
    /// results, dispatches) ran 10–20 % faster with one writer than with the two-writer
    /// policy (docs/benchmarks.md, 2026-12-08 02:08); bulk appenders that append large
    /// batches from a few callers set 2 (1.6× at 4 callers of 100 events).
    std::size_t writers = 1;
    /// With several writers: a second transaction starts beside one in flight only when the
    /// idle lanes hold at least this many events. Many callers appending a few events each
    /// (agents' results, dispatches) then share one large transaction at a time, which on 2
    /// cores gave 3.5–4.2× the throughput of plain one-event transactions at 16 callers where
    /// two transactions at once gave 2.2×; a few callers appending large batches, whose
    /// projection is CPU-bound, get a backend each (1.7–2× at 4 callers of 100 events); see
    /// docs/benchmarks.md. The default lies above what one-event callers queue while a
    /// transaction runs (64 callers queue at most 64) and below a writer's half of 4 callers'
    /// 100 events. 1 runs every lane that has work at once.
    std::size_t parallel_batch_events = 100;
    /// Channel of the post-commit wake-up hint; its payload is the last position appended.
    std::string notify_channel = "pm_events";
};

/// Counters of the appender, for metrics and benchmarks.
struct AppenderStats {
    std::uint64_t appends = 0;           ///< append calls completed (success or failure)
    std::uint64_t events = 0;            ///< events written
    std::uint64_t transactions = 0;      ///< batch transactions committed
    std::uint64_t conflicts = 0;         ///< appends refused with VersionConflict
    std::uint64_t isolated_retries = 0;  ///< batches re-run caller by caller after an error
};

/// A batch of events read in global order, and where to continue.
struct ReadAllResult {
    std::vector<RecordedEvent> events;  ///< at most the limit asked for
    Position next;                      ///< pass to the next read_all (== after if none)
};

/// The event store on one PostgreSQL database (migrated with db::migrate). Thread-safe.
class EventStore {
public:
    /// Uses `pool` for reads and opens one connection per writer thread for appends.
    explicit EventStore(db::ConnectionPool& pool, const Clock& clock = Clock::system(),
                        AppenderOptions options = {});
    /// Finishes the queued appends, then stops the writers.
    ~EventStore();
    EventStore(const EventStore&) = delete;
    EventStore& operator=(const EventStore&) = delete;

    /// Appends `events` to `stream` if it is at `expected`, acting as `actor`; the
    /// projections are updated in the same transaction. Concurrent calls share transactions
    /// (group commit) without sharing failures. Blocks until committed. Throws
    /// VersionConflict, AlreadyExists, std::invalid_argument (no events, or an event typed for
    /// another stream) or db::DatabaseError (naming the event a projector refused).
    AppendResult append(const StreamId& stream, ExpectedVersion expected,
                        std::vector<NewEvent> events, const db::Actor& actor);

    /// append() without waiting: the future holds the result or the exception.
    std::future<AppendResult> append_async(const StreamId& stream, ExpectedVersion expected,
                                           std::vector<NewEvent> events, const db::Actor& actor);

    /// Appends to one or more streams inside the caller's transaction `tx`, which must not have
    /// written anything yet: what the caller read and checked in `tx` and the events commit
    /// together or not at all (one transaction where append() needs a read, an append and a
    /// read back). The projections are updated when it returns and `tx` acts for `tx_actor`
    /// again, so reads that follow see the result through the caller's row-level security.
    /// The events are recorded as done by `actor`. Throws VersionConflict for the first stream
    /// not at its expected version, AlreadyExists, std::invalid_argument or db::DatabaseError;
    /// after any of them `tx` must be rolled back. Sends no hint: call notify_appended() with
    /// the last position once `tx` has committed.
    std::vector<AppendResult> append_in(db::Transaction& tx, std::span<const StreamAppend> appends,
                                        const db::Actor& actor, const db::Actor& tx_actor);

    /// Sends the subscribers' wake-up hint for events up to `last_position` (after the commit
    /// of an append_in). Only a hint: failures are ignored, subscribers also poll.
    void notify_appended(std::int64_t last_position);

    /// The events of one stream from `from_version` on, in version order.
    std::vector<RecordedEvent> read_stream(const StreamId& stream, std::int32_t from_version = 1);

    /// The stream's current version; 0 if it has no events.
    std::int32_t stream_version(const StreamId& stream);

    /// Up to `limit` events after `after`, in (transaction, position) order, and only from
    /// transactions older than every transaction still running: an event whose transaction
    /// commits late is delivered late but never skipped. Any transaction running anywhere in
    /// the cluster (a long report, autovacuum's ANALYZE) holds back younger commits until it
    /// ends, so an empty result means "nothing final yet", not "nothing more".
    ReadAllResult read_all(Position after, std::size_t limit);

    /// The stream folded up to `at`: its projection rows as they were then, computed by the
    /// same projector functions as the live path, in a transaction that is rolled back.
    /// Returns {"<table>": [rows...]}; empty arrays if the stream did not exist then.
    boost::json::object state_at(const StreamId& stream, Clock::TimePoint at);

    /// Calls `handler` with every event after `after`, first catching up, then live: woken by
    /// the post-commit NOTIFY and, in case one is lost, by a timer and on reconnect.
    std::unique_ptr<Subscription> subscribe(Position after, Subscription::Handler handler,
                                            SubscriptionOptions options = {});

    /// The appender's counters so far.
    AppenderStats stats() const;

private:
    class Appender;

    db::ConnectionPool& pool_;
    const Clock& clock_;
    std::string notify_channel_;
    UlidGenerator event_ids_;
    std::unique_ptr<Appender> appender_;
};

}  // namespace pm::eventstore
