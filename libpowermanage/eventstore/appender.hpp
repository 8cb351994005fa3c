#pragma once

// The group-commit appender behind EventStore::append: callers queue requests on the lane of
// their stream; a writer thread takes whatever has queued on the idle lanes and appends it in
// one transaction through pm_append_batch(). A second writer runs beside it only for large
// batches (AppenderOptions::parallel_batch_events).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/eventstore/event_store.hpp>

namespace pm::eventstore {

class EventStore::Appender {
public:
    Appender(std::string url, const Clock& clock, AppenderOptions options);
    ~Appender();

    std::future<AppendResult> submit(StreamId stream, ExpectedVersion expected,
                                     std::vector<NewEvent> events, db::Actor actor);
    AppenderStats stats() const;

private:
    struct Request {
        StreamId stream;
        ExpectedVersion expected;
        std::vector<NewEvent> events;
        db::Actor actor;
        std::promise<AppendResult> promise;
    };
    using Batch = std::vector<std::unique_ptr<Request>>;
    // One queue. A stream always maps to the same lane, and a lane is in at most one
    // transaction at a time, so a stream's appends commit in the order they were queued.
    struct Lane {
        std::deque<std::unique_ptr<Request>> queue;
        std::size_t queued_events = 0;
        bool busy = false;  // held by a writer, from taking its requests to their commit
    };
    struct Writer {
        std::size_t index = 0;
        std::vector<Lane*> held;
        std::size_t last_callers = 0;  // callers in this writer's previous batch
        bool active = false;           // counted in in_flight_
    };

    void writer_loop(Writer& writer);
    Batch take_batch(Writer& writer);
    void take(Writer& writer, Batch& batch, std::size_t& events);
    void release(Writer& writer);
    // Events queued on lanes no writer holds; under mutex_.
    std::size_t idle_events() const;
    std::size_t idle_callers() const;
    bool may_start() const;
    void run(std::unique_ptr<db::Connection>& conn, Batch& batch);
    void append_batch(db::Connection& conn, Batch& batch);
    void fail(Request& request, const db::DatabaseError& error);

    std::string url_;
    const Clock& clock_;
    AppenderOptions options_;
    UlidGenerator ids_;

    std::mutex mutex_;
    // Wakes writers: work queued, a lane released, or stopping.
    std::condition_variable work_;
    std::vector<std::unique_ptr<Lane>> lanes_;
    std::vector<std::unique_ptr<Writer>> writer_states_;
    std::size_t in_flight_ = 0;  // writers lingering or holding lanes
    std::size_t lingering_ = 0;  // writers waiting for callers to come back
    bool stopping_ = false;
    std::vector<std::thread> writers_;

    std::atomic<std::uint64_t> appends_{0};
    std::atomic<std::uint64_t> events_{0};
    std::atomic<std::uint64_t> transactions_{0};
    std::atomic<std::uint64_t> conflicts_{0};
    std::atomic<std::uint64_t> isolated_retries_{0};
};

}  // namespace pm::eventstore
