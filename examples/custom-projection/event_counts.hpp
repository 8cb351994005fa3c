#pragma once

// The example's projection: events counted per stream type, event type and hour, in a schema
// of the integrator's own, kept by its own migrations.

#include <span>
#include <string>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/migration_set.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/types.hpp>

namespace custom_projection {

/// The projection's migrations: its table and its checkpoint table.
std::span<const pm::db::Migration> migrations();

/// The migration set of the projection in `schema`.
pm::db::MigrationSet migration_set(const std::string& schema);

/// The name of the checkpoint table its migrations create.
inline constexpr const char* kCheckpointTable = "checkpoints";

/// Adds a batch of events to `<schema>.event_counts` inside `tx`.
class EventCounter {
public:
    /// Counts into the table of `schema`; `conn` only quotes the name.
    EventCounter(const pm::db::Connection& conn, const std::string& schema);

    /// One upsert per (stream type, event type, hour) of the batch.
    void add(pm::db::Transaction& tx, std::span<const pm::eventstore::RecordedEvent> events) const;

private:
    std::string upsert_;
};

}  // namespace custom_projection
