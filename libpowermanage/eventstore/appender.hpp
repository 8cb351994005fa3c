#pragma once

// The group-commit appender behind EventStore::append: callers queue requests on the lane of
// their stream, each lane's writer thread takes whatever has queued there and appends it in one
// transaction through pm_append_batch().

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
    // One writer's queue. A stream always maps to the same lane, so two writers never hold
    // or wait for the same stream's lock.
    struct Lane {
        std::deque<std::unique_ptr<Request>> queue;
        std::condition_variable queued;
        std::size_t last_callers = 0;  // callers in the writer's previous batch
    };

    void writer_loop(Lane& lane);
    Batch take_batch(Lane& lane);
    void run(std::unique_ptr<db::Connection>& conn, Batch& batch);
    void append_batch(db::Connection& conn, Batch& batch);
    void fail(Request& request, const db::DatabaseError& error);

    std::string url_;
    const Clock& clock_;
    AppenderOptions options_;
    UlidGenerator ids_;

    std::mutex mutex_;
    std::vector<std::unique_ptr<Lane>> lanes_;
    bool stopping_ = false;
    std::vector<std::thread> writers_;

    std::atomic<std::uint64_t> appends_{0};
    std::atomic<std::uint64_t> events_{0};
    std::atomic<std::uint64_t> transactions_{0};
    std::atomic<std::uint64_t> conflicts_{0};
    std::atomic<std::uint64_t> isolated_retries_{0};
};

}  // namespace pm::eventstore
