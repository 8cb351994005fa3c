// Checkpointed subscriptions: the integrator's update and the position commit together, so
// resuming, a throwing handler, a killed connection and an unreachable database neither lose
// an event nor count one twice.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/eventstore/checkpointed_subscription.hpp>

#include "eventstore/store_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using pm::db::Actor;
using pm::db::Connection;
using pm::eventstore::CheckpointedSubscription;
using pm::eventstore::CheckpointedSubscriptionOptions;
using pm::eventstore::ExpectedVersion;
using pm::eventstore::Position;
using pm::eventstore::RecordedEvent;

const char* const kTypes[] = {"Alpha", "Beta", "Gamma"};

// Counts events per type into acme.counts, one upsert per event.
void count_events(pm::db::Transaction& tx, std::span<const RecordedEvent> events) {
    for (const auto& e : events) {
        tx.exec(
            "INSERT INTO acme.counts (event_type, n) VALUES ($1, 1) ON CONFLICT (event_type) "
            "DO UPDATE SET n = acme.counts.n + 1",
            {e.type});
    }
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

class Checkpointed : public pm::testing::EventStoreTest {
protected:
    void SetUp() override {
        EventStoreTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        Connection conn(database_url());
        conn.exec("CREATE SCHEMA acme");
        conn.exec("CREATE TABLE acme.counts (event_type text PRIMARY KEY, n bigint NOT NULL)");
    }

    // Appends `n` events, cycling through kTypes, one transaction each so that batches cut
    // across transactions; remembers the truth.
    void append(int n) {
        for (int i = 0; i < n; ++i) {
            const std::string type = kTypes[appended_ % 3];
            store().append({"test", "s" + std::to_string(appended_ % 5)}, ExpectedVersion::any(),
                           {event(type, appended_)}, Actor::system());
            ++truth_[type];
            ++appended_;
        }
    }

    std::map<std::string, std::int64_t> counts() {
        Connection conn(database_url());
        const auto r = conn.exec("SELECT event_type, n FROM acme.counts");
        std::map<std::string, std::int64_t> out;
        for (int i = 0; i < r.rows(); ++i) {
            out[std::string(r.text(i, 0))] = r.int64(i, 1);
        }
        return out;
    }

    // The stored checkpoint; start() while the followers have not created the table yet.
    Position stored(const CheckpointedSubscriptionOptions& o) {
        Connection conn(database_url());
        if (conn.exec("SELECT to_regclass($1) IS NULL", {o.checkpoint.qualified(conn)})
                .boolean(0, 0)) {
            return Position::start();
        }
        return pm::eventstore::load_checkpoint(conn, o.checkpoint, o.subscriber);
    }

    // How many events sort at or before `p`.
    std::int64_t events_up_to(Position p) {
        Connection conn(database_url());
        return conn
            .exec(
                "SELECT count(*) FROM events WHERE (transaction_id::text::bigint, position) <= "
                "($1, $2)",
                {std::to_string(p.transaction_id), std::to_string(p.position)})
            .int64(0, 0);
    }

    std::int64_t counted() {
        std::int64_t total = 0;
        for (const auto& [type, n] : counts()) {
            total += n;
        }
        return total;
    }

    // True when the batch holds the event appended as number `n`. Batches do not always
    // start at a multiple of batch_size: a read stops short at events not final yet.
    static bool holds(std::span<const RecordedEvent> events, std::int64_t n) {
        return std::any_of(events.begin(), events.end(),
                           [n](const RecordedEvent& e) { return e.data.at("n").as_int64() == n; });
    }

    Position last_position() {
        Connection conn(database_url());
        const auto r = conn.exec(
            "SELECT transaction_id::text::bigint, position FROM events "
            "ORDER BY transaction_id DESC, position DESC LIMIT 1");
        return {static_cast<std::uint64_t>(r.int64(0, 0)), r.int64(0, 1)};
    }

    static CheckpointedSubscriptionOptions options(std::size_t batch_size = 4) {
        CheckpointedSubscriptionOptions o;
        o.subscriber = "counter";
        o.checkpoint = {"acme", "checkpoints"};
        o.batch_size = batch_size;
        o.poll_interval = 200ms;
        o.max_reconnect_delay = 200ms;
        o.handler_retry_delay = 10ms;
        return o;
    }

    std::map<std::string, std::int64_t> truth_;
    int appended_ = 0;
};

TEST_F(Checkpointed, CatchUpResumesFromTheCheckpointThenFollowsLive) {
    append(10);
    const auto o = options(4);
    EXPECT_EQ(CheckpointedSubscription::catch_up(database_url(), count_events, o), 10u);
    EXPECT_EQ(counts(), truth_);
    EXPECT_EQ(stored(o), last_position());
    EXPECT_EQ(CheckpointedSubscription::catch_up(database_url(), count_events, o), 0u);

    append(5);
    EXPECT_EQ(CheckpointedSubscription::catch_up(database_url(), count_events, o), 5u)
        << "the second run did not start from the checkpoint";
    EXPECT_EQ(counts(), truth_);

    CheckpointedSubscription live(database_url(), count_events, o);
    append(6);
    ASSERT_TRUE(wait_until([&] { return live.delivered() >= 6; })) << live.delivered();
    live.stop();
    EXPECT_EQ(live.delivered(), 6u);
    EXPECT_EQ(counts(), truth_);
    EXPECT_EQ(live.position(), last_position());
    EXPECT_EQ(stored(o), last_position());
    EXPECT_TRUE(live.error().empty()) << live.error();
}

TEST_F(Checkpointed, CatchUpWaitsForATransactionOpenWhenItStarted) {
    append(3);
    // An append whose transaction is open when catch_up starts and commits while it runs:
    // its event sorts before events committed after it started, so returning without it
    // would leave it to the next run; catch_up must include it.
    Connection writer(database_url());
    auto tx = std::make_unique<pm::db::Transaction>(writer, Actor::system());
    std::vector<pm::eventstore::StreamAppend> late;
    late.push_back({{"test", "late"}, ExpectedVersion::any(), {event("Alpha", 99)}});
    store().append_in(*tx, late, Actor::system(), Actor::system());
    ++truth_["Alpha"];
    std::thread committer([&] {
        std::this_thread::sleep_for(300ms);
        tx->commit();
    });
    const auto n = CheckpointedSubscription::catch_up(database_url(), count_events, options());
    committer.join();
    EXPECT_EQ(n, 4u);
    EXPECT_EQ(counts(), truth_);
}

TEST_F(Checkpointed, AThrowingHandlerRollsBackItsUpdateAndTheCheckpointThenStops) {
    append(9);
    const auto o = options(3);
    // Updates its table for the whole batch, then refuses the batch holding event 5.
    auto refuse_fifth = [](pm::db::Transaction& tx, std::span<const RecordedEvent> events) {
        count_events(tx, events);
        if (holds(events, 5)) {
            throw std::runtime_error("event 5 is poison");
        }
    };
    try {
        CheckpointedSubscription::catch_up(database_url(), refuse_fifth, o);
        FAIL() << "the handler's failure was swallowed";
    } catch (const pm::eventstore::CheckpointedHandlerError& e) {
        EXPECT_NE(std::string(e.what()).find("event 5 is poison"), std::string::npos) << e.what();
        EXPECT_EQ(e.checkpoint(), stored(o));
    }
    // What committed is exactly the events before the checkpoint, which is before event 5.
    const auto c = counts();
    EXPECT_EQ(counted(), events_up_to(stored(o))) << "the refused batch's update was committed";
    EXPECT_LE(counted(), 5);

    CheckpointedSubscription live(database_url(), refuse_fifth, o);
    ASSERT_TRUE(wait_until([&] { return !live.running(); }));
    EXPECT_NE(live.error().find("subscriber counter"), std::string::npos) << live.error();
    EXPECT_NE(live.error().find("event 5 is poison"), std::string::npos) << live.error();
    EXPECT_EQ(live.delivered(), 0u);
    EXPECT_EQ(counts(), c);
}

TEST_F(Checkpointed, AHandlerThatFailsOnceIsRetriedWithoutCountingTwice) {
    append(9);
    auto o = options(3);
    o.handler_attempts = 3;
    std::atomic<int> tries{0};  // of the batch holding event 3
    auto flaky = [&](pm::db::Transaction& tx, std::span<const RecordedEvent> events) {
        count_events(tx, events);
        if (holds(events, 3) && tries++ == 0) {
            throw std::runtime_error("transient");
        }
    };
    CheckpointedSubscription live(database_url(), flaky, o);
    ASSERT_TRUE(wait_until([&] { return live.delivered() >= 9; })) << live.error();
    live.stop();
    EXPECT_EQ(tries.load(), 2);
    EXPECT_EQ(live.delivered(), 9u);
    EXPECT_EQ(counts(), truth_);
    EXPECT_EQ(stored(o), last_position());
}

TEST_F(Checkpointed, AConnectionKilledMidBatchLosesNothingAndCountsNothingTwice) {
    append(20);
    const auto o = options(4);
    Connection killer(database_url());
    std::atomic<int> kills{0};
    std::atomic<std::int64_t> kill_at{8};
    // On the first try of the batch holding event kill_at, after its update: the backend
    // is gone before the checkpoint's write.
    auto dying = [&](pm::db::Transaction& tx, std::span<const RecordedEvent> events) {
        count_events(tx, events);
        if (holds(events, kill_at) && kills == 0) {
            ++kills;
            const auto pid = std::to_string(tx.connection().backend_pid());
            killer.exec("SELECT pg_terminate_backend($1)", {pid});
            wait_until([&] {
                return killer.exec("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", {pid})
                           .int64(0, 0) == 0;
            });
        }
    };
    CheckpointedSubscription live(database_url(), dying, o);
    ASSERT_TRUE(wait_until([&] { return live.delivered() >= 20; })) << live.last_database_error();
    live.stop();
    EXPECT_EQ(kills.load(), 1);
    EXPECT_GE(live.reconnects(), 1u);
    EXPECT_EQ(live.delivered(), 20u);
    EXPECT_EQ(counts(), truth_);
    EXPECT_EQ(stored(o), last_position());

    // catch_up reports the same as unavailable, keeps what committed, and a re-run finishes.
    append(8);  // events 20-27
    kills = 0;
    kill_at = 25;
    try {
        CheckpointedSubscription::catch_up(database_url(), dying, o);
        FAIL() << "the killed connection went unnoticed";
    } catch (const pm::db::DatabaseError& e) {
        EXPECT_TRUE(e.is_connection_failure()) << e.what();
        EXPECT_NE(std::string(e.what()).find("unavailable"), std::string::npos) << e.what();
    }
    EXPECT_EQ(kills.load(), 1);
    const auto kept = counted();
    EXPECT_EQ(kept, events_up_to(stored(o))) << "the table and the checkpoint disagree";
    EXPECT_LE(kept, 25) << "the killed batch was committed";
    EXPECT_EQ(CheckpointedSubscription::catch_up(database_url(), count_events, o),
              static_cast<std::uint64_t>(28 - kept));
    EXPECT_EQ(counts(), truth_);
}

TEST_F(Checkpointed, AnOutageIsReportedWaitedOutAndResumedFrom) {
    append(6);
    CheckpointedSubscription live(database_url(), count_events, options(4));
    ASSERT_TRUE(wait_until([&] { return live.delivered() >= 6; })) << live.last_database_error();

    // The database refuses new connections and the follower's connection is cut: an outage
    // as the follower sees it. The store's own connections stay, so appends go on.
    Connection admin(pm::testing::admin_database_url());  // a database may not lock itself
    const auto db = admin.quote_identifier(database_name());
    admin.exec("ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS false");
    admin.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'pm_checkpointed_subscription' AND datname = $1",
        {database_name()});
    EXPECT_TRUE(wait_until([&] { return !live.available(); }))
        << "the outage was not reported: " << live.last_database_error();
    EXPECT_TRUE(live.running());
    EXPECT_FALSE(live.last_database_error().empty());
    append(5);

    admin.exec("ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS true");
    ASSERT_TRUE(wait_until([&] { return live.delivered() >= 11; })) << live.last_database_error();
    live.stop();
    EXPECT_TRUE(live.available());
    EXPECT_GE(live.reconnects(), 1u);
    EXPECT_EQ(live.delivered(), 11u);
    EXPECT_EQ(counts(), truth_);
}

TEST_F(Checkpointed, TwoFollowersOfOneSubscriberShareTheWorkWithoutDoubleCounting) {
    append(30);
    const auto o = options(2);
    auto slow = [](pm::db::Transaction& tx, std::span<const RecordedEvent> events) {
        count_events(tx, events);
        std::this_thread::sleep_for(5ms);
    };
    {
        CheckpointedSubscription a(database_url(), slow, o);
        CheckpointedSubscription b(database_url(), slow, o);
        ASSERT_TRUE(wait_until([&] { return stored(o) == last_position(); }));
        a.stop();
        b.stop();
        EXPECT_EQ(a.delivered() + b.delivered(), 30u);
    }
    EXPECT_EQ(counts(), truth_);
}

TEST_F(Checkpointed, AnUnreachableDatabaseIsReportedAsUnavailable) {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const std::string url = "postgresql://127.0.0.1:1/none?connect_timeout=2";
    const auto o = options();
    try {
        CheckpointedSubscription::catch_up(url, count_events, o);
        FAIL() << "no error from an unreachable database";
    } catch (const pm::db::DatabaseError& e) {
        EXPECT_TRUE(e.is_connection_failure()) << e.what();
        EXPECT_NE(std::string(e.what()).find("unavailable"), std::string::npos) << e.what();
    }
    CheckpointedSubscription live(url, count_events, o);
    ASSERT_TRUE(wait_until([&] { return !live.available(); }));
    EXPECT_TRUE(live.running()) << "an outage must be waited out, not end the subscription";
    EXPECT_FALSE(live.last_database_error().empty());
    live.stop();
    EXPECT_FALSE(live.running());
}

TEST_F(Checkpointed, TableNamesAreQuotedNotPasted) {
    append(3);
    auto o = options();
    o.checkpoint = {"Acme Reports", "check\"points; DROP TABLE events; --"};
    EXPECT_EQ(CheckpointedSubscription::catch_up(database_url(), count_events, o), 3u);
    Connection conn(database_url());
    EXPECT_TRUE(conn.exec("SELECT to_regclass('public.events') IS NOT NULL").boolean(0, 0));
    EXPECT_EQ(conn.exec("SELECT count(*) FROM \"Acme Reports\".\"check\"\"points; DROP TABLE "
                        "events; --\"")
                  .int64(0, 0),
              1);
    EXPECT_EQ(stored(o), last_position());
}

TEST_F(Checkpointed, FollowersCreatingTheTableAtOnceDoNotFail) {
    const pm::eventstore::CheckpointTable table{"fresh", "checkpoints"};
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            try {
                Connection conn(database_url());
                pm::eventstore::ensure_checkpoint_table(conn, table);
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
                ++failures;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(failures.load(), 0);
    Connection conn(database_url());
    EXPECT_EQ(pm::eventstore::load_checkpoint(conn, table, "nobody"), Position::start());
}

TEST_F(Checkpointed, BadOptionsAreRefusedUpFront) {
    auto o = options();
    o.subscriber.clear();
    EXPECT_THROW(CheckpointedSubscription(database_url(), count_events, o), std::invalid_argument);
    o = options();
    o.checkpoint.name.clear();
    EXPECT_THROW(CheckpointedSubscription::catch_up(database_url(), count_events, o),
                 std::invalid_argument);
}

}  // namespace
