#pragma once

/// @file
/// @brief An integrator's own migrations, applied like the library's but recorded apart from
/// them, in the integrator's own schema, so neither numbering nor names can clash.

#include <functional>
#include <span>
#include <string>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/migrations.hpp>

namespace pm::db {

/// A set of migrations owned by an integrator (projection tables, their indexes and
/// functions). Its versions are recorded in `<schema>.schema_migrations` under `name`, so
/// several sets may share a schema and none of them touches the library's `schema_migrations`.
/// Each migration runs with `search_path` set to `<schema>, public`: unqualified names it
/// creates land in the set's schema, and it can still read the library's tables (`events`).
struct MigrationSet {
    std::string name;    ///< identifies the set, e.g. "acme_reports"
    std::string schema;  ///< its schema, created if missing; not `public`, nor `pm_*`/`pg_*`
    std::span<const Migration> migrations;  ///< numbered 1, 2, 3, ... without gaps
};

/// Applies every migration of `set` the database lacks, each in its own transaction together
/// with its row in the version table, under an advisory lock of the set's own (so concurrent
/// callers wait, then find nothing to do, and the library's migrate() is not held up).
/// Throws std::invalid_argument for a name or schema that could clash with the library's,
/// std::logic_error for misnumbered migrations, SchemaTooNewError if the database has a
/// version of the set this binary does not know or an applied migration whose text changed,
/// DatabaseError naming the set and migration that failed (it is rolled back; earlier ones
/// stay applied). `progress` is told about each migration before it runs.
MigrationReport migrate(Connection& conn, const MigrationSet& set,
                        const std::function<void(const Migration&)>& progress = {});

/// The newest migration of `set` recorded in the database; 0 if none.
int schema_version(Connection& conn, const MigrationSet& set);

/// Checks, without changing anything, that the database has exactly the migrations of `set`.
/// Throws SchemaTooNewError or SchemaTooOldError saying what to do.
void require_current_schema(Connection& conn, const MigrationSet& set);

}  // namespace pm::db
