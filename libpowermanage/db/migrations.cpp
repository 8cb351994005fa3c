#include <array>
#include <cstdint>
#include <map>

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

// Checksums that an applied migration may carry besides its current one: 0002 as first
// released, before its projector functions moved to libpowermanage/db/projectors/ (the
// projectors re-applied by migrate() replace them, so a database migrated with either text
// ends with the same functions).
struct SupersededChecksum {
    int version;
    std::string_view checksum;
};
constexpr SupersededChecksum kSuperseded[] = {{2, "4b472358daa3b503"}};

bool known_checksum(const Migration& m, const std::string& applied) {
    if (checksum(m.sql) == applied) {
        return true;
    }
    for (const auto& s : kSuperseded) {
        if (s.version == m.version && s.checksum == applied) {
            return true;
        }
    }
    return false;
}

void ensure_tables(Connection& conn) {
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_projectors ("
        " name text PRIMARY KEY,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
}

// The projectors whose recorded text differs from ours (or that were never applied).
std::vector<const Projector*> stale_projectors(Connection& conn,
                                               std::span<const Projector> projectors) {
    std::vector<const Projector*> stale;
    if (projectors.empty()) {
        return stale;
    }
    std::map<std::string, std::string, std::less<>> recorded;
    if (conn.exec("SELECT to_regclass('schema_projectors') IS NOT NULL").boolean(0, 0)) {
        const auto rows = conn.exec("SELECT name, checksum FROM schema_projectors");
        for (int i = 0; i < rows.rows(); ++i) {
            recorded.emplace(std::string(rows.text(i, 0)), std::string(rows.text(i, 1)));
        }
    }
    for (const auto& p : projectors) {
        auto it = recorded.find(p.name);
        if (it == recorded.end() || it->second != checksum(p.sql)) {
            stale.push_back(&p);
        }
    }
    return stale;
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
        if (!known_checksum(known, a.checksum)) {
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
        Migration{8, "append_batch", detail::migration_0008_append_batch()},
        Migration{9, "rebuild", detail::migration_0009_rebuild()},
    };
    return migrations;
}

std::span<const Projector> builtin_projectors() {
    // Applied in this order; PL/pgSQL resolves the functions it calls when it runs, so the
    // order only matters for readers.
    static const std::array projectors = {
        Projector{"user", detail::projector_user()},
        Projector{"token", detail::projector_token()},
        Projector{"device", detail::projector_device()},
        Projector{"action", detail::projector_action()},
        Projector{"action_set", detail::projector_action_set()},
        Projector{"definition", detail::projector_definition()},
        Projector{"device_group", detail::projector_device_group()},
        Projector{"assignment", detail::projector_assignment()},
        Projector{"execution", detail::projector_execution()},
        Projector{"user_selection", detail::projector_user_selection()},
    };
    return projectors;
}

int schema_version(Connection& conn) {
    const auto applied = applied_migrations(conn);
    return applied.empty() ? 0 : applied.back().version;
}

MigrationReport migrate(Connection& conn, std::span<const Migration> migrations,
                        const std::function<void(const Migration&)>& progress,
                        std::span<const Projector> projectors) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<int>(i + 1)) {
            throw std::logic_error("migrations must be numbered 1, 2, 3, ... without gaps");
        }
    }
    conn.exec(fmt::format("SELECT pg_advisory_lock({})", kMigrationLock));
    MigrationReport report;
    try {
        ensure_tables(conn);
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
        // All projectors change together: a batch of events never meets half an upgrade.
        const auto stale = stale_projectors(conn, projectors);
        if (!stale.empty()) {
            conn.exec("BEGIN");
            std::string_view current = "the projectors (commit)";
            try {
                for (const Projector* p : stale) {
                    current = p->name;
                    conn.exec(std::string(p->sql));
                    conn.exec(
                        "INSERT INTO schema_projectors (name, checksum) VALUES ($1, $2) "
                        "ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, "
                        "applied_at = now()",
                        {std::string(p->name), checksum(p->sql)});
                    report.projectors.emplace_back(p->name);
                }
                current = "the projectors (commit)";
                conn.exec("COMMIT");
            } catch (const DatabaseError& e) {
                if (conn.is_open()) {
                    conn.exec("ROLLBACK");
                }
                report.projectors.clear();
                throw DatabaseError(
                    fmt::format("applying the projector of {} failed and every projector "
                                "change was rolled back: {}",
                                current, e.what()),
                    e.sqlstate(), e.constraint());
            }
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

void require_current_schema(Connection& conn, std::span<const Migration> migrations,
                            std::span<const Projector> projectors) {
    const auto applied = applied_migrations(conn);
    check_applied(applied, migrations);
    const int version = applied.empty() ? 0 : applied.back().version;
    if (version < latest(migrations)) {
        throw SchemaTooOldError(fmt::format(
            "the database schema is at version {}, this binary needs version {}; apply the "
            "migrations first: pm-admin migrate --database-url URL",
            version, latest(migrations)));
    }
    const auto stale = stale_projectors(conn, projectors);
    if (!stale.empty()) {
        throw SchemaTooOldError(fmt::format(
            "the database runs another version of the {} projector than this binary; apply "
            "this binary's projectors first: pm-admin migrate --database-url URL",
            stale.front()->name));
    }
}

}  // namespace pm::db
