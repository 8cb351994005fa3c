#pragma once

/// @file
/// @brief A per-test database with the library's whole schema applied.

#include <string>

#include <powermanage/db/migrations.hpp>

#include "support/test_database.hpp"

namespace pm::testing {

/// The template's name: changes whenever any migration's SQL does, so an edited schema never
/// reuses a stale template.
std::string schema_template_name();

/// A DatabaseTest whose database holds the full schema (db::builtin_migrations()).
class MigratedDatabaseTest : public DatabaseTest {
protected:
    std::string template_name() const override { return schema_template_name(); }
    void prepare_template(const std::string& url) override;
};

}  // namespace pm::testing
