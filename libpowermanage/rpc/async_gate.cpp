#include "rpc/async_gate.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pm::rpc::detail {

namespace asio = boost::asio;

// Lives in the waiting coroutine's frame; release() wakes it by cancelling its timer.
struct AsyncGate::Waiter {
    asio::steady_timer timer;
    bool granted = false;
};

Task<bool> AsyncGate::acquire(std::chrono::steady_clock::time_point deadline) {
    if (!busy_) {
        busy_ = true;
        co_return true;
    }
    Waiter waiter{asio::steady_timer(co_await asio::this_coro::executor, deadline)};
    waiters_.push_back(&waiter);
    boost::system::error_code ignored;
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (waiter.granted) {
        co_return true;
    }
    std::erase(waiters_, &waiter);
    co_return false;
}

void AsyncGate::release() {
    if (waiters_.empty()) {
        busy_ = false;
        return;
    }
    auto* next = waiters_.front();
    waiters_.pop_front();
    next->granted = true;
    next->timer.cancel();
}

}  // namespace pm::rpc::detail
