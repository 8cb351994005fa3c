#pragma once

// A first-come-first-served async mutex with a deadline, for coroutines on one strand: one
// writer at a time on a response stream, one call at a time on an HTTP/1.1 client connection.

#include <chrono>
#include <deque>

#include <powermanage/rpc/service.hpp>

namespace pm::rpc::detail {

/// See the file comment. Use on one strand only; not thread-safe.
class AsyncGate {
public:
    /// Holds the turn acquire() granted and releases it.
    class Turn {
    public:
        explicit Turn(AsyncGate& gate) : gate_(gate) {}  ///< adopts a granted turn
        Turn(const Turn&) = delete;
        Turn& operator=(const Turn&) = delete;
        ~Turn() { gate_.release(); }  ///< hands the turn on

    private:
        AsyncGate& gate_;
    };

    /// Waits for the turn until `deadline`, in arrival order; false if the deadline (or a
    /// cancellation of the awaiting coroutine) came first. A true result must be released,
    /// normally by a Turn.
    Task<bool> acquire(std::chrono::steady_clock::time_point deadline);

    /// Hands the turn to the next waiter, or frees the gate.
    void release();

private:
    struct Waiter;
    bool busy_ = false;
    std::deque<Waiter*> waiters_;
};

}  // namespace pm::rpc::detail
