#pragma once

/// @file
/// @brief Schema migrations embedded in the library and applied in order, once, under an
/// advisory lock so that two processes starting together do not race.

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <powermanage/db/connection.hpp>

namespace pm::db {

/// One step of the schema.
struct Migration {
    int version;            ///< 1, 2, 3, ... with no gaps
    std::string_view name;  ///< e.g. "event_store"
    std::string_view sql;   ///< applied in one transaction
};

/// The migrations this library was built with, in order.
std::span<const Migration> builtin_migrations();

/// The current code of one stream's projector (CREATE OR REPLACE FUNCTION ...): unlike a
/// migration it may change from one release to the next; migrate() applies it again whenever
/// its text changed, so the file in libpowermanage/db/projectors/ is the one place where the
/// projector lives.
struct Projector {
    std::string_view name;  ///< the stream type, e.g. "action"
    std::string_view sql;   ///< its functions
};

/// The projectors this library was built with.
std::span<const Projector> builtin_projectors();

/// What migrate() did.
struct MigrationReport {
    int from_version = 0;                 ///< schema version found
    int to_version = 0;                   ///< schema version left
    std::vector<int> applied;             ///< versions applied by this call
    std::vector<std::string> projectors;  ///< projectors (re-)applied by this call
};

/// Applies every migration the database lacks, each in its own transaction, recording it in
/// `schema_migrations`. Holds an advisory lock for the whole run, so concurrent callers wait
/// and then find nothing left to do. Then applies, in one transaction, every one of
/// `projectors` whose text differs from what `schema_projectors` records. Throws
/// SchemaTooNewError if the database has a version this binary does not know, DatabaseError if
/// a migration fails (its transaction is rolled back; earlier ones stay applied). `progress`
/// is told about each migration before it runs.
MigrationReport migrate(Connection& conn,
                        std::span<const Migration> migrations = builtin_migrations(),
                        const std::function<void(const Migration&)>& progress = {},
                        std::span<const Projector> projectors = builtin_projectors());

/// The newest migration recorded in the database; 0 for an empty database.
int schema_version(Connection& conn);

/// Checks, without changing anything, that the database is at exactly the newest version of
/// `migrations` and runs exactly `projectors`. Throws SchemaTooNewError or SchemaTooOldError
/// with what to do.
void require_current_schema(Connection& conn,
                            std::span<const Migration> migrations = builtin_migrations(),
                            std::span<const Projector> projectors = builtin_projectors());

}  // namespace pm::db
