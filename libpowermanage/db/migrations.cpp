#include <array>
#include <cstdint>

#include <fmt/format.h>

#include <powermanage/db/migrations.hpp>

#include "db/embedded_migrations.hpp"

namespace pm::db {
namespace {

// pg_advisory_lock key for migrations: "pm_migra" in ASCII, far from anything else we lock.
constexpr std::int64_t kMigrationLock = 0x706d5f6d69677261;

// FNV-1a: stable across builds and platforms, enough to notice an edited migration.
std::string checksum(std::string_view sql) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : sql) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", hash);
}

void ensure_table(Connection& conn) {
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
}

struct Applied {
    int version;
    std::string name;
    std::string checksum;
};

std::vector<Applied> applied_migrations(Connection& conn) {
    const auto exists = conn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists.boolean(0, 0)) {
        return {};
    }
    const auto rows =
        conn.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    std::vector<Applied> out;
    for (int i = 0; i < rows.rows(); ++i) {
        out.push_back({static_cast<int>(rows.int64(i, 0)), std::string(rows.text(i, 1)),
                       std::string(rows.text(i, 2))});
    }
    return out;
}

int latest(std::span<const Migration> migrations) {
    return migrations.empty() ? 0 : migrations.back().version;
}

// Every applied migration must be one we know, unchanged; a newer one means a newer binary
// wrote this database.
void check_applied(const std::vector<Applied>& applied, std::span<const Migration> migrations) {
    for (const auto& a : applied) {
        if (a.version > latest(migrations)) {
            throw SchemaTooNewError(fmt::format(
                "the database schema is at version {} ({}), newer than this binary, which knows "
                "versions up to {}; run a newer release of libpowermanage against this database",
                a.version, a.name, latest(migrations)));
        }
        const auto& known = migrations[static_cast<std::size_t>(a.version - 1)];
        if (checksum(known.sql) != a.checksum) {
            throw SchemaTooNewError(fmt::format(
                "migration {} ({}) in the database differs from the one in this binary; a "
                "migration must never change once applied: restore it and add a new migration",
                a.version, a.name));
        }
    }
}

}  // namespace

std::span<const Migration> builtin_migrations() {
    static const std::array migrations = {
        Migration{1, "event_store", detail::migration_0001_event_store()},
        Migration{2, "projections", detail::migration_0002_projections()},
        Migration{3, "row_level_security", detail::migration_0003_row_level_security()},
        Migration{4, "time_travel", detail::migration_0004_time_travel()},
        Migration{5, "auth_sessions", detail::migration_0005_auth_sessions()},
        Migration{6, "configuration_deletes", detail::migration_0006_configuration_deletes()},
        Migration{7, "query_labels", detail::migration_0007_query_labels()},
    };
    return migrations;
}

int schema_version(Connection& conn) {
    const auto applied = applied_migrations(conn);
    return applied.empty() ? 0 : applied.back().version;
}

MigrationReport migrate(Connection& conn, std::span<const Migration> migrations,
                        const std::function<void(const Migration&)>& progress) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i + 1)) {
            throw std::logic_error("migrations must be numbered 1, 2, 3, ... without gaps");
        }
    }
    conn.exec(fmt::format("SELECT pg_advisory_lock({})", kMigrationLock));
    MigrationReport report;
    try {
        ensure_table(conn);
        const auto applied = applied_migrations(conn);
        check_applied(applied, migrations);
        report.from_version = applied.empty() ? 0 : applied.back().version;
        report.to_version = report.from_version;
        for (const auto& m : migrations.subspan(static_cast<std::size_t>(report.from_version))) {
            if (progress) {
                progress(m);
            }
            conn.exec("BEGIN");
            try {
                conn.exec(std::string(m.sql));
                conn.exec(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    {std::to_string(m.version), std::string(m.name), checksum(m.sql)});
                conn.exec("COMMIT");
            } catch (const DatabaseError& e) {
                if (conn.is_open()) {
                    conn.exec("ROLLBACK");
                }
                throw DatabaseError(fmt::format("migration {} ({}) failed and was rolled back: {}",
                                                m.version, m.name, e.what()),
                                    e.sqlstate(), e.constraint());
            }
            report.applied.push_back(m.version);
            report.to_version = m.version;
        }
    } catch (...) {
        if (conn.is_open()) {
            conn.exec(fmt::format("SELECT pg_advisory_unlock({})", kMigrationLock));
        }
        throw;
    }
    conn.exec(fmt::format("SELECT pg_advisory_unlock({})", kMigrationLock));
    return report;
}

void require_current_schema(Connection& conn, std::span<const Migration> migrations) {
    const auto applied = applied_migrations(conn);
    check_applied(applied, migrations);
    const int version = applied.empty() ? 0 : applied.back().version;
    if (version < latest(migrations)) {
        throw SchemaTooOldError(fmt::format(
            "the database schema is at version {}, this binary needs version {}; apply the "
            "migrations first: pm-admin migrate --database-url URL",
            version, latest(migrations)));
    }
}

}  // namespace pm::db
