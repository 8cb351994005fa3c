// Reading everything in commit-safe order: a late commit is delivered late, never skipped.
#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>

#include <chrono>
#include <thread>

#include "eventstore/store_fixture.hpp"

namespace {

using pm::db::Actor;
using pm::eventstore::ExpectedVersion;
using pm::eventstore::Position;

class ReadAll : public pm::testing::EventStoreTest {
protected:
    // Begins a transaction on `conn` that has written one event but not committed.
    static void begin_late_event(pm::db::Connection& conn) {
        conn.exec("BEGIN");
        conn.exec("SELECT set_config('pm.actor_type', 'system', true)");
        conn.exec(
            "INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, "
            "actor_type, actor_id) VALUES (gen_random_uuid(), 'test', 'late', 1, 'Late', 'system', 't')");
    }
};

TEST_F(ReadAll, PagesThroughEverythingInOrder) {
    for (int i = 0; i < 25; ++i) {
        store().append({"test", "s" + std::to_string(i % 3)}, ExpectedVersion::any(), {event("E", i)},
                       Actor::system());
    }
    Position cursor = Position::start();
    std::vector<std::int64_t> seen;
    // An empty page means "nothing final yet", not "nothing more": any transaction running
    // in the cluster (autovacuum's ANALYZE, say) holds back younger commits for a moment.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen.size() < 25 && std::chrono::steady_clock::now() < deadline) {
        const auto page = store().read_all(cursor, 7);
        if (page.events.empty()) {
            EXPECT_EQ(page.next, cursor);
            continue;
        }
        for (const auto& e : page.events) {
            EXPECT_GT(e.position, cursor);
            seen.push_back(e.data.at("n").as_int64());
            cursor = e.position;
        }
        EXPECT_EQ(page.next, cursor);
    }
    ASSERT_EQ(seen.size(), 25u);
    for (int i = 0; i < 25; ++i) {
        EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
    }
}

TEST_F(ReadAll, ALateCommitIsNotSkipped) {
    pm::db::Connection late(database_url());
    begin_late_event(late);  // takes the lower position and the older transaction
    store().append({"test", "early"}, ExpectedVersion::any(), {event("Early")}, Actor::system());

    // Ordered by position alone, a reader would now return Early and move past Late's slot.
    pm::db::Connection probe(database_url());
    EXPECT_EQ(probe.exec("SELECT count(*) FROM events WHERE event_type = 'Early'").int64(0, 0), 1);

    const auto before = store().read_all(Position::start(), 100);
    EXPECT_TRUE(before.events.empty()) << "returned " << before.events.front().type
                                       << " while an older transaction was still open";

    late.exec("COMMIT");
    // Other tests' transactions in the same cluster may hold the horizon back for a moment.
    auto after = store().read_all(before.next, 100);
    for (int i = 0; i < 500 && after.events.size() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        after = store().read_all(before.next, 100);
    }
    ASSERT_EQ(after.events.size(), 2u);
    EXPECT_EQ(after.events[0].type, "Late");
    EXPECT_EQ(after.events[1].type, "Early");
    EXPECT_LT(after.events[0].position.position, after.events[1].position.position);
}

TEST_F(ReadAll, PositionTextRoundTrips) {
    const Position p{123456789012ULL, 42};
    EXPECT_EQ(Position::parse(p.to_string()), p);
    EXPECT_FALSE(Position::parse("12"));
    EXPECT_FALSE(Position::parse("a:1"));
    EXPECT_FALSE(Position::parse("1:-1"));
    EXPECT_FALSE(Position::parse("1:2:3"));
    EXPECT_LT((Position{1, 9}), (Position{2, 1}));
}

}  // namespace
