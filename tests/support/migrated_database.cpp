#include "support/migrated_database.hpp"

#include <fmt/format.h>

#include <powermanage/db/connection.hpp>

namespace pm::testing {

// Named after everything migrate() applies (migrations and projectors), so that a changed
// projector gets a new template instead of a stale one from an earlier run.
std::string schema_template_name() {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    const auto add = [&](std::string_view sql) {
        for (const char c : sql) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 0x100000001b3ULL;
        }
    };
    for (const auto& m : db::builtin_migrations()) {
        add(m.sql);
    }
    for (const auto& p : db::builtin_projectors()) {
        add(p.sql);
    }
    return fmt::format("pm_template_schema_{:016x}", hash);
}

void MigratedDatabaseTest::prepare_template(const std::string& url) {
    db::Connection conn(url);
    db::migrate(conn);
}

}  // namespace pm::testing
