#include <stdexcept>

#include <powermanage/common/time.hpp>
#include <powermanage/eventstore/event_store.hpp>

#include "eventstore/appender.hpp"
#include "eventstore/batch_call.hpp"
#include "eventstore/rows.hpp"

namespace pm::eventstore {
namespace {

void check_request(const StreamId& stream, const std::vector<NewEvent>& events) {
    if (stream.type.empty() || stream.id.empty()) {
        throw std::invalid_argument("append needs a stream type and id, got '" +
                                    stream.to_string() + "'");
    }
    if (events.empty()) {
        throw std::invalid_argument("append to " + stream.to_string() + " with no events");
    }
    for (const auto& e : events) {
        if (e.type.empty()) {
            throw std::invalid_argument("append to " + stream.to_string() +
                                        ": an event has no type");
        }
        if (!e.stream_type.empty() && e.stream_type != stream.type) {
            throw std::invalid_argument(e.type + " belongs to " + e.stream_type +
                                        " streams, not to " + stream.to_string());
        }
    }
}

}  // namespace

EventStore::EventStore(db::ConnectionPool& pool, const Clock& clock, AppenderOptions options)
    : pool_(pool),
      clock_(clock),
      notify_channel_(options.notify_channel),
      event_ids_(clock),
      appender_(std::make_unique<Appender>(pool.url(), clock, std::move(options))) {}

EventStore::~EventStore() = default;

AppendResult EventStore::append(const StreamId& stream, ExpectedVersion expected,
                                std::vector<NewEvent> events, const db::Actor& actor) {
    return append_async(stream, expected, std::move(events), actor).get();
}

std::future<AppendResult> EventStore::append_async(const StreamId& stream, ExpectedVersion expected,
                                                   std::vector<NewEvent> events,
                                                   const db::Actor& actor) {
    check_request(stream, events);
    return appender_->submit(stream, expected, std::move(events), actor);
}

std::vector<AppendResult> EventStore::append_in(db::Transaction& tx,
                                                std::span<const StreamAppend> appends,
                                                const db::Actor& actor, const db::Actor& tx_actor) {
    std::vector<detail::BatchEntry> entries;
    entries.reserve(appends.size());
    for (const auto& a : appends) {
        check_request(a.stream, a.events);
        entries.push_back({&a.stream, a.expected, &a.events, &actor});
    }
    if (entries.empty()) {
        return {};
    }
    std::vector<detail::BatchOutcome> outcomes;
    try {
        outcomes = detail::call_append_batch(tx.connection(), entries, event_ids_, clock_.now());
    } catch (const db::DatabaseError& error) {
        if (error.is_unique_violation()) {
            throw AlreadyExists(error.what(), error.constraint());
        }
        throw;
    }
    std::vector<AppendResult> results;
    results.reserve(outcomes.size());
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (!outcomes[i].result) {
            throw VersionConflict(appends[i].stream, appends[i].expected,
                                  outcomes[i].actual_version);
        }
        results.push_back(*outcomes[i].result);
    }
    // pm_append_batch made the rest of the transaction act for the projectors; give the
    // caller back its own view.
    tx.exec("SELECT pm_set_actor($1, $2)",
            {std::string(db::to_string(tx_actor.type)), tx_actor.id});
    return results;
}

void EventStore::notify_appended(std::int64_t last_position) {
    try {
        auto conn = pool_.acquire();
        conn->exec("SELECT pg_notify($1, $2)", {notify_channel_, std::to_string(last_position)});
    } catch (const std::exception&) {
        // Only a hint: subscribers also poll and catch up on reconnect.
    }
}

std::vector<RecordedEvent> EventStore::read_stream(const StreamId& stream,
                                                   std::int32_t from_version) {
    auto conn = pool_.acquire();
    const auto result = conn->exec(std::string("SELECT ") + detail::kEventColumns +
                                       " FROM events WHERE stream_type = $1 AND stream_id = $2"
                                       " AND stream_version >= $3 ORDER BY stream_version",
                                   {stream.type, stream.id, std::to_string(from_version)});
    std::vector<RecordedEvent> out;
    out.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
        out.push_back(detail::event_from_row(result, i));
    }
    return out;
}

std::int32_t EventStore::stream_version(const StreamId& stream) {
    auto conn = pool_.acquire();
    const auto result = conn->exec(
        "SELECT coalesce(max(version), 0) FROM streams WHERE stream_type = $1 AND stream_id = $2",
        {stream.type, stream.id});
    return static_cast<std::int32_t>(result.int64(0, 0));
}

ReadAllResult EventStore::read_all(Position after, std::size_t limit) {
    auto conn = pool_.acquire();
    ReadAllResult out;
    out.events = detail::read_all(*conn, after, limit);
    out.next = out.events.empty() ? after : out.events.back().position;
    return out;
}

boost::json::object EventStore::state_at(const StreamId& stream, Clock::TimePoint at) {
    auto conn = pool_.acquire();
    db::Transaction tx(*conn, db::Actor::system("time-travel"));
    const auto result = tx.exec("SELECT pm_state_at($1, $2, $3::timestamptz)::text",
                                {stream.type, stream.id, pm::format_rfc3339(at)});
    // pm_state_at undoes its own work; the rollback here is a second guard.
    return boost::json::parse(result.text(0, 0)).as_object();
}

std::unique_ptr<Subscription> EventStore::subscribe(Position after, Subscription::Handler handler,
                                                    SubscriptionOptions options) {
    options.channel = notify_channel_;
    return std::make_unique<Subscription>(pool_.url(), after, std::move(handler),
                                          std::move(options));
}

AppenderStats EventStore::stats() const {
    return appender_->stats();
}

}  // namespace pm::eventstore
