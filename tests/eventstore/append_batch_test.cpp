// pm_append_batch itself (its expected-version rules for several callers in one batch, checked
// against a model of one caller after another) and the appender's lanes and linger.
#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "eventstore/store_fixture.hpp"

namespace {

using pm::db::Actor;
using pm::eventstore::ExpectedVersion;
using pm::eventstore::StreamId;

// One caller of a batch: a stream of type "test", an expected version (-1 any, 0 none, N) and
// how many events it brings.
struct Caller {
    std::string stream;
    std::int64_t expected;
    int count;
};

// What pm_append_batch returned for one caller.
struct Outcome {
    std::optional<std::int32_t> first;
    std::int32_t actual = 0;
    std::optional<std::int64_t> last_position;
};

std::string text_array(const std::vector<std::string>& items) {
    return fmt::format("ARRAY['{}']::text[]", fmt::join(items, "','"));
}

template <typename T>
std::string array(const std::vector<T>& items, std::string_view type) {
    return fmt::format("ARRAY[{}]::{}[]", fmt::join(items, ","), type);
}

class AppendBatch : public pm::testing::EventStoreTest {
protected:
    // Calls pm_append_batch in a transaction of its own, as the appender does. Each event's
    // data names its caller and its place in the caller's list.
    std::vector<Outcome> call(const std::vector<Caller>& callers) {
        std::vector<std::string> streams, types, actor_types, actor_ids, event_types, data;
        std::vector<std::int64_t> expected;
        std::vector<int> counts, event_callers;
        for (std::size_t i = 0; i < callers.size(); ++i) {
            streams.push_back(callers[i].stream);
            types.push_back("test");
            expected.push_back(callers[i].expected);
            counts.push_back(callers[i].count);
            actor_types.push_back("system");
            actor_ids.push_back("batch-test");
            for (int k = 0; k < callers[i].count; ++k) {
                event_callers.push_back(static_cast<int>(i + 1));
                event_types.push_back("Step");
                data.push_back(fmt::format(R"({{"caller": {}, "k": {}}})", i + 1, k));
            }
        }
        auto conn = pool().acquire();
        conn->exec("BEGIN");
        const auto result = conn->exec(fmt::format(
            "SELECT caller, first_version, actual_version, last_position FROM pm_append_batch("
            "{}, {}, {}, {}, {}, {}, {}, "
            "ARRAY(SELECT gen_random_uuid() FROM generate_series(1, {})), {}, {}::jsonb[], "
            "array_fill('{{}}'::jsonb, ARRAY[{}]), now())",
            text_array(types), text_array(streams), array(expected, "bigint"),
            array(counts, "integer"), text_array(actor_types), text_array(actor_ids),
            array(event_callers, "integer"), event_callers.size(), text_array(event_types),
            text_array(data), event_callers.size()));
        conn->exec("COMMIT");
        std::vector<Outcome> out(callers.size());
        EXPECT_EQ(result.rows(), static_cast<int>(callers.size()));
        for (int row = 0; row < result.rows(); ++row) {
            EXPECT_EQ(result.int64(row, 0), row + 1) << "results come in caller order";
            Outcome& o = out.at(static_cast<std::size_t>(row));
            o.actual = static_cast<std::int32_t>(result.int64(row, 2));
            if (!result.is_null(row, 1)) {
                o.first = static_cast<std::int32_t>(result.int64(row, 1));
            }
            if (!result.is_null(row, 3)) {
                o.last_position = result.int64(row, 3);
            }
        }
        return out;
    }

    std::int32_t stored_version(const std::string& stream) {
        return store().stream_version({"test", stream});
    }
};

TEST_F(AppendBatch, CallersOfOneStreamSeeEachOthersVersionsAndConflictsStayTheirOwn) {
    store().append({"test", "A"}, ExpectedVersion::no_stream(),
                   {event("Made", 0), event("Made", 1)}, Actor::system());
    const auto out = call({
        {"A", 2, 2},   // 1: right: versions 3-4
        {"A", 2, 1},   // 2: stale after caller 1: conflict at 4
        {"A", -1, 1},  // 3: any: version 5
        {"B", 0, 1},   // 4: new stream: version 1
        {"B", 0, 1},   // 5: B exists now: conflict at 1
        {"B", 1, 3},   // 6: right after caller 4: versions 2-4
        {"C", 3, 1},   // 7: no such stream: conflict at 0
        {"A", 5, 1},   // 8: right after caller 3: version 6
    });
    ASSERT_EQ(out.size(), 8u);
    const std::vector<std::optional<std::int32_t>> firsts = {3, std::nullopt, 5, 1, std::nullopt,
                                                             2, std::nullopt, 6};
    const std::vector<std::int32_t> actuals = {4, 4, 5, 1, 1, 4, 0, 6};
    for (std::size_t i = 0; i < out.size(); ++i) {
        EXPECT_EQ(out[i].first, firsts[i]) << "caller " << i + 1;
        EXPECT_EQ(out[i].actual, actuals[i]) << "caller " << i + 1;
        EXPECT_EQ(out[i].last_position.has_value(), firsts[i].has_value()) << "caller " << i + 1;
    }
    EXPECT_EQ(stored_version("A"), 6);
    EXPECT_EQ(stored_version("B"), 4);
    EXPECT_EQ(stored_version("C"), 0);

    // Each stream's events: versions without gaps, positions in version order, each caller's
    // events together and its last position the one returned.
    const auto a = store().read_stream({"test", "A"});
    ASSERT_EQ(a.size(), 6u);
    const auto b = store().read_stream({"test", "B"});
    ASSERT_EQ(b.size(), 4u);
    for (const auto* events : {&a, &b}) {
        for (std::size_t i = 1; i < events->size(); ++i) {
            EXPECT_EQ((*events)[i].version, (*events)[i - 1].version + 1);
            EXPECT_GT((*events)[i].position.position, (*events)[i - 1].position.position);
        }
    }
    EXPECT_EQ(a[2].data.at("caller").as_int64(), 1);
    EXPECT_EQ(a[3].data.at("caller").as_int64(), 1);
    EXPECT_EQ(a[3].data.at("k").as_int64(), 1);
    EXPECT_EQ(a[4].data.at("caller").as_int64(), 3);
    EXPECT_EQ(a[5].data.at("caller").as_int64(), 8);
    EXPECT_EQ(b[0].data.at("caller").as_int64(), 4);
    EXPECT_EQ(b[3].data.at("caller").as_int64(), 6);
    EXPECT_EQ(b[3].data.at("k").as_int64(), 2);
    EXPECT_EQ(out[0].last_position, a[3].position.position);
    EXPECT_EQ(out[2].last_position, a[4].position.position);
    EXPECT_EQ(out[5].last_position, b[3].position.position);
    EXPECT_EQ(out[7].last_position, a[5].position.position);
}

// Random batches against the rule of one caller after another, in list order per stream.
TEST_F(AppendBatch, RandomBatchesMatchCallersOneAfterAnother) {
    std::mt19937 rng(20261207);
    std::map<std::string, std::int32_t> model;  // stream -> version
    int conflicts = 0, appended = 0;
    for (int round = 0; round < 40; ++round) {
        std::vector<Caller> callers;
        const int n = 1 + static_cast<int>(rng() % 24);
        for (int i = 0; i < n; ++i) {
            const std::string stream = fmt::format("s{}", rng() % 5);
            const std::int32_t now = model.count(stream) ? model[stream] : 0;
            std::int64_t expected = -1;
            switch (rng() % 5) {
                case 0:
                    expected = -1;
                    break;
                case 1:
                    expected = 0;
                    break;
                case 2:
                    expected = now;
                    break;  // right unless an earlier caller moved it
                case 3:
                    expected = now + 1;
                    break;
                default:
                    expected = std::max<std::int64_t>(1, now - 1);
                    break;
            }
            callers.push_back({stream, expected, 1 + static_cast<int>(rng() % 3)});
        }
        const auto out = call(callers);
        ASSERT_EQ(out.size(), callers.size());
        for (std::size_t i = 0; i < callers.size(); ++i) {
            const Caller& c = callers[i];
            std::int32_t& v = model[c.stream];
            const bool ok = c.expected < 0 || (c.expected == 0 && v == 0) ||
                            (c.expected > 0 && v == c.expected);
            if (ok) {
                EXPECT_EQ(out[i].first, v + 1) << "round " << round << " caller " << i + 1;
                v += c.count;
                ++appended;
            } else {
                EXPECT_EQ(out[i].first, std::nullopt) << "round " << round << " caller " << i + 1;
                ++conflicts;
            }
            EXPECT_EQ(out[i].actual, v) << "round " << round << " caller " << i + 1;
        }
    }
    for (const auto& [stream, version] : model) {
        EXPECT_EQ(stored_version(stream), version) << stream;
        const auto events = store().read_stream({"test", stream});
        ASSERT_EQ(static_cast<std::int32_t>(events.size()), version) << stream;
        for (std::size_t i = 1; i < events.size(); ++i) {
            EXPECT_GT(events[i].position.position, events[i - 1].position.position) << stream;
        }
    }
    EXPECT_GT(conflicts, 20) << "too few conflicts to prove anything";
    EXPECT_GT(appended, 100) << "too few appends to prove anything";
}

// Random batches over many streams in which no stream has two callers of which one names a
// version (the shape of a fleet's appends: results, dispatches, heartbeats): the same rule of
// one caller after another, and each caller's last position is its last event's.
TEST_F(AppendBatch, RandomBatchesWithoutSharedCheckedStreamsMatchCallersOneAfterAnother) {
    std::mt19937 rng(20261208);
    std::map<std::string, std::int32_t> model;  // stream -> version
    int conflicts = 0, appended = 0, shared = 0;
    for (int round = 0; round < 40; ++round) {
        std::vector<Caller> callers;
        std::map<std::string, int> callers_of;
        const int n = 2 + static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) {
            const std::string stream = fmt::format("m{}", rng() % 40);
            ++callers_of[stream];
            const std::int32_t now = model.count(stream) ? model[stream] : 0;
            const std::int64_t choices[] = {-1, 0, now, now + 1, std::max(1, now - 1)};
            callers.push_back({stream, choices[rng() % 5], 1 + static_cast<int>(rng() % 3)});
        }
        for (auto& c : callers) {
            if (callers_of[c.stream] > 1) {
                c.expected = -1;  // a shared stream: every caller appends at any version
                ++shared;
            }
        }
        const auto out = call(callers);
        ASSERT_EQ(out.size(), callers.size());
        for (std::size_t i = 0; i < callers.size(); ++i) {
            const Caller& c = callers[i];
            std::int32_t& v = model[c.stream];
            const bool ok = c.expected < 0 || (c.expected == 0 && v == 0) ||
                            (c.expected > 0 && v == c.expected);
            if (ok) {
                EXPECT_EQ(out[i].first, v + 1) << "round " << round << " caller " << i + 1;
                v += c.count;
                ++appended;
                const auto events = store().read_stream({"test", c.stream}, v);
                ASSERT_FALSE(events.empty());
                ASSERT_EQ(events[0].version, v);
                EXPECT_EQ(out[i].last_position, events[0].position.position)
                    << "round " << round << " caller " << i + 1;
            } else {
                EXPECT_EQ(out[i].first, std::nullopt) << "round " << round << " caller " << i + 1;
                EXPECT_EQ(out[i].last_position, std::nullopt);
                ++conflicts;
            }
            EXPECT_EQ(out[i].actual, v) << "round " << round << " caller " << i + 1;
        }
    }
    for (const auto& [stream, version] : model) {
        EXPECT_EQ(stored_version(stream), version) << stream;
    }
    EXPECT_GT(conflicts, 20) << "too few conflicts to prove anything";
    EXPECT_GT(appended, 200) << "too few appends to prove anything";
    EXPECT_GT(shared, 50) << "too few shared streams to prove anything";
}

TEST_F(AppendBatch, RefusesToRunAfterTheTransactionWrote) {
    auto conn = pool().acquire();
    conn->exec("BEGIN");
    conn->exec("CREATE TEMPORARY TABLE scratch (x int)");
    conn->exec("INSERT INTO scratch VALUES (1)");
    try {
        conn->exec(
            "SELECT * FROM pm_append_batch(ARRAY['test'], ARRAY['X'], ARRAY[-1]::bigint[], "
            "ARRAY[1], ARRAY['system'], ARRAY['t'], ARRAY[1], ARRAY[gen_random_uuid()], "
            "ARRAY['Made'], ARRAY['{}'::jsonb], ARRAY['{}'::jsonb], now())");
        FAIL() << "appended after the transaction had a transaction id";
    } catch (const pm::db::DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("first write of its transaction"), std::string::npos)
            << e.what();
    }
    conn->exec("ROLLBACK");
}

// Streams belong to lanes by hash: with four writers running whenever their lanes have work,
// appends to many streams still land on each stream in order, every caller gets its own
// result, and one stream's callers share batches.
class AppendLanes : public pm::testing::EventStoreTest {
protected:
    pm::eventstore::AppenderOptions appender_options() const override {
        pm::eventstore::AppenderOptions options;
        options.writers = 4;
        options.parallel_batch_events = 1;
        return options;
    }
};

TEST_F(AppendLanes, ManyStreamsManyWritersEveryStreamGaplessInOrder) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 30; ++i) {
                const StreamId s{"test", fmt::format("lane-{}", (t + i) % 12)};
                store().append(s, ExpectedVersion::any(), {event("Step", t * 100 + i)},
                               Actor::system());
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    int total = 0;
    for (int s = 0; s < 12; ++s) {
        const auto events = store().read_stream({"test", fmt::format("lane-{}", s)});
        total += static_cast<int>(events.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
            EXPECT_EQ(events[i].version, static_cast<std::int32_t>(i + 1));
            if (i > 0) {
                EXPECT_GT(events[i].position.position, events[i - 1].position.position);
            }
        }
    }
    EXPECT_EQ(total, 8 * 30);
    EXPECT_EQ(store().stats().events, 8u * 30u);
}

// One writer with a long linger: callers that come back slowly still share a transaction,
// while a lone caller is never kept waiting for company.
class AppendLinger : public pm::testing::EventStoreTest {
protected:
    pm::eventstore::AppenderOptions appender_options() const override {
        pm::eventstore::AppenderOptions options;
        options.writers = 1;
        options.linger = std::chrono::seconds(2);
        return options;
    }
};

TEST_F(AppendLinger, ALoneCallerDoesNotWait) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
        store().append({"test", "alone"}, ExpectedVersion::any(), {event("Step", i)},
                       Actor::system());
    }
    // Five lingers would take 10 s; five commits take milliseconds even on a busy machine.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    EXPECT_EQ(store().stats().transactions, 5u);
}

TEST_F(AppendLinger, SlowlyReturningCallersShareTransactions) {
    constexpr int kCallers = 8;
    constexpr int kRounds = 15;
    std::vector<std::thread> threads;
    for (int t = 0; t < kCallers; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                store().append({"test", fmt::format("slow-{}", t)}, ExpectedVersion::any(),
                               {event("Step", i)}, Actor::system());
                // Each caller takes a while, and a different while, to come back.
                std::this_thread::sleep_for(std::chrono::milliseconds(5 + 3 * t));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const auto stats = store().stats();
    EXPECT_EQ(stats.events, static_cast<std::uint64_t>(kCallers * kRounds));
    // Without the linger each caller, returning at its own pace, commits nearly alone (close
    // to kCallers * kRounds transactions); with it, rounds stay together.
    EXPECT_LE(stats.transactions, static_cast<std::uint64_t>(kRounds * 3))
        << "callers did not share transactions";
}

// Two writers with a threshold of 20 events: one transaction stuck on a stream lock held from
// outside, then appends to many other streams. How many of those commit while it is stuck
// says whether the second writer started beside it.
class AppendParallel : public pm::testing::EventStoreTest {
protected:
    // Appends 60 events to other streams while the one writer is stuck, waits `wait` and
    // returns how many were committed by then; then lets the stuck one finish and checks that
    // every append did.
    std::size_t committed_while_stuck(std::chrono::milliseconds wait) {
        pm::db::Connection holder(database_url());
        holder.exec("SELECT pg_advisory_lock(hashtextextended('test/stuck', 0))");
        auto stuck = store().append_async({"test", "stuck"}, ExpectedVersion::any(),
                                          {event("Stuck")}, Actor::system());
        // The writer is in its transaction once pm_append_batch waits for the lock.
        pm::db::Connection observer(database_url());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (observer
                   .exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                         "NOT granted")
                   .int64(0, 0) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ADD_FAILURE() << "the append never waited for the stream lock";
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::vector<std::future<pm::eventstore::AppendResult>> others;
        for (int i = 0; i < 60; ++i) {
            others.push_back(store().append_async({"test", fmt::format("other-{}", i)},
                                                  ExpectedVersion::any(), {event("Other", i)},
                                                  Actor::system()));
        }
        std::this_thread::sleep_for(wait);
        std::size_t done = 0;
        for (auto& f : others) {
            done += f.wait_for(std::chrono::seconds(0)) == std::future_status::ready ? 1 : 0;
        }
        EXPECT_NE(stuck.wait_for(std::chrono::seconds(0)), std::future_status::ready);
        holder.exec("SELECT pg_advisory_unlock(hashtextextended('test/stuck', 0))");
        EXPECT_EQ(stuck.get().last_version, 1);
        for (auto& f : others) {
            EXPECT_EQ(f.get().last_version, 1);
        }
        return done;
    }
};

// Two writers; the second opens a transaction for a backlog of `ParallelBatch` events or more.
template <std::size_t ParallelBatch>
class AppendParallelFrom : public AppendParallel {
protected:
    pm::eventstore::AppenderOptions appender_options() const override {
        pm::eventstore::AppenderOptions options;
        options.writers = 2;
        options.parallel_batch_events = ParallelBatch;
        return options;
    }
};

using AppendParallelLarge = AppendParallelFrom<20>;

TEST_F(AppendParallelLarge, ALargeBacklogGetsASecondTransaction) {
    // About half of the 60 land on the idle lane: 20 or more, so the second writer takes them
    // and commits while the first is stuck (a fraction under 20 may wait for the first).
    EXPECT_GT(committed_while_stuck(std::chrono::seconds(5)), 0u)
        << "nothing committed beside the stuck transaction";
}

using AppendParallelSmall = AppendParallelFrom<1000>;

TEST_F(AppendParallelSmall, ASmallBacklogWaitsForTheTransactionInFlight) {
    // 60 events are far below 1000: they wait to share the next transaction.
    EXPECT_EQ(committed_while_stuck(std::chrono::milliseconds(500)), 0u)
        << "a second transaction started for a small backlog";
}

}  // namespace
