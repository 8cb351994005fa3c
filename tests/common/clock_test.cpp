#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/clock.hpp>

namespace pm {
namespace {

using namespace std::chrono_literals;

TEST(ClockTest, SystemClockFollowsTheRealTime) {
    const auto before = std::chrono::system_clock::now();
    const auto now = Clock::system().now();
    const auto after = std::chrono::system_clock::now();
    EXPECT_LE(before, now);
    EXPECT_LE(now, after);
    EXPECT_EQ(&Clock::system(), &Clock::system());
}

TEST(ClockTest, ManualClockStartsAtTheEpochByDefault) {
    const ManualClock clock;
    EXPECT_EQ(clock.now().time_since_epoch().count(), 0);
}

TEST(ClockTest, ManualClockOnlyMovesWhenTold) {
    const Clock::TimePoint start{std::chrono::sys_days{std::chrono::year{2026} / 11 / 26}};
    ManualClock clock(start);
    EXPECT_EQ(clock.now(), start);
    EXPECT_EQ(clock.now(), start);
    clock.advance(1500ms);
    EXPECT_EQ(clock.now(), start + 1500ms);
    clock.set(start - 1h);
    EXPECT_EQ(clock.now(), start - 1h);
}

TEST(ClockTest, ManualClockAdvancesAtomically) {
    ManualClock clock;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&clock] {
            for (int i = 0; i < 1000; ++i) {
                clock.advance(1ms);
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(clock.now().time_since_epoch(), 4000ms);
}

TEST(ClockTest, WorksThroughTheInterface) {
    ManualClock manual(Clock::TimePoint(42s));
    const Clock& clock = manual;
    EXPECT_EQ(clock.now().time_since_epoch(), 42s);
}

}  // namespace
}  // namespace pm
