// Reading everything in commit-safe order: a late commit is delivered late, never skipped.
#include <chrono>
#include <future>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>

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
            "actor_type, actor_id) VALUES (gen_random_uuid(), 'test', 'late', 1, 'Late', 'system', "
            "'t')");
    }
};

TEST_F(ReadAll, PagesThroughEverythingInOrder) {
    for (int i = 0; i < 25; ++i) {
        store().append({"test", "s" + std::to_string(i % 3)}, ExpectedVersion::any(),
                       {event("E", i)}, Actor::system());
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

TEST_F(ReadAll, ConcurrentAppendersNeverInvertAStreamsVersions) {
    // Two stores stand for two processes; with two writers each, each starting whenever its
    // lanes have work, four transactions race for the same few streams, often several streams
    // per batch.
    pm::eventstore::AppenderOptions two_writers;
    two_writers.writers = 2;
    two_writers.parallel_batch_events = 1;
    pm::eventstore::EventStore first(pool(), pm::Clock::system(), two_writers);
    pm::eventstore::EventStore other(pool(), pm::Clock::system(), two_writers);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            auto& s = t % 2 == 0 ? first : other;
            std::vector<std::future<pm::eventstore::AppendResult>> pending;
            for (int i = 0; i < 150; ++i) {
                const auto stream = "hot" + std::to_string((i * 7 + t) % 5);
                pending.push_back(s.append_async({"test", stream}, ExpectedVersion::any(),
                                                 {event("E", t), event("F", t)}, Actor::system()));
            }
            for (auto& f : pending) {
                f.get();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::map<std::string, std::int32_t> last_version;
    std::size_t seen = 0;
    Position cursor;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (seen < 8 * 150 * 2 && std::chrono::steady_clock::now() < deadline) {
        const auto page = store().read_all(cursor, 1000);
        for (const auto& e : page.events) {
            EXPECT_EQ(e.version, last_version[e.stream.id] + 1)
                << e.stream.id << " out of order at " << e.position.to_string();
            last_version[e.stream.id] = e.version;
            ++seen;
        }
        cursor = page.next;
    }
    EXPECT_EQ(seen, 8u * 150u * 2u);
}

TEST_F(ReadAll, AnAppendMustBeTheFirstWriteOfItsTransaction) {
    pm::db::Connection conn(database_url());
    conn.exec("BEGIN");
    conn.exec("CREATE TEMP TABLE scratch (x int)");
    conn.exec("INSERT INTO scratch VALUES (1)");
    try {
        conn.exec(
            "SELECT * FROM pm_append_batch('{test}', '{s}', '{-1}', '{1}', '{system}', '{t}', "
            "'{1}', "
            "ARRAY[gen_random_uuid()], '{E}', '{\"{}\"}', '{\"{}\"}', now())");
        FAIL() << "an append after another write in its transaction was accepted";
    } catch (const pm::db::DatabaseError& e) {
        EXPECT_EQ(e.sqlstate(), "25000") << e.what();
    }
    conn.exec("ROLLBACK");
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
