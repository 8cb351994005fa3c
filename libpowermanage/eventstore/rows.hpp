#pragma once

// Reading events out of result rows, and the SQL text helpers the store shares.

#include <string>
#include <string_view>
#include <vector>

#include <powermanage/common/clock.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/eventstore/types.hpp>

namespace pm::eventstore::detail {

/// The column list every event read selects, in the order event_from_row() expects.
extern const char* const kEventColumns;

/// One event from row `row` of a result selected with kEventColumns.
RecordedEvent event_from_row(const db::Result& result, int row);

/// Up to `limit` events after `after` in commit-safe order (see EventStore::read_all).
std::vector<RecordedEvent> read_all(db::Connection& conn, Position after, std::size_t limit);

/// Microseconds since the epoch, as read back with `extract(epoch ...)`.
Clock::TimePoint time_from_micros(std::int64_t micros);

}  // namespace pm::eventstore::detail
