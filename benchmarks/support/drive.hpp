#pragma once
// Shared by the benchmarks that run pm::rpc::Client coroutines: running a batch of them to
// completion on one io_context.

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <powermanage/rpc/service.hpp>

namespace pm::bench {

/// Runs the tasks on `io` until all have finished, rethrowing the first failure. The clients'
/// HTTP/2 connections keep a read pending, so io.run() would never return: handlers run one at
/// a time until the tasks are done, or `limit` passed (then std::runtime_error).
inline void drive(boost::asio::io_context& io, std::vector<rpc::Task<void>> tasks,
                  std::chrono::seconds limit) {
    std::size_t left = tasks.size();
    std::exception_ptr failure;
    for (auto& task : tasks) {
        boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr error) {
            if (error && !failure) {
                failure = error;
            }
            --left;
        });
    }
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (left > 0) {
        if (std::chrono::steady_clock::now() > give_up) {
            throw std::runtime_error("a batch did not finish within " +
                                     std::to_string(limit.count()) + " s");
        }
        io.restart();
        io.run_one_for(std::chrono::milliseconds(100));
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

/// drive() of one task.
inline void drive(boost::asio::io_context& io, rpc::Task<void> task, std::chrono::seconds limit) {
    std::vector<rpc::Task<void>> tasks;
    tasks.push_back(std::move(task));
    drive(io, std::move(tasks), limit);
}

}  // namespace pm::bench
