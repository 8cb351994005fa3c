#include <stdexcept>

#include <powermanage/common/time.hpp>
#include <powermanage/eventstore/event_store.hpp>

#include "eventstore/appender.hpp"
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
