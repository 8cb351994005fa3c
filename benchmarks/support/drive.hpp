#pragma once
// Shared by the benchmarks that run pm::rpc::Client coroutines: running a batch of them to
// completion on one io_context, one of them for its result, and latency quantiles.

#include <algorithm>
#include <chrono>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

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

/// Runs one task that returns a value on `io` (which other coroutines may share) and returns
/// its result, rethrowing its failure; no time limit.
template <class T>
T run(boost::asio::io_context& io, rpc::Task<T> task) {
    auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.restart();
        io.run_one_for(std::chrono::milliseconds(50));
    }
    return future.get();
}

/// The `p` quantile (0..1, nearest rank below) of `values`; 0 for none.
inline double percentile(std::vector<double> values, double p) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

/// drive() of one task.
inline void drive(boost::asio::io_context& io, rpc::Task<void> task, std::chrono::seconds limit) {
    std::vector<rpc::Task<void>> tasks;
    tasks.push_back(std::move(task));
    drive(io, std::move(tasks), limit);
}

}  // namespace pm::bench
