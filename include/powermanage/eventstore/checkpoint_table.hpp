#pragma once

/// @file
/// @brief An integrator's checkpoint table: where a follower of the event store records how far
/// it has read, in the same transaction as what it did with the events.

#include <string>
#include <string_view>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/types.hpp>

namespace pm::eventstore {

/// Names the integrator's checkpoint table: one row per subscriber with the position of the
/// last event whose effects are committed. The names are quoted wherever they are used, so any
/// name PostgreSQL accepts is safe, and none is ever pasted into SQL unquoted. A table made by
/// the integrator's own migrations needs the columns ensure_checkpoint_table() creates.
struct CheckpointTable {
    std::string schema = "public";  ///< its schema; created if missing
    std::string name;               ///< the table, e.g. "report_checkpoints"

    /// "schema"."name", quoted for `conn`.
    std::string qualified(const db::Connection& conn) const;
};

/// Creates the schema and the table if they do not exist yet:
/// `(subscriber text PRIMARY KEY, transaction_id bigint, position bigint, updated_at
/// timestamptz)`. Throws std::invalid_argument for an empty name, db::DatabaseError otherwise.
void ensure_checkpoint_table(db::Connection& conn, const CheckpointTable& table);

/// The position stored for `subscriber`; Position::start() when it has none yet.
/// Throws db::DatabaseError (e.g. when the table does not exist).
Position load_checkpoint(db::Connection& conn, const CheckpointTable& table,
                         std::string_view subscriber);

/// Stores `position` for `subscriber` inside `tx`, so it commits or rolls back together with
/// whatever else `tx` wrote. Throws db::DatabaseError.
void save_checkpoint(db::Transaction& tx, const CheckpointTable& table, std::string_view subscriber,
                     Position position);

}  // namespace pm::eventstore
