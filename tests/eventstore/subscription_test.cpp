// Subscriptions: catch-up then live, in commit-safe order, surviving lost hints and
// lost connections.
#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>

#include "eventstore/store_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using pm::db::Actor;
using pm::eventstore::ExpectedVersion;
using pm::eventstore::Position;
using pm::eventstore::RecordedEvent;

class Collector {
public:
    void operator()(const RecordedEvent& e) {
        std::lock_guard lock(mutex_);
        events_.push_back(e);
    }
    std::vector<RecordedEvent> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    // Waits up to `limit` for `n` events; returns how many arrived.
    std::size_t wait_for(std::size_t n, std::chrono::milliseconds limit = 15s) const {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (events().size() >= n) {
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        return events().size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<RecordedEvent> events_;
};

class Subscribe : public pm::testing::EventStoreTest {};

TEST_F(Subscribe, CatchesUpThenFollowsLive) {
    for (int i = 0; i < 3; ++i) {
        store().append({"test", "s"}, ExpectedVersion::any(), {event("Old", i)}, Actor::system());
    }
    auto collector = std::make_shared<Collector>();
    pm::eventstore::SubscriptionOptions options;
    options.poll_interval = 30s;  // so live delivery must come from the NOTIFY
    auto sub = store().subscribe(
        Position::start(), [collector](const RecordedEvent& e) { (*collector)(e); }, options);
    ASSERT_EQ(collector->wait_for(3), 3u);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
        store().append({"test", "s"}, ExpectedVersion::any(), {event("New", i)}, Actor::system());
    }
    ASSERT_EQ(collector->wait_for(6), 6u);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s) << "live events waited for the poll";
    const auto events = collector->events();
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].type, i < 3 ? "Old" : "New");
        EXPECT_EQ(events[i].version, static_cast<std::int32_t>(i + 1));
    }
    EXPECT_EQ(sub->position(), events.back().position);
    EXPECT_EQ(sub->delivered(), 6u);
}

TEST_F(Subscribe, ALateCommitIsDeliveredInOrderAndNothingIsSkipped) {
    auto collector = std::make_shared<Collector>();
    pm::eventstore::SubscriptionOptions options;
    options.poll_interval = 100ms;
    auto sub = store().subscribe(
        Position::start(), [collector](const RecordedEvent& e) { (*collector)(e); }, options);
    pm::db::Connection late(database_url());
    late.exec("BEGIN");
    late.exec("SELECT set_config('pm.actor_type', 'system', true)");
    late.exec(
        "INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, "
        "actor_type, "
        "actor_id) VALUES (gen_random_uuid(), 'test', 'late', 1, 'Late', 'system', 't')");
    store().append({"test", "early"}, ExpectedVersion::any(), {event("Early")}, Actor::system());
    std::this_thread::sleep_for(500ms);  // several polls and the hint have come and gone
    EXPECT_EQ(collector->events().size(), 0u) << "delivered past a transaction still open";
    late.exec("COMMIT");
    ASSERT_EQ(collector->wait_for(2), 2u);
    const auto events = collector->events();
    EXPECT_EQ(events[0].type, "Late");
    EXPECT_EQ(events[1].type, "Early");
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(collector->events().size(), 2u) << "an event was delivered twice";
}

TEST_F(Subscribe, ALostHintIsMadeUpByThePoll) {
    auto collector = std::make_shared<Collector>();
    pm::eventstore::SubscriptionOptions options;
    options.poll_interval = 200ms;
    options.channel = "nobody_notifies_this";
    pm::eventstore::Subscription sub(
        database_url(), Position::start(), [collector](const RecordedEvent& e) { (*collector)(e); },
        options);
    std::this_thread::sleep_for(100ms);
    store().append({"test", "quiet"}, ExpectedVersion::any(), {event("Quiet")}, Actor::system());
    EXPECT_EQ(collector->wait_for(1, 5s), 1u);
}

TEST_F(Subscribe, ALostConnectionIsReopenedAndCaughtUp) {
    auto collector = std::make_shared<Collector>();
    pm::eventstore::SubscriptionOptions options;
    options.poll_interval = 200ms;
    auto sub = store().subscribe(
        Position::start(), [collector](const RecordedEvent& e) { (*collector)(e); }, options);
    store().append({"test", "r"}, ExpectedVersion::any(), {event("Before")}, Actor::system());
    ASSERT_EQ(collector->wait_for(1), 1u);

    pm::db::Connection admin(database_url());
    const auto killed = admin.exec(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'pm_subscription'");
    ASSERT_GE(killed.int64(0, 0), 1);
    // The store's own connections may have died too; a fresh store appends after the loss.
    pm::db::ConnectionPool pool2(database_url(), 2);
    pm::eventstore::EventStore store2(pool2);
    store2.append({"test", "r"}, ExpectedVersion::any(), {event("After")}, Actor::system());
    ASSERT_EQ(collector->wait_for(2), 2u);
    EXPECT_EQ(collector->events()[1].type, "After");
    EXPECT_GE(sub->reconnects(), 1u);
}

TEST_F(Subscribe, AThrowingHandlerStopsTheSubscriptionAndSaysWhy) {
    store().append({"test", "x"}, ExpectedVersion::any(), {event("Boom"), event("Never")},
                   Actor::system());
    std::atomic<int> calls{0};
    auto sub = store().subscribe(Position::start(), [&](const RecordedEvent&) {
        ++calls;
        throw std::runtime_error("handler broke");
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (sub->error().empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_NE(sub->error().find("handler broke"), std::string::npos);
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(sub->delivered(), 0u);
}

}  // namespace
