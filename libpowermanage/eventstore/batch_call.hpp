#pragma once

// One call of pm_append_batch(): the SQL both the group-commit appender and appends inside a
// caller's transaction send, so the arrays are built in one place.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/types.hpp>

namespace pm::eventstore::detail {

/// One caller's part of a batch (pointers into the caller's request, which outlives the call).
struct BatchEntry {
    const StreamId* stream;
    ExpectedVersion expected;
    const std::vector<NewEvent>* events;
    const db::Actor* actor;
};

/// What became of one entry: its result, or the stream's actual version on a conflict.
struct BatchOutcome {
    std::optional<AppendResult> result;  ///< empty on a version conflict
    std::int32_t actual_version = 0;     ///< the stream's version after the call
};

/// Sends `entries` as one pm_append_batch() on `conn` (which must not have written in its
/// current transaction, if one is open) and returns one outcome per entry, in entry order.
std::vector<BatchOutcome> call_append_batch(db::Connection& conn,
                                            std::span<const BatchEntry> entries, UlidGenerator& ids,
                                            Clock::TimePoint now);

}  // namespace pm::eventstore::detail
