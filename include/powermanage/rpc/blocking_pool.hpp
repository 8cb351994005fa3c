#pragma once
/// @file
/// @brief Runs blocking work (database queries, password hashing, signing) on a thread pool
/// and resumes the awaiting coroutine on its own executor, so that I/O threads never block.
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

#include <powermanage/rpc/service.hpp>

namespace pm::rpc {

/// A fixed pool of worker threads for blocking work.
class BlockingPool {
public:
    /// Starts `threads` workers (at least one).
    explicit BlockingPool(std::size_t threads);
    /// Waits for queued work to finish, then joins the workers (see join()).
    ~BlockingPool();

    /// Runs what is queued, then stops the workers; later work is dropped (run() then throws
    /// std::runtime_error at once). Call it before destroying what queued work refers to. Not
    /// from a worker. Safe to call twice.
    void join();
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    /// Runs `work` on a worker; the awaiting coroutine resumes on its own executor afterwards.
    /// An exception thrown by `work` is rethrown to the awaiting coroutine.
    Task<void> run(std::function<void()> work);

    /// Queues `work` without waiting for it; an exception it throws is passed to
    /// `on_error` (or dropped when none is given).
    void post(std::function<void()> work, std::function<void(std::exception_ptr)> on_error = {});

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace pm::rpc
