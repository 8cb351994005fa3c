// Rebuilding replays the log through the live path's projectors and gets the same rows.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/projection/rebuild.hpp>

#include "eventstore/store_fixture.hpp"
#include "projection/random_history.hpp"

namespace {

const char* const kTables[] = {
    "users_projection",
    "tokens_projection",
    "devices_projection",
    "device_certificates_projection",
    "actions_projection",
    "executions_projection",
    "execution_output_projection",
    "action_sets_projection",
    "action_set_members_projection",
    "definitions_projection",
    "definition_members_projection",
    "device_groups_projection",
    "device_group_members_projection",
    "assignments_projection",
    "user_selections_projection",
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

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Starts pm-admin with `args`, its stdout and stderr going to the files given.
pid_t spawn_admin(const std::vector<std::string>& args, const std::string& out,
                  const std::string& err) {
    std::vector<char*> argv;
    std::string program = PM_ADMIN_PATH;
    argv.push_back(program.data());
    std::vector<std::string> copies = args;
    for (auto& a : copies) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << program;
    return rc == 0 ? pid : -1;
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

// Readers keep the old, complete projections while the new ones are built beside them.
TEST_F(Rebuild, ReadersSeeTheOldCompleteStateUntilTheSwap) {
    pm::testing::RandomHistory history(5);
    history.append(store(), 1500);
    pm::db::Connection conn(database_url());
    pm::db::Connection reader(database_url());
    const auto live = snapshot(reader);
    int steps = 0;
    bool saw_partial_copy = false;
    pm::projection::rebuild(
        conn, {},
        [&](const pm::projection::RebuildProgress& p) {
            if (p.replayed == 0 || p.replayed == p.total || ++steps % 3 != 0) {
                return;
            }
            const auto copied =
                reader.exec("SELECT count(*) FROM pm_rebuild.devices_projection").int64(0, 0);
            const auto shown = reader.exec("SELECT count(*) FROM devices_projection").int64(0, 0);
            saw_partial_copy = saw_partial_copy || copied < shown;
            EXPECT_EQ(snapshot(reader), live) << "a reader saw a changed state at " << p.replayed;
        },
        100);
    EXPECT_TRUE(saw_partial_copy) << "the copies were never seen half built: the test saw nothing";
    EXPECT_EQ(snapshot(reader), live);
    EXPECT_EQ(
        reader.exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'pm_rebuild'").int64(0, 0),
        0)
        << "the copies were left behind";
}

// Events appended while the rebuild runs are in its result (replayed before or in the swap).
TEST_F(Rebuild, AppendsDuringTheRebuildAreInTheResult) {
    pm::testing::RandomHistory history(17);
    history.append(store(), 1500);
    pm::db::Connection conn(database_url());
    std::map<std::string, std::string> live;
    int steps = 0;
    const auto report = pm::projection::rebuild(
        conn, {},
        [&](const pm::projection::RebuildProgress&) {
            if (++steps == 4) {
                history.append(store(), 400);
                pm::db::Connection other(database_url());
                live = snapshot(other);
            }
        },
        100);
    ASSERT_FALSE(live.empty()) << "the rebuild ended before the appends";
    EXPECT_EQ(report.events, 1900);
    const auto rebuilt = snapshot(conn);
    for (const char* table : kTables) {
        EXPECT_EQ(rebuilt.at(table), live.at(table)) << table << " differs after the rebuild";
    }
}

// A rebuild whose connection is killed in the middle leaves the live projections alone; the
// next one resumes from its last checkpoint and ends with the same rows.
TEST_F(Rebuild, KilledHalfwayItResumesAndMatches) {
    pm::testing::RandomHistory history(23);
    history.append(store(), 3000);
    pm::db::Connection watcher(database_url());
    const auto live = snapshot(watcher);

    pm::db::Connection victim(database_url());
    const int pid = victim.backend_pid();
    std::atomic<bool> failed{false};
    std::thread worker([&] {
        try {
            pm::projection::rebuild(victim, {}, {}, 50);
        } catch (const pm::db::DatabaseError&) {
            failed = true;
        }
    });
    // Wait for a committed checkpoint, then kill the backend while it replays the next steps.
    std::int64_t checkpoint = 0;
    for (int i = 0; i < 2000 && checkpoint == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        try {
            checkpoint =
                watcher.exec("SELECT last_position FROM pm_rebuild.rebuild_state").int64(0, 0);
        } catch (const pm::db::DatabaseError&) {
            // Not created yet.
        }
    }
    watcher.exec("SELECT pg_terminate_backend($1)", {std::to_string(pid)});
    worker.join();
    ASSERT_GT(checkpoint, 0) << "no checkpoint was committed in time";
    ASSERT_TRUE(failed) << "the rebuild finished before it could be killed";
    EXPECT_EQ(snapshot(watcher), live) << "the killed rebuild changed the live projections";
    const auto kept =
        watcher.exec("SELECT last_position FROM pm_rebuild.rebuild_state").int64(0, 0);
    EXPECT_GE(kept, checkpoint);

    pm::db::Connection again(database_url());
    const auto report = pm::projection::rebuild(again, {}, {}, 500);
    EXPECT_TRUE(report.resumed);
    EXPECT_GT(report.resumed_from, 0);
    EXPECT_EQ(report.resumed_from + report.events, 3000);
    const auto rebuilt = snapshot(watcher);
    for (const char* table : kTables) {
        EXPECT_EQ(rebuilt.at(table), live.at(table)) << table << " differs after the resume";
    }
}

// Asking for other stream types than the interrupted rebuild had discards its copies.
TEST_F(Rebuild, AnInterruptedRebuildOfOtherTypesStartsAfresh) {
    pm::testing::RandomHistory history(29);
    history.append(store(), 800);
    pm::db::Connection conn(database_url());
    const auto live = snapshot(conn);
    {
        pm::db::Transaction tx(conn, pm::db::Actor::system("test"));
        tx.exec("SELECT pm_rebuild_begin(ARRAY['user'])");
        tx.exec("SELECT pm_rebuild_step(pm_rebuild_horizon(), 100)");
        tx.commit();
    }
    const auto report = pm::projection::rebuild(conn, {"device"});
    EXPECT_FALSE(report.resumed);
    EXPECT_EQ(report.stream_types, (std::vector<std::string>{"device", "device_group"}));
    EXPECT_EQ(snapshot(conn), live);
}

// Heartbeat-like events projected set-wise have exactly the effect of projecting them one by
// one in position order, mixed with the device events that must not be reordered around them.
TEST_F(Rebuild, SetWiseHeartbeatsEqualEventByEvent) {
    pm::testing::RandomHistory history(31);
    history.append(store(), 600);
    pm::db::Connection conn(database_url());
    pm::db::Transaction tx(conn, pm::db::Actor::system("test"));
    const auto devices = tx.exec("SELECT id FROM devices_projection ORDER BY id LIMIT 3");
    ASSERT_EQ(devices.rows(), 3);
    const std::string a(devices.text(0, 0));
    const std::string b(devices.text(1, 0));
    const std::string c(devices.text(2, 0));
    // A batch past the log's end: heartbeats with and without versions, a re-registration and
    // a label in the middle of one device's run, a disconnect, an execution event between.
    tx.exec(
        "CREATE TEMP TABLE batch ON COMMIT DROP AS "
        "SELECT (SELECT max(position) FROM events) + n AS position, gen_random_uuid() AS event_id, "
        "       s AS stream_id, t AS event_type, d::jsonb AS data, "
        "       timestamptz '2030-01-01' + (occurred || ' s')::interval AS occurred_at "
        "FROM (VALUES (1, $1, 'DeviceHeartbeat', '{\"agent_version\": \"9.1\"}', 50), "
        "             (2, $1, 'DeviceHeartbeat', '{\"hostname\": \"\", \"agent_version\": "
        "\"9.0\"}', 40), "
        "             (3, $2, 'DeviceDisconnected', '{}', 10), "
        "             (4, $2, 'DeviceConnected', '{\"agent_version\": \"\", \"hostname\": "
        "\"b2\"}', 5), "
        "             (5, $1, 'DeviceRegistered', '{\"hostname\": \"reg\", \"agent_version\": "
        "\"1.0\", \"cert_fingerprint\": \"f\", \"cert_serial\": \"s-new\", "
        "\"cert_not_after\": \"2031-01-01T00:00:00Z\"}', 20), "
        "             (6, $1, 'DeviceHeartbeat', '{\"hostname\": \"after\"}', 30), "
        "             (7, $3, 'DeviceHeartbeat', '{}', 60), "
        "             (8, $1, 'DeviceHeartbeat', '{\"agent_version\": \"9.2\"}', 25), "
        "             (9, $3, 'DeviceLabelSet', '{\"key\": \"k\", \"value\": \"v\"}', 61), "
        "             (10, $3, 'DeviceHeartbeat', '{\"agent_version\": \"3\"}', 62), "
        "             (11, $2, 'DeviceHeartbeat', '{\"agent_version\": \"7\"}', 1), "
        "             (12, $3, 'DeviceHeartbeat', '{\"hostname\": \"c3\", \"agent_version\": "
        "\"4\"}', 59)) "
        "     AS v(n, s, t, d, occurred)",
        {a, b, c});
    const std::string events =
        "ARRAY(SELECT ROW(position, event_id, 'device', stream_id, 1, event_type, data, '{}', "
        "'system', 'test', occurred_at, pg_current_xact_id())::events FROM batch ORDER BY "
        "position)";
    const std::string rows =
        "SELECT string_agg(to_jsonb(d)::text, E'\n' ORDER BY d.id) FROM devices_projection d";
    const auto one_by_one = [&](const std::string& array) {
        tx.exec("DO $$ DECLARE r events; BEGIN FOREACH r IN ARRAY " + array +
                " LOOP PERFORM pm_project_event(r); END LOOP; END $$");
    };
    // From the state before the batch, and from one where its first half was applied already
    // (a replay over the current state: the guard admits only part of a device's run).
    for (const char* applied : {"0", "6"}) {
        tx.exec("SAVEPOINT before");
        one_by_one("ARRAY(SELECT e FROM unnest(" + events + ") e ORDER BY e.position LIMIT " +
                   applied + ")");
        tx.exec("SAVEPOINT half");
        tx.exec("SELECT pm_project_events(" + events + ")");
        const std::string batched(tx.exec(rows).text(0, 0));
        tx.exec("ROLLBACK TO SAVEPOINT half");
        one_by_one(events);
        const std::string expected(tx.exec(rows).text(0, 0));
        tx.exec("ROLLBACK TO SAVEPOINT before");
        EXPECT_EQ(batched, expected) << applied << " events applied before";
        EXPECT_NE(batched.find("\"after\""), std::string::npos) << batched;
    }
}

// The operator's tool: pm-admin rebuild-projections killed with SIGKILL halfway leaves the live
// projections alone; run again, it says it resumes, shows its progress and ends with the
// same rows.
TEST_F(Rebuild, PmAdminKilledWithSigkillResumesAndShowsProgress) {
    pm::testing::RandomHistory history(41);
    history.append(store(), 3000);
    pm::db::Connection watcher(database_url());
    const auto live = snapshot(watcher);
    const std::string out = ::testing::TempDir() + "rebuild_admin.out";
    const std::string err = ::testing::TempDir() + "rebuild_admin.err";
    const std::vector<std::string> args = {"rebuild-projections", "--database-url", database_url(),
                                           "--batch", "20"};

    const pid_t first = spawn_admin(args, out, err);
    ASSERT_GT(first, 0);
    std::int64_t checkpoint = 0;
    for (int i = 0; i < 4000 && checkpoint == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        try {
            checkpoint =
                watcher.exec("SELECT last_position FROM pm_rebuild.rebuild_state").int64(0, 0);
        } catch (const pm::db::DatabaseError&) {
            // Not created yet.
        }
    }
    ::kill(first, SIGKILL);
    int status = 0;
    ::waitpid(first, &status, 0);
    ASSERT_GT(checkpoint, 0) << "no checkpoint was committed in time: " << read_file(err);
    ASSERT_TRUE(WIFSIGNALED(status)) << "pm-admin finished before it could be killed";
    // Its backend ends when it finds the client gone, and its lock with it.
    for (int i = 0; i < 1000; ++i) {
        if (watcher.exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").int64(0, 0) ==
            0) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(snapshot(watcher), live) << "the killed rebuild changed the live projections";

    const pid_t second = spawn_admin(args, out, err);
    ASSERT_GT(second, 0);
    ::waitpid(second, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(err);
    const auto said = read_file(out);
    EXPECT_NE(said.find("resumed an interrupted rebuild"), std::string::npos) << said;
    const auto shown = read_file(err);
    EXPECT_NE(shown.find("rebuild ["), std::string::npos) << shown;
    EXPECT_NE(shown.find("3000/3000 events"), std::string::npos) << shown;
    const auto rebuilt = snapshot(watcher);
    for (const char* table : kTables) {
        EXPECT_EQ(rebuilt.at(table), live.at(table)) << table << " differs after the resume";
    }
}

}  // namespace
