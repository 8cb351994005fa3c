// Rebuilding replays the log through the live path's projectors and gets the same rows.
#include <map>

#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/projection/rebuild.hpp>

#include "eventstore/store_fixture.hpp"
#include "projection/random_history.hpp"

namespace {

const char* const kTables[] = {
    "users_projection",         "tokens_projection",
    "devices_projection",       "actions_projection",
    "executions_projection",    "execution_output_projection",
    "action_sets_projection",   "action_set_members_projection",
    "definitions_projection",   "definition_members_projection",
    "device_groups_projection", "device_group_members_projection",
    "assignments_projection",   "user_selections_projection",
};

// Every row of every projection, as sorted JSON text per table.
std::map<std::string, std::string> snapshot(pm::db::Connection& conn) {
    std::map<std::string, std::string> out;
    for (const char* table : kTables) {
        out[table] = std::string(
            conn.exec(std::string(
                          "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), "
                          "'[]')::text FROM ") +
                      table + " t")
                .text(0, 0));
    }
    return out;
}

class Rebuild : public pm::testing::EventStoreTest {
protected:
    // One writer: commits happen in position order, so the live result is deterministic.
    pm::eventstore::AppenderOptions appender_options() const override {
        pm::eventstore::AppenderOptions options;
        options.writers = 1;
        return options;
    }
};

TEST_F(Rebuild, ALongRandomHistoryRebuildsRowForRow) {
    pm::testing::RandomHistory history(20261126);
    history.append(store(), 4000);
    pm::db::Connection conn(database_url());
    const auto live = snapshot(conn);
    std::size_t non_empty = 0;
    for (const auto& [table, rows] : live) {
        non_empty += rows != "[]";
    }
    EXPECT_EQ(non_empty, std::size(kTables)) << "the history left some projection empty";

    std::vector<pm::projection::RebuildProgress> steps;
    const auto report = pm::projection::rebuild(
        conn, {}, [&](const pm::projection::RebuildProgress& p) { steps.push_back(p); }, 500);
    EXPECT_EQ(report.events, 4000 + 0);
    EXPECT_GE(steps.size(), 8u);
    EXPECT_EQ(steps.back().replayed, steps.back().total);
    const auto rebuilt = snapshot(conn);
    for (const char* table : kTables) {
        EXPECT_EQ(rebuilt.at(table), live.at(table)) << table << " differs after the rebuild";
    }
}

TEST_F(Rebuild, OneStreamTypeRebuildsItsGroupAndLeavesTheRest) {
    pm::testing::RandomHistory history(7);
    history.append(store(), 1500);
    pm::db::Connection conn(database_url());
    const auto live = snapshot(conn);
    const auto report = pm::projection::rebuild(conn, {"device"});
    EXPECT_EQ(report.stream_types, (std::vector<std::string>{"device", "device_group"}));
    EXPECT_GT(report.events, 0);
    EXPECT_EQ(snapshot(conn), live);
}

// Deleting an action, set or definition ends its assignments in the projection (no events of
// their own), so assignments are rebuilt with the action group and come out the same.
TEST_F(Rebuild, ConfigurationDeletesEndAssignmentsAndRebuildWithThem) {
    pm::testing::RandomHistory history(11);
    history.append(store(), 2500);
    pm::db::Connection conn(database_url());
    const auto ended = conn.exec(
        "SELECT a.source_type, count(*) FROM assignments_projection a WHERE a.is_deleted AND "
        "NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_type = 'assignment' AND "
        "e.stream_id = a.id AND e.event_type = 'AssignmentDeleted') GROUP BY 1 ORDER BY 1");
    std::string kinds;
    for (int i = 0; i < ended.rows(); ++i) {
        kinds += std::string(ended.text(i, 0)) + "=" + std::string(ended.text(i, 1)) + " ";
    }
    ASSERT_EQ(ended.rows(), 3) << "each kind of delete should have ended some assignment: "
                               << kinds;
    const auto live = snapshot(conn);
    const auto report = pm::projection::rebuild(conn, {"assignment"});
    EXPECT_EQ(report.stream_types,
              (std::vector<std::string>{"action", "action_set", "assignment", "definition"}));
    EXPECT_EQ(snapshot(conn), live);
}

TEST_F(Rebuild, UnknownStreamTypeIsRefusedAndNothingChanges) {
    pm::testing::RandomHistory history(3);
    history.append(store(), 200);
    pm::db::Connection conn(database_url());
    const auto live = snapshot(conn);
    try {
        pm::projection::rebuild(conn, {"devices"});
        FAIL() << "rebuilt an unknown stream type";
    } catch (const pm::db::DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("devices"), std::string::npos) << e.what();
    }
    EXPECT_EQ(snapshot(conn), live);
}

}  // namespace
