// Migrations: applied once, in order, under a lock; a newer schema is refused.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/errors.hpp>
#include <powermanage/db/migrations.hpp>

#include "support/test_database.hpp"

namespace {

using pm::db::Connection;

class Migrations : public pm::testing::DatabaseTest {};

TEST_F(Migrations, AppliesEveryMigrationOnceInOrder) {
    Connection conn(database_url());
    EXPECT_EQ(pm::db::schema_version(conn), 0);
    const auto all = pm::db::builtin_migrations();
    std::vector<int> seen;
    const auto first =
        pm::db::migrate(conn, all, [&](const pm::db::Migration& m) { seen.push_back(m.version); });
    EXPECT_EQ(first.from_version, 0);
    EXPECT_EQ(first.to_version, all.back().version);
    EXPECT_EQ(first.applied.size(), all.size());
    EXPECT_EQ(seen, first.applied);
    EXPECT_EQ(pm::db::schema_version(conn), all.back().version);

    const auto second = pm::db::migrate(conn);
    EXPECT_TRUE(second.applied.empty());
    EXPECT_EQ(second.from_version, all.back().version);
    EXPECT_NO_THROW(pm::db::require_current_schema(conn));
    EXPECT_EQ(conn.exec("SELECT count(*) FROM schema_migrations").int64(0, 0),
              static_cast<std::int64_t>(all.size()));
}

TEST_F(Migrations, ProjectorsAreAppliedOnceAndAgainWhenTheirTextChanges) {
    Connection conn(database_url());
    const auto first = pm::db::migrate(conn);
    EXPECT_EQ(first.projectors.size(), pm::db::builtin_projectors().size());
    EXPECT_EQ(
        conn.exec("SELECT count(*) FROM pg_proc WHERE proname = 'pm_project_action'").int64(0, 0),
        1);
    EXPECT_TRUE(pm::db::migrate(conn).projectors.empty());

    // A database that runs an older text of one projector (as after upgrading the binary).
    conn.exec("UPDATE schema_projectors SET checksum = 'older' WHERE name = 'action'");
    conn.exec(
        "CREATE OR REPLACE FUNCTION pm_project_action(e events) RETURNS void LANGUAGE plpgsql "
        "AS $$ BEGIN END; $$");
    try {
        pm::db::require_current_schema(conn);
        FAIL() << "a stale projector passed as current";
    } catch (const pm::db::SchemaTooOldError& e) {
        EXPECT_NE(std::string(e.what()).find("action"), std::string::npos) << e.what();
    }
    const auto again = pm::db::migrate(conn);
    EXPECT_EQ(again.projectors, std::vector<std::string>{"action"});
    EXPECT_NE(conn.exec("SELECT prosrc FROM pg_proc WHERE proname = 'pm_project_action'")
                  .text(0, 0)
                  .find("ActionCreated"),
              std::string_view::npos);
    EXPECT_NO_THROW(pm::db::require_current_schema(conn));
}

TEST_F(Migrations, ADatabaseMigratedWithTheFirstReleasedProjectionsIsAccepted) {
    Connection conn(database_url());
    pm::db::migrate(conn);
    // 0002 as first released still held the projector functions.
    conn.exec("UPDATE schema_migrations SET checksum = '4b472358daa3b503' WHERE version = 2");
    EXPECT_NO_THROW(pm::db::migrate(conn));
    EXPECT_NO_THROW(pm::db::require_current_schema(conn));
    conn.exec("UPDATE schema_migrations SET checksum = '4b472358daa3b504' WHERE version = 2");
    EXPECT_THROW(pm::db::migrate(conn), pm::db::SchemaTooNewError);
}

TEST_F(Migrations, RefusesASchemaNewerThanTheBinary) {
    Connection conn(database_url());
    pm::db::migrate(conn);
    conn.exec(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'from_the_future', "
        "'x')");
    try {
        pm::db::migrate(conn);
        FAIL() << "migrate accepted a newer schema";
    } catch (const pm::db::SchemaTooNewError& e) {
        EXPECT_NE(std::string(e.what()).find("999"), std::string::npos) << e.what();
    }
    EXPECT_THROW(pm::db::require_current_schema(conn), pm::db::SchemaTooNewError);
}

TEST_F(Migrations, RefusesAnEditedMigration) {
    Connection conn(database_url());
    pm::db::migrate(conn);
    conn.exec("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
    EXPECT_THROW(pm::db::migrate(conn), pm::db::SchemaTooNewError);
}

TEST_F(Migrations, AnOldSchemaIsReportedWithWhatToDo) {
    Connection conn(database_url());
    try {
        pm::db::require_current_schema(conn);
        FAIL() << "an empty database passed as current";
    } catch (const pm::db::SchemaTooOldError& e) {
        EXPECT_NE(std::string(e.what()).find("pm-admin migrate"), std::string::npos) << e.what();
    }
}

TEST_F(Migrations, AFailingMigrationRollsBackAndKeepsEarlierOnes) {
    Connection conn(database_url());
    const pm::db::Migration steps[] = {
        {1, "ok", "CREATE TABLE first_step (x int)"},
        {2, "broken", "CREATE TABLE second_step (x int); SELECT no_such_function()"},
    };
    EXPECT_THROW(pm::db::migrate(conn, steps, {}, {}), pm::db::DatabaseError);
    EXPECT_EQ(pm::db::schema_version(conn), 1);
    EXPECT_EQ(conn.exec("SELECT to_regclass('second_step') IS NULL").boolean(0, 0), true);
    // The lock was released: a fixed migration goes through.
    const pm::db::Migration fixed[] = {steps[0], {2, "broken", "CREATE TABLE second_step (x int)"}};
    EXPECT_EQ(pm::db::migrate(conn, fixed, {}, {}).applied, std::vector<int>{2});
}

TEST_F(Migrations, TwoProcessesMigratingAtOnceApplyEachMigrationOnce) {
    const std::string url = database_url();
    std::vector<pid_t> children;
    for (int i = 0; i < 2; ++i) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int status = 0;
            try {
                Connection conn(url);
                pm::db::migrate(conn);
            } catch (...) {
                status = 1;
            }
            ::_exit(status);
        }
        children.push_back(pid);
    }
    for (const pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a migrating process failed";
    }
    Connection conn(url);
    const auto all = pm::db::builtin_migrations();
    EXPECT_EQ(conn.exec("SELECT count(*), max(version) FROM schema_migrations").int64(0, 0),
              static_cast<std::int64_t>(all.size()));
    EXPECT_NO_THROW(pm::db::require_current_schema(conn));
}

}  // namespace
