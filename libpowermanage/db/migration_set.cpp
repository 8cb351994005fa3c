#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include <powermanage/db/migration_set.hpp>

#include "db/migration_checksum.hpp"

namespace pm::db {
namespace {

// First key of the two-key pg_advisory_lock for migration sets ("pm_s"); the second is a
// hash of the set, so sets wait only for themselves. The library's own migrate() takes the
// one-key form with another value.
constexpr int kSetLockClass = 0x706d5f73;

struct Applied {
    int version;
    std::string name;
    std::string checksum;
};

bool starts_with_ci(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

void validate(const MigrationSet& set) {
    if (set.name.empty() || set.schema.empty()) {
        throw std::invalid_argument("a migration set needs a name and a schema of its own");
    }
    if (set.schema == "public" || starts_with_ci(set.schema, "pm_") ||
        starts_with_ci(set.schema, "pg_") || starts_with_ci(set.schema, "information_schema")) {
        throw std::invalid_argument(fmt::format(
            "migration set {}: schema \"{}\" belongs to libpowermanage or PostgreSQL; give the "
            "set a schema of its own (e.g. the integrator's name)",
            set.name, set.schema));
    }
    for (std::size_t i = 0; i < set.migrations.size(); ++i) {
        if (set.migrations[i].version != static_cast<int>(i + 1)) {
            throw std::logic_error(fmt::format(
                "migration set {}: migrations must be numbered 1, 2, 3, ... without gaps",
                set.name));
        }
    }
}

std::string version_table(const Connection& conn, const MigrationSet& set) {
    return conn.quote_identifier(set.schema) + ".schema_migrations";
}

std::vector<Applied> applied_migrations(Connection& conn, const MigrationSet& set) {
    const auto exists = conn.exec("SELECT to_regclass($1) IS NOT NULL", {version_table(conn, set)});
    if (!exists.boolean(0, 0)) {
        return {};
    }
    const auto rows = conn.exec("SELECT version, name, checksum FROM " + version_table(conn, set) +
                                    " WHERE set_name = $1 ORDER BY version",
                                {set.name});
    std::vector<Applied> out;
    for (int i = 0; i < rows.rows(); ++i) {
        out.push_back({static_cast<int>(rows.int64(i, 0)), std::string(rows.text(i, 1)),
                       std::string(rows.text(i, 2))});
    }
    return out;
}

int latest(const MigrationSet& set) {
    return set.migrations.empty() ? 0 : set.migrations.back().version;
}

void check_applied(const std::vector<Applied>& applied, const MigrationSet& set) {
    for (const auto& a : applied) {
        if (a.version > latest(set)) {
            throw SchemaTooNewError(fmt::format(
                "migration set {} is at version {} ({}) in the database, newer than this "
                "program, which knows versions up to {}; run the newer program against this "
                "database",
                set.name, a.version, a.name, latest(set)));
        }
        const auto& known = set.migrations[static_cast<std::size_t>(a.version - 1)];
        if (detail::migration_checksum(known.sql) != a.checksum) {
            throw SchemaTooNewError(fmt::format(
                "migration {} ({}) of set {} in the database differs from the one in this "
                "program; a migration must never change once applied: restore it and add a new "
                "migration",
                a.version, a.name, set.name));
        }
    }
}

}  // namespace

MigrationReport migrate(Connection& conn, const MigrationSet& set,
                        const std::function<void(const Migration&)>& progress) {
    validate(set);
    const std::string lock = fmt::format("{}, hashtext({})", kSetLockClass,
                                         conn.quote_literal(set.schema + "." + set.name));
    conn.exec("SELECT pg_advisory_lock(" + lock + ")");
    MigrationReport report;
    try {
        if (conn.exec("SELECT to_regnamespace($1) IS NULL", {conn.quote_identifier(set.schema)})
                .boolean(0, 0)) {
            conn.exec("CREATE SCHEMA IF NOT EXISTS " + conn.quote_identifier(set.schema));
        }
        conn.exec("CREATE TABLE IF NOT EXISTS " + version_table(conn, set) +
                  " (set_name text NOT NULL,"
                  " version integer NOT NULL,"
                  " name text NOT NULL,"
                  " checksum text NOT NULL,"
                  " applied_at timestamptz NOT NULL DEFAULT now(),"
                  " PRIMARY KEY (set_name, version))");
        const auto applied = applied_migrations(conn, set);
        check_applied(applied, set);
        report.from_version = applied.empty() ? 0 : applied.back().version;
        report.to_version = report.from_version;
        for (const auto& m :
             set.migrations.subspan(static_cast<std::size_t>(report.from_version))) {
            if (progress) {
                progress(m);
            }
            conn.exec("BEGIN");
            try {
                conn.exec("SET LOCAL search_path TO " + conn.quote_identifier(set.schema) +
                          ", public");
                conn.exec(std::string(m.sql));
                conn.exec("INSERT INTO " + version_table(conn, set) +
                              " (set_name, version, name, checksum) VALUES ($1, $2, $3, $4)",
                          {set.name, std::to_string(m.version), std::string(m.name),
                           detail::migration_checksum(m.sql)});
                conn.exec("COMMIT");
            } catch (const DatabaseError& e) {
                if (conn.is_open()) {
                    conn.exec("ROLLBACK");
                }
                throw DatabaseError(
                    fmt::format("migration {} ({}) of set {} failed and was rolled back: {}",
                                m.version, m.name, set.name, e.what()),
                    e.sqlstate(), e.constraint());
            }
            report.applied.push_back(m.version);
            report.to_version = m.version;
        }
    } catch (...) {
        if (conn.is_open()) {
            conn.exec("SELECT pg_advisory_unlock(" + lock + ")");
        }
        throw;
    }
    conn.exec("SELECT pg_advisory_unlock(" + lock + ")");
    return report;
}

int schema_version(Connection& conn, const MigrationSet& set) {
    validate(set);
    const auto applied = applied_migrations(conn, set);
    return applied.empty() ? 0 : applied.back().version;
}

void require_current_schema(Connection& conn, const MigrationSet& set) {
    validate(set);
    const auto applied = applied_migrations(conn, set);
    check_applied(applied, set);
    const int version = applied.empty() ? 0 : applied.back().version;
    if (version < latest(set)) {
        throw SchemaTooOldError(fmt::format(
            "migration set {} is at version {} in the database, this program needs version {}; "
            "apply its migrations first (db::migrate with the set)",
            set.name, version, latest(set)));
    }
}

}  // namespace pm::db
