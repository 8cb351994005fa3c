#pragma once

// The SQL of each migration, compiled into the library by pm_embed_text (db/CMakeLists.txt).

#include <string_view>

namespace pm::db::detail {

std::string_view migration_0001_event_store();
std::string_view migration_0002_projections();
std::string_view migration_0003_row_level_security();
std::string_view migration_0004_time_travel();
std::string_view migration_0005_auth_sessions();
std::string_view migration_0006_configuration_deletes();
std::string_view migration_0007_query_labels();

}  // namespace pm::db::detail
