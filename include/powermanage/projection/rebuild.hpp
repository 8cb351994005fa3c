#pragma once

/// @file
/// @brief Rebuilding projections from the event log with the live path's projector functions.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <powermanage/db/connection.hpp>

namespace pm::projection {

/// How far a rebuild has come.
struct RebuildProgress {
    std::int64_t replayed = 0;  ///< events replayed so far
    std::int64_t total = 0;     ///< events to replay in all
};

/// What a rebuild did.
struct RebuildReport {
    std::vector<std::string> stream_types;  ///< stream types rebuilt (with their rebuild groups)
    std::int64_t events = 0;                ///< events replayed
    std::chrono::steady_clock::duration elapsed{};  ///< wall time
};

/// Empties the projections of `stream_types` (all when empty; a type brings the rest of its
/// rebuild group, e.g. `device` brings `device_group`) and replays their events in one
/// transaction, `batch` events per step, calling `progress` after each step. Readers and
/// appends of those types wait until it commits; on any error nothing changes. Throws
/// db::DatabaseError naming the event a projector refused, or an unknown stream type.
RebuildReport rebuild(db::Connection& conn, const std::vector<std::string>& stream_types = {},
                      const std::function<void(const RebuildProgress&)>& progress = {},
                      int batch = 10000);

/// The stream types that have projections.
std::vector<std::string> projected_stream_types(db::Connection& conn);

}  // namespace pm::projection
