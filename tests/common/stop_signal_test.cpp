#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include <powermanage/common/stop_signal.hpp>

namespace pm {
namespace {

// Each case runs in a child process (a death test), so that the signal mask the watcher
// leaves behind and the signals sent do not reach the other tests of this binary.

// Waits for the flag with a generous bound: the bound only keeps a broken watcher from
// hanging the test; how fast the flag comes is not asserted.
bool becomes_interrupted(const StopSignalWatcher& watcher) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!watcher.interrupted() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return watcher.interrupted();
}

int watch_then_send(int signal) {
    const StopSignalWatcher watcher;
    if (watcher.interrupted()) {
        return 3;  // set before any signal came
    }
    kill(getpid(), signal);
    return becomes_interrupted(watcher) ? 0 : 4;
}

TEST(StopSignalWatcherTest, SigtermSetsTheFlagInsteadOfEndingTheProcess) {
    EXPECT_EXIT(std::exit(watch_then_send(SIGTERM)), ::testing::ExitedWithCode(0), "");
}

TEST(StopSignalWatcherTest, SigintSetsTheFlagInsteadOfEndingTheProcess) {
    EXPECT_EXIT(std::exit(watch_then_send(SIGINT)), ::testing::ExitedWithCode(0), "");
}

TEST(StopSignalWatcherTest, DestructionWithoutASignalStopsTheThread) {
    EXPECT_EXIT(
        {
            bool interrupted = true;
            {
                const StopSignalWatcher watcher;
                interrupted = watcher.interrupted();
            }  // the destructor must wake and join the waiting thread, or the test times out
            std::exit(interrupted ? 5 : 0);
        },
        ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace pm
