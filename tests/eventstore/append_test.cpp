// Appending with expected versions, alone and in group commits.
#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "eventstore/store_fixture.hpp"

namespace {

using pm::db::Actor;
using pm::eventstore::ExpectedVersion;
using pm::eventstore::StreamId;
using pm::eventstore::VersionConflict;

class Append : public pm::testing::EventStoreTest {};

TEST_F(Append, WritesVersionsAndReadsThemBack) {
    const StreamId s{"test", "A"};
    const auto first = store().append(s, ExpectedVersion::no_stream(),
                                      {event("Made", 1), event("Changed", 2)}, Actor::user("U1"));
    EXPECT_EQ(first.first_version, 1);
    EXPECT_EQ(first.last_version, 2);
    EXPECT_GT(first.last_position, 0);
    const auto second =
        store().append(s, ExpectedVersion::exactly(2), {event("Changed", 3)}, Actor::system());
    EXPECT_EQ(second.first_version, 3);
    EXPECT_GT(second.last_position, first.last_position);

    const auto events = store().read_stream(s);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].type, "Made");
    EXPECT_EQ(events[0].version, 1);
    EXPECT_EQ(events[0].data.at("n").as_int64(), 1);
    EXPECT_EQ(events[0].actor_type, "user");
    EXPECT_EQ(events[0].actor_id, "U1");
    EXPECT_EQ(events[2].actor_type, "system");
    EXPECT_EQ(store().read_stream(s, 3).size(), 1u);
    EXPECT_EQ(store().stream_version(s), 3);
    EXPECT_EQ(store().stream_version({"test", "none"}), 0);
}

TEST_F(Append, WrongExpectedVersionIsATypedConflictWithTheActualVersion) {
    const StreamId s{"test", "B"};
    store().append(s, ExpectedVersion::no_stream(), {event("Made")}, Actor::system());
    try {
        store().append(s, ExpectedVersion::no_stream(), {event("Made")}, Actor::system());
        FAIL() << "created the same stream twice";
    } catch (const VersionConflict& e) {
        EXPECT_EQ(e.actual(), 1);
        EXPECT_EQ(e.expected(), ExpectedVersion::no_stream());
        EXPECT_EQ(e.stream(), s);
    }
    try {
        store().append(s, ExpectedVersion::exactly(5), {event("Changed")}, Actor::system());
        FAIL() << "appended at the wrong version";
    } catch (const VersionConflict& e) {
        EXPECT_EQ(e.actual(), 1);
    }
    EXPECT_THROW(store().append({"test", "never"}, ExpectedVersion::exactly(1), {event("X")},
                                Actor::system()),
                 VersionConflict);
    EXPECT_EQ(
        store().append(s, ExpectedVersion::any(), {event("Changed")}, Actor::system()).last_version,
        2);
    EXPECT_EQ(store().read_stream(s).size(), 2u);
}

TEST_F(Append, RejectsRequestsThatCannotBeRight) {
    EXPECT_THROW(store().append({"test", "C"}, ExpectedVersion::any(), {}, Actor::system()),
                 std::invalid_argument);
    EXPECT_THROW(store().append({"", "C"}, ExpectedVersion::any(), {event("X")}, Actor::system()),
                 std::invalid_argument);
    pm::eventstore::NewEvent wrong_stream{"UserCreated", {}, {}, "user"};
    EXPECT_THROW(
        store().append({"token", "C"}, ExpectedVersion::any(), {wrong_stream}, Actor::system()),
        std::invalid_argument);
}

TEST_F(Append, ConcurrentWritersOnOneStreamWinEachVersionExactlyOnce) {
    const StreamId s{"test", "contended"};
    constexpr int kWriters = 8;
    constexpr int kAttemptsEach = 40;
    std::atomic<int> wins{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < kAttemptsEach; ++i) {
                const auto seen = store().stream_version(s);
                try {
                    store().append(s, ExpectedVersion::exactly(seen), {event("Step", w)},
                                   Actor::system());
                    ++wins;
                } catch (const VersionConflict&) {
                    ++conflicts;
                }
            }
        });
    }
    for (auto& t : writers) {
        t.join();
    }
    EXPECT_EQ(wins + conflicts, kWriters * kAttemptsEach);
    const auto events = store().read_stream(s);
    ASSERT_EQ(static_cast<int>(events.size()), wins.load());
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].version, static_cast<std::int32_t>(i + 1));
    }
    EXPECT_GT(conflicts.load(), 0) << "the race never happened; the test proves nothing";
}

TEST_F(Append, OneCallersConflictInABatchDoesNotFailTheOthers) {
    store().append({"test", "taken"}, ExpectedVersion::no_stream(), {event("Made")},
                   Actor::system());
    std::vector<std::future<pm::eventstore::AppendResult>> futures;
    for (int i = 0; i < 200; ++i) {
        const bool doomed = i % 10 == 3;
        futures.push_back(store().append_async(
            {"test", doomed ? "taken" : "free-" + std::to_string(i)}, ExpectedVersion::no_stream(),
            {event("Made", i)}, Actor::system()));
    }
    int ok = 0, conflicted = 0;
    for (auto& f : futures) {
        try {
            f.get();
            ++ok;
        } catch (const VersionConflict&) {
            ++conflicted;
        }
    }
    EXPECT_EQ(ok, 180);
    EXPECT_EQ(conflicted, 20);
    const auto stats = store().stats();
    EXPECT_LT(stats.transactions, 200u) << "no batching happened";
    EXPECT_EQ(stats.conflicts, 20u);
}

TEST_F(Append, EventsOfOneAppendAreContiguousInTheStream) {
    std::vector<std::future<pm::eventstore::AppendResult>> futures;
    for (int i = 0; i < 50; ++i) {
        futures.push_back(store().append_async({"test", "shared"}, ExpectedVersion::any(),
                                               {event("A", i), event("B", i), event("C", i)},
                                               Actor::system()));
    }
    std::set<std::int32_t> firsts;
    for (auto& f : futures) {
        const auto r = f.get();
        EXPECT_EQ(r.last_version - r.first_version, 2);
        firsts.insert(r.first_version);
    }
    EXPECT_EQ(firsts.size(), 50u);
    const auto events = store().read_stream({"test", "shared"});
    ASSERT_EQ(events.size(), 150u);
    for (std::size_t i = 0; i < events.size(); i += 3) {
        EXPECT_EQ(events[i].type, "A");
        EXPECT_EQ(events[i + 1].type, "B");
        EXPECT_EQ(events[i + 2].type, "C");
        EXPECT_EQ(events[i].data.at("n"), events[i + 2].data.at("n"));
    }
}

TEST_F(Append, PayloadsSurviveQuotingOfEveryKind) {
    const std::string nasty =
        "quote \" backslash \\ brace {} comma , newline \n unicode \xc3\xa9 \xf0\x9f\x98\x80";
    pm::eventstore::NewEvent e{
        "Nasty", {{"text", nasty}, {"nested", {{"a", {1, 2, 3}}}}}, {{"m", nasty}}, {}};
    store().append({"test", "quote\"d,{id}"}, ExpectedVersion::any(), {e}, Actor::user("a\"b"));
    const auto events = store().read_stream({"test", "quote\"d,{id}"});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data.at("text").as_string(), nasty);
    EXPECT_EQ(events[0].metadata.at("m").as_string(), nasty);
    EXPECT_EQ(events[0].actor_id, "a\"b");
    EXPECT_EQ(events[0].data.at("nested").at("a").as_array().size(), 3u);
}

}  // namespace
