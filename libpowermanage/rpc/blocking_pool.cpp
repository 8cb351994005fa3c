#include <atomic>
#include <exception>
#include <stdexcept>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <powermanage/rpc/blocking_pool.hpp>

namespace pm::rpc {

namespace asio = boost::asio;

struct BlockingPool::State {
    explicit State(std::size_t threads) : pool(threads == 0 ? 1 : threads) {}
    asio::thread_pool pool;
    std::atomic<bool> joined{false};
};

BlockingPool::BlockingPool(std::size_t threads) : state_(std::make_unique<State>(threads)) {}

BlockingPool::~BlockingPool() {
    join();
}

void BlockingPool::join() {
    state_->joined = true;
    state_->pool.join();
}

namespace {

// Posts `work` to the pool and completes with its exception (or none) on the executor of
// the completion handler, keeping that executor alive meanwhile.
template <class Token>
auto async_run(asio::thread_pool& pool, std::function<void()> work, Token&& token) {
    return asio::async_initiate<Token, void(std::exception_ptr)>(
        [&pool](auto handler, std::function<void()> fn) {
            auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
            asio::post(pool, [handler = std::move(handler), fn = std::move(fn),
                              guard = std::move(guard)]() mutable {
                std::exception_ptr error;
                try {
                    fn();
                } catch (...) {
                    error = std::current_exception();
                }
                auto executor = guard.get_executor();
                asio::post(executor, [handler = std::move(handler), error]() mutable {
                    std::move(handler)(error);
                });
            });
        },
        token, std::move(work));
}

}  // namespace

void BlockingPool::post(std::function<void()> work,
                        std::function<void(std::exception_ptr)> on_error) {
    if (state_->joined) {
        return;
    }
    asio::post(state_->pool, [work = std::move(work), on_error = std::move(on_error)] {
        try {
            work();
        } catch (...) {
            if (on_error) {
                on_error(std::current_exception());
            }
        }
    });
}

Task<void> BlockingPool::run(std::function<void()> work) {
    if (state_->joined) {
        throw std::runtime_error("shutting down: the worker pool has stopped");
    }
    // use_awaitable rethrows a non-null exception_ptr in the awaiting coroutine.
    co_await async_run(state_->pool, std::move(work), asio::use_awaitable);
}

}  // namespace pm::rpc
