// Integrators' migration sets: beside the library's schema, each in its own schema and version
// rows, applied once, rolled back and named when one fails.
#include <array>
#include <thread>

#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/errors.hpp>
#include <powermanage/db/migration_set.hpp>
#include <powermanage/db/migrations.hpp>

#include "support/test_database.hpp"

namespace {

using pm::db::Connection;
using pm::db::Migration;
using pm::db::MigrationSet;

// Unqualified names: the set's search_path puts them in its schema.
const std::array kReports = {
    Migration{1, "counts", "CREATE TABLE counts (event_type text PRIMARY KEY, n bigint NOT NULL)"},
    Migration{2, "counts_index", "CREATE INDEX counts_n ON counts (n)"},
};
const std::array kAudit = {
    Migration{1, "seen", "CREATE TABLE seen (event_id text PRIMARY KEY)"},
};
// A second set in the same schema as kReports, with its own version 1.
const std::array kExtras = {
    Migration{1, "extras", "CREATE TABLE extras (k text PRIMARY KEY)"},
};

bool table_exists(Connection& conn, const std::string& qualified) {
    return conn.exec("SELECT to_regclass($1) IS NOT NULL", {qualified}).boolean(0, 0);
}

class MigrationSets : public pm::testing::DatabaseTest {};

TEST_F(MigrationSets, SeveralSetsLiveBesideTheLibrarySchemaAndReRunsAreNoOps) {
    Connection conn(database_url());
    pm::db::migrate(conn);
    const int library_version = pm::db::schema_version(conn);

    const MigrationSet reports{"reports", "acme", kReports};
    const MigrationSet extras{"extras", "acme", kExtras};
    const MigrationSet audit{"audit", "Audit Trail", kAudit};
    std::vector<int> seen;
    const auto first =
        pm::db::migrate(conn, reports, [&](const Migration& m) { seen.push_back(m.version); });
    EXPECT_EQ(first.from_version, 0);
    EXPECT_EQ(first.to_version, 2);
    EXPECT_EQ(first.applied, (std::vector<int>{1, 2}));
    EXPECT_EQ(seen, first.applied);
    EXPECT_EQ(pm::db::migrate(conn, extras).applied, std::vector<int>{1});
    EXPECT_EQ(pm::db::migrate(conn, audit).applied, std::vector<int>{1});

    EXPECT_TRUE(table_exists(conn, "acme.counts"));
    EXPECT_TRUE(table_exists(conn, "acme.extras"));
    EXPECT_TRUE(table_exists(conn, "\"Audit Trail\".seen"));
    EXPECT_FALSE(table_exists(conn, "public.counts")) << "a set's table landed in public";

    // Nothing of ours changed, and nothing is applied twice.
    EXPECT_EQ(pm::db::schema_version(conn), library_version);
    EXPECT_NO_THROW(pm::db::require_current_schema(conn));
    for (const auto* set : {&reports, &extras, &audit}) {
        const auto again = pm::db::migrate(conn, *set);
        EXPECT_TRUE(again.applied.empty()) << set->name;
        EXPECT_EQ(again.from_version, static_cast<int>(set->migrations.size())) << set->name;
        EXPECT_NO_THROW(pm::db::require_current_schema(conn, *set));
    }
    EXPECT_EQ(pm::db::schema_version(conn, reports), 2);
    EXPECT_EQ(pm::db::schema_version(conn, extras), 1);
    EXPECT_TRUE(pm::db::migrate(conn).applied.empty());
}

TEST_F(MigrationSets, AFailingMigrationIsRolledBackAndNamed) {
    Connection conn(database_url());
    const std::array broken = {
        Migration{1, "counts", "CREATE TABLE counts (k text PRIMARY KEY)"},
        Migration{2, "half_done", "CREATE TABLE half (k text); INSERT INTO counts VALUES (NULL)"},
    };
    const MigrationSet set{"reports", "acme", broken};
    try {
        pm::db::migrate(conn, set);
        FAIL() << "the broken migration was applied";
    } catch (const pm::db::DatabaseError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("migration 2 (half_done) of set reports"), std::string::npos) << what;
        EXPECT_NE(what.find("rolled back"), std::string::npos) << what;
        EXPECT_EQ(e.sqlstate(), "23502");
    }
    EXPECT_EQ(pm::db::schema_version(conn, set), 1);
    EXPECT_TRUE(table_exists(conn, "acme.counts"));
    EXPECT_FALSE(table_exists(conn, "acme.half")) << "the failed migration left a table behind";
    EXPECT_THROW(pm::db::require_current_schema(conn, set), pm::db::SchemaTooOldError);
    // The lock was released: the fixed set applies.
    const std::array fixed = {broken[0], Migration{2, "half_done", "CREATE TABLE half (k text)"}};
    EXPECT_EQ(pm::db::migrate(conn, MigrationSet{"reports", "acme", fixed}).applied,
              std::vector<int>{2});
}

TEST_F(MigrationSets, AnEditedOrNewerMigrationIsRefused) {
    Connection conn(database_url());
    pm::db::migrate(conn, MigrationSet{"reports", "acme", kReports});
    const std::array edited = {
        Migration{1, "counts", "CREATE TABLE counts (event_type text PRIMARY KEY)"}, kReports[1]};
    EXPECT_THROW(pm::db::migrate(conn, MigrationSet{"reports", "acme", edited}),
                 pm::db::SchemaTooNewError);
    const std::array older = {kReports[0]};
    EXPECT_THROW(pm::db::require_current_schema(conn, MigrationSet{"reports", "acme", older}),
                 pm::db::SchemaTooNewError);
}

TEST_F(MigrationSets, SchemasOfTheLibraryOrPostgresAreRefused) {
    Connection conn(database_url());
    for (const char* schema : {"public", "pm_reports", "PG_temp", ""}) {
        EXPECT_THROW(pm::db::migrate(conn, MigrationSet{"reports", schema, kReports}),
                     std::invalid_argument)
            << schema;
    }
    const std::array gap = {Migration{2, "x", "SELECT 1"}};
    EXPECT_THROW(pm::db::migrate(conn, MigrationSet{"reports", "acme", gap}), std::logic_error);
}

TEST_F(MigrationSets, ConcurrentCallersApplyEachMigrationOnce) {
    const MigrationSet set{"reports", "acme", kReports};
    std::array<pm::db::MigrationReport, 2> reports;
    std::array<std::thread, 2> threads;
    for (std::size_t i = 0; i < threads.size(); ++i) {
        threads[i] = std::thread([&, i] {
            Connection conn(database_url());
            reports[i] = pm::db::migrate(conn, set);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(reports[0].applied.size() + reports[1].applied.size(), 2u);
    Connection conn(database_url());
    EXPECT_EQ(conn.exec("SELECT count(*) FROM acme.schema_migrations").int64(0, 0), 2);
}

}  // namespace
