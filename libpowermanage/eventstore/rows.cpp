#include "eventstore/rows.hpp"

#include <chrono>

#include <fmt/format.h>

namespace pm::eventstore::detail {

const char* const kEventColumns =
    "transaction_id::text, position, event_id::text, stream_type, stream_id, stream_version, "
    "event_type, data::text, metadata::text, actor_type, actor_id, "
    "(extract(epoch FROM occurred_at) * 1000000)::bigint";

RecordedEvent event_from_row(const db::Result& r, int row) {
    RecordedEvent e;
    e.position.transaction_id = static_cast<std::uint64_t>(r.int64(row, 0));
    e.position.position = r.int64(row, 1);
    e.event_id = std::string(r.text(row, 2));
    e.stream.type = std::string(r.text(row, 3));
    e.stream.id = std::string(r.text(row, 4));
    e.version = static_cast<std::int32_t>(r.int64(row, 5));
    e.type = std::string(r.text(row, 6));
    e.data = boost::json::parse(r.text(row, 7)).as_object();
    e.metadata = boost::json::parse(r.text(row, 8)).as_object();
    e.actor_type = std::string(r.text(row, 9));
    e.actor_id = std::string(r.text(row, 10));
    e.occurred_at = time_from_micros(r.int64(row, 11));
    return e;
}

std::vector<RecordedEvent> read_all(db::Connection& conn, Position after, std::size_t limit) {
    // pm_read_all keeps only rows of transactions below the snapshot's xmin: anything that
    // can still commit has a larger transaction id, so it sorts after everything returned.
    const auto result = conn.exec(std::string("SELECT ") + kEventColumns +
                                      " FROM pm_read_all($1::xid8, $2::bigint, $3::integer)",
                                  {std::to_string(after.transaction_id),
                                   std::to_string(after.position), std::to_string(limit)});
    std::vector<RecordedEvent> out;
    out.reserve(static_cast<std::size_t>(result.rows()));
    for (int i = 0; i < result.rows(); ++i) {
        out.push_back(event_from_row(result, i));
    }
    return out;
}

Clock::TimePoint time_from_micros(std::int64_t micros) {
    return Clock::TimePoint(
        std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::microseconds(micros)));
}

}  // namespace pm::eventstore::detail
