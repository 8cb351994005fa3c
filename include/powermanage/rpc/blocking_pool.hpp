#pragma once
/// @file
/// @brief Runs blocking work (database queries, password hashing, signing) on a thread pool
/// and resumes the awaiting coroutine on its own executor, so that I/O threads never block.
#include <cstddef>
#include <functional>
#include <memory>

#include <powermanage/rpc/service.hpp>

namespace pm::rpc {

/// A fixed pool of worker threads for blocking work.
class BlockingPool {
public:
    /// Starts `threads` workers (at least one).
    explicit BlockingPool(std::size_t threads);
    /// Waits for queued work to finish, then joins the workers.
    ~BlockingPool();
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    /// Runs `work` on a worker; the awaiting coroutine resumes on its own executor afterwards.
    /// An exception thrown by `work` is rethrown to the awaiting coroutine.
    Task<void> run(std::function<void()> work);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace pm::rpc
