#pragma once
/// @file
/// @brief How daemons wait for SIGINT and SIGTERM: the signals are blocked in every thread
/// (block them before starting any, so threads inherit the mask) and taken with sigwait(), so
/// no handler runs at an arbitrary point of some thread.
#include <atomic>
#include <string>
#include <thread>

#include <powermanage/common/config.hpp>

namespace pm {

/// Blocks SIGINT and SIGTERM in the calling thread and in the threads it starts afterwards.
void block_stop_signals();

/// Waits until SIGINT or SIGTERM arrives (block_stop_signals() first); returns its number.
int wait_for_stop_signal();

/// Takes SIGINT and SIGTERM on a thread of its own, for programs that check now and then
/// whether to stop instead of blocking in wait_for_stop_signal(). Construct it before
/// starting any other thread: it calls block_stop_signals(), and threads started earlier would
/// still receive the signals with their default action (terminating the process).
class StopSignalWatcher {
public:
    /// Blocks the signals and starts the watching thread.
    StopSignalWatcher();

    /// Wakes the watching thread if no signal came, and joins it. The signals stay blocked.
    ~StopSignalWatcher();

    StopSignalWatcher(const StopSignalWatcher&) = delete;
    StopSignalWatcher& operator=(const StopSignalWatcher&) = delete;

    /// True once SIGINT or SIGTERM has arrived.
    bool interrupted() const noexcept { return interrupted_; }

private:
    std::atomic<bool> interrupted_{false};
    std::thread thread_;
};

/// `address` as a listen address for rpc::Server: an empty host (":8080") means every IPv4
/// interface ("0.0.0.0:8080").
std::string listen_address(const HostPort& address);

}  // namespace pm
