#pragma once

/// @file
/// @brief A live subscription to the global event order.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <powermanage/eventstore/types.hpp>

namespace pm::eventstore {

/// How a subscription reads and waits.
struct SubscriptionOptions {
    std::size_t batch_size = 500;                         ///< events per read
    std::chrono::milliseconds poll_interval{1000};        ///< re-read this often with no NOTIFY
    std::chrono::milliseconds max_reconnect_delay{5000};  ///< backoff cap after a lost connection
    std::string channel = "pm_events";                    ///< the hint channel to LISTEN on
};

/// Delivers events to a handler on its own thread, in global order, each exactly once per
/// subscription. Stops when destroyed, or when the handler throws (see error()).
class Subscription {
public:
    /// Receives each event; runs on the subscription's thread.
    using Handler = std::function<void(const RecordedEvent&)>;

    /// Starts reading after `after` from the database at `url`.
    Subscription(std::string url, Position after, Handler handler, SubscriptionOptions options);
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    /// Stops and waits for the thread; no handler call is running or will run afterwards.
    void stop();
    /// The position of the last event delivered.
    Position position() const;
    /// Events delivered so far.
    std::uint64_t delivered() const { return delivered_.load(); }
    /// Times the connection was lost and re-established.
    std::uint64_t reconnects() const { return reconnects_.load(); }
    /// Why the subscription stopped on its own (the handler's exception), or empty.
    std::string error() const;

private:
    void run();

    std::string url_;
    Handler handler_;
    SubscriptionOptions options_;
    mutable std::mutex mutex_;
    Position position_;
    std::string error_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> reconnects_{0};
    std::thread thread_;
};

}  // namespace pm::eventstore
