#include "eventstore/appender.hpp"

#include <functional>
#include <string>

#include <fmt/format.h>

#include <powermanage/common/time.hpp>

#include "eventstore/batch_call.hpp"

namespace pm::eventstore {
namespace {

constexpr int kDeadlockRetries = 3;

std::size_t lane_of(const StreamId& stream) {
    return std::hash<std::string>{}(stream.type) * 31 + std::hash<std::string>{}(stream.id);
}

}  // namespace

EventStore::Appender::Appender(std::string url, const Clock& clock, AppenderOptions options)
    : url_(std::move(url)), clock_(clock), options_(std::move(options)), ids_(clock) {
    if (options_.writers == 0) {
        options_.writers = 1;
    }
    if (options_.max_batch_events == 0) {
        options_.max_batch_events = 1;
    }
    if (options_.parallel_batch_events == 0) {
        options_.parallel_batch_events = 1;
    }
    for (std::size_t i = 0; i < options_.writers; ++i) {
        lanes_.push_back(std::make_unique<Lane>());
        writer_states_.push_back(std::make_unique<Writer>());
        writer_states_.back()->index = i;
    }
    for (auto& w : writer_states_) {
        writers_.emplace_back([this, &w = *w] { writer_loop(w); });
    }
}

EventStore::Appender::~Appender() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_.notify_all();
    for (auto& w : writers_) {
        w.join();
    }
}

std::future<AppendResult> EventStore::Appender::submit(StreamId stream, ExpectedVersion expected,
                                                       std::vector<NewEvent> events,
                                                       db::Actor actor) {
    auto request = std::make_unique<Request>(
        Request{std::move(stream), expected, std::move(events), std::move(actor), {}});
    auto future = request->promise.get_future();
    Lane& lane = *lanes_[lanes_.size() == 1 ? 0 : lane_of(request->stream) % lanes_.size()];
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            throw std::logic_error("append after the event store began shutting down");
        }
        lane.queued_events += request->events.size();
        lane.queue.push_back(std::move(request));
        // Wake only a writer that could act: an idle one when nothing is in flight or the idle
        // lanes justify a second transaction, or one lingering for its callers. Waking the
        // idle writer on every append while another is in flight costs CPU for nothing.
        wake = in_flight_ == 0 || lingering_ > 0 || may_start();
    }
    if (wake) {
        work_.notify_all();
    }
    return future;
}

AppenderStats EventStore::Appender::stats() const {
    return {appends_.load(), events_.load(), transactions_.load(), conflicts_.load(),
            isolated_retries_.load()};
}

std::size_t EventStore::Appender::idle_events() const {
    std::size_t events = 0;
    for (const auto& lane : lanes_) {
        if (!lane->busy) {
            events += lane->queued_events;
        }
    }
    return events;
}

std::size_t EventStore::Appender::idle_callers() const {
    std::size_t callers = 0;
    for (const auto& lane : lanes_) {
        if (!lane->busy) {
            callers += lane->queue.size();
        }
    }
    return callers;
}

bool EventStore::Appender::may_start() const {
    const auto events = idle_events();
    // Beside a transaction in flight, only a batch large enough to be CPU-bound: a small one
    // would split the callers that the next transaction would otherwise carry together.
    return events > 0 && (in_flight_ == 0 || events >= options_.parallel_batch_events);
}

void EventStore::Appender::take(Writer& writer, Batch& batch, std::size_t& events) {
    auto take_from = [&](Lane& lane) {
        while (!lane.queue.empty() &&
               (batch.empty() ||
                events + lane.queue.front()->events.size() <= options_.max_batch_events)) {
            const auto n = lane.queue.front()->events.size();
            events += n;
            lane.queued_events -= n;
            batch.push_back(std::move(lane.queue.front()));
            lane.queue.pop_front();
        }
    };
    // Lanes from this writer's own first, so that two writers rarely reach for the same one,
    // until the batch is large enough that the rest may go to another writer.
    for (std::size_t k = 0; k < lanes_.size() && events < options_.max_batch_events &&
                            events < options_.parallel_batch_events;
         ++k) {
        Lane& lane = *lanes_[(writer.index + k) % lanes_.size()];
        if (lane.busy || lane.queue.empty()) {
            continue;
        }
        lane.busy = true;
        writer.held.push_back(&lane);
        take_from(lane);
    }
}

void EventStore::Appender::release(Writer& writer) {
    {
        std::lock_guard lock(mutex_);
        for (Lane* lane : writer.held) {
            lane->busy = false;
        }
        writer.held.clear();
        if (writer.active) {
            writer.active = false;
            --in_flight_;
        }
    }
    work_.notify_all();
}

EventStore::Appender::Batch EventStore::Appender::take_batch(Writer& writer) {
    std::unique_lock lock(mutex_);
    Batch batch;
    std::size_t events = 0;
    while (batch.empty()) {
        work_.wait(lock, [&] { return stopping_ || may_start(); });
        // Counted from here, so that while this writer lingers a second one starts only for a
        // large batch.
        if (!writer.active) {
            writer.active = true;
            ++in_flight_;
        }
        auto full = [&] { return idle_events() >= options_.max_batch_events; };
        if (!stopping_ && !full()) {
            if (options_.max_wait.count() > 0) {
                // Linger briefly so callers arriving together share one commit.
                ++lingering_;
                work_.wait_for(lock, options_.max_wait, [&] { return stopping_ || full(); });
                --lingering_;
            } else if (options_.linger.count() > 0 && writer.last_callers > 1 &&
                       idle_callers() < writer.last_callers) {
                // The previous batch's callers are on their way back; wait for them rather
                // than commit a fraction of them now and the rest just after.
                ++lingering_;
                work_.wait_for(lock, options_.linger, [&] {
                    return stopping_ || full() || idle_callers() >= writer.last_callers;
                });
                --lingering_;
            }
        }
        // Lanes are chosen after the linger: what queued meanwhile decides whether the work is
        // large enough to share with another writer.
        take(writer, batch, events);
        if (batch.empty()) {
            // Another writer took it all meanwhile, or stopping with nothing left for this one.
            writer.active = false;
            --in_flight_;
            if (stopping_) {
                break;
            }
        }
    }
    writer.last_callers = batch.size();
    return batch;
}

void EventStore::Appender::writer_loop(Writer& writer) {
    std::unique_ptr<db::Connection> conn;
    for (;;) {
        auto batch = take_batch(writer);
        if (batch.empty()) {
            return;  // stopping, and nothing left that this writer may take
        }
        run(conn, batch);
        release(writer);
    }
}

void EventStore::Appender::fail(Request& request, const db::DatabaseError& error) {
    ++appends_;
    if (error.is_unique_violation()) {
        request.promise.set_exception(
            std::make_exception_ptr(AlreadyExists(error.what(), error.constraint())));
    } else {
        request.promise.set_exception(std::make_exception_ptr(error));
    }
}

void EventStore::Appender::run(std::unique_ptr<db::Connection>& conn, Batch& batch) {
    for (int attempt = 0;; ++attempt) {
        try {
            // is_alive(): a writer idle across a server restart must not spend a batch finding
            // out (that failure would be ambiguous to its callers; this one is not).
            if (!conn || !conn->is_alive()) {
                conn = std::make_unique<db::Connection>(url_);
            }
            append_batch(*conn, batch);
            return;
        } catch (const db::DatabaseError& e) {
            if (e.is_connection_failure()) {
                conn.reset();
                // Whether the last transaction committed is unknown: say so, do not guess.
                const db::DatabaseError ambiguous(
                    std::string(e.what()) +
                        "; the append may or may not have been stored: "
                        "read the stream before retrying",
                    e.sqlstate());
                for (auto& r : batch) {
                    fail(*r, ambiguous);
                }
                return;
            }
            if (e.is_retryable() && attempt < kDeadlockRetries) {
                continue;
            }
            if (batch.size() > 1) {
                // One caller's events broke the transaction; run each alone so only it fails.
                ++isolated_retries_;
                for (auto& r : batch) {
                    Batch single;
                    single.push_back(std::move(r));
                    run(conn, single);
                }
                return;
            }
            fail(*batch.front(), e);
            return;
        }
    }
}

void EventStore::Appender::append_batch(db::Connection& conn, Batch& batch) {
    std::vector<detail::BatchEntry> entries;
    entries.reserve(batch.size());
    for (const auto& r : batch) {
        entries.push_back({&r->stream, r->expected, &r->events, &r->actor});
    }
    const auto outcomes = detail::call_append_batch(conn, entries, ids_, clock_.now());
    ++transactions_;

    std::int64_t last_position = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        Request& r = *batch[i];
        ++appends_;
        if (!outcomes[i].result) {
            ++conflicts_;
            r.promise.set_exception(std::make_exception_ptr(
                VersionConflict(r.stream, r.expected, outcomes[i].actual_version)));
            continue;
        }
        last_position = std::max(last_position, outcomes[i].result->last_position);
        events_ += r.events.size();
        r.promise.set_value(*outcomes[i].result);
    }
    if (last_position > 0) {
        try {
            // The wake-up hint goes after the commit, in its own transaction, which does not
            // wait for a disk flush; listeners read the events from the table.
            conn.exec("SELECT pg_notify($1, $2)",
                      {options_.notify_channel, std::to_string(last_position)});
        } catch (const db::DatabaseError&) {
            // Only a hint: subscribers also poll and catch up on reconnect.
        }
    }
}

}  // namespace pm::eventstore
