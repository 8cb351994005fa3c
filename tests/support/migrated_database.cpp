#include "support/migrated_database.hpp"

#include <fmt/format.h>

#include <powermanage/db/connection.hpp>

namespace pm::testing {

std::string schema_template_name() {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const auto& m : db::builtin_migrations()) {
        for (const char c : m.sql) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 0x100000001b3ULL;
        }
    }
    return fmt::format("pm_template_schema_{:016x}", hash);
}

void MigratedDatabaseTest::prepare_template(const std::string& url) {
    db::Connection conn(url);
    db::migrate(conn);
}

}  // namespace pm::testing
