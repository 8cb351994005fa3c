#pragma once

// The SQL of each migration and projector, compiled into the library by pm_embed_text
// (db/CMakeLists.txt).

#include <string_view>

namespace pm::db::detail {

std::string_view migration_0001_event_store();
std::string_view migration_0002_projections();
std::string_view migration_0003_row_level_security();
std::string_view migration_0004_time_travel();
std::string_view migration_0005_auth_sessions();
std::string_view migration_0006_configuration_deletes();
std::string_view migration_0007_query_labels();
std::string_view migration_0008_append_batch();
std::string_view migration_0009_rebuild();

std::string_view projector_user();
std::string_view projector_token();
std::string_view projector_device();
std::string_view projector_action();
std::string_view projector_action_set();
std::string_view projector_definition();
std::string_view projector_device_group();
std::string_view projector_assignment();
std::string_view projector_execution();
std::string_view projector_user_selection();

}  // namespace pm::db::detail
