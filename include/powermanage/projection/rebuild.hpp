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
    std::int64_t replayed = 0;  ///< events replayed so far (a resumed rebuild starts above 0)
    std::int64_t total = 0;     ///< events to replay in all (grows while appends go on)
};

/// What a rebuild did.
struct RebuildReport {
    std::vector<std::string> stream_types;  ///< stream types rebuilt (with their rebuild groups)
    std::int64_t events = 0;                ///< events replayed by this call
    std::int64_t resumed_from = 0;  ///< events an interrupted earlier call had replayed already
    bool resumed = false;           ///< whether it went on from an interrupted rebuild
    std::int64_t caught_up = 0;     ///< of `events`, those replayed in the swapping transaction
    std::chrono::steady_clock::duration elapsed{};  ///< wall time
};

/// Rebuilds the projections of `stream_types` (all when empty; a type brings the rest of its
/// rebuild group, e.g. `device` brings `device_group`) beside the live ones, in schema
/// `pm_rebuild`, committing every `batch` events with a checkpoint and calling `progress`
/// after each; then, in one short transaction that holds appends back, replays what was
/// appended meanwhile and replaces the live tables' contents (0009_rebuild.sql). Readers see
/// the old projections until that commit, never a partial state; appends go on until the
/// swap. After a crash, calling it again with the same stream types resumes from the last
/// checkpoint (other stream types, or another schema or projector version, start afresh).
/// Throws db::DatabaseError naming the event a projector refused, an unknown stream type, or
/// another rebuild running on the same database (the copies are then left for a resume).
RebuildReport rebuild(db::Connection& conn, const std::vector<std::string>& stream_types = {},
                      const std::function<void(const RebuildProgress&)>& progress = {},
                      int batch = 10000);

/// The stream types that have projections.
std::vector<std::string> projected_stream_types(db::Connection& conn);

}  // namespace pm::projection
