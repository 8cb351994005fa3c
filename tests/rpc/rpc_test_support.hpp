#pragma once

// Shared by the rpc tests: running a client coroutine to completion from a test body, and a
// server with the echo service on a free loopback port.

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <powermanage/rpc/client.hpp>
#include <powermanage/rpc/server.hpp>

#include "echo.pb.h"
#include "echo_service.hpp"

namespace pm::testing {

/// Runs `task` on `io` until it finishes (other work on `io`, such as an HTTP/2 connection's
/// reader, may stay pending) and returns its result; fails after 30 s.
template <class T>
T run_on(boost::asio::io_context& io, rpc::Task<T> task) {
    auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > give_up) {
            throw std::runtime_error("coroutine did not finish within 30 s");
        }
        io.restart();
        io.run_one_for(std::chrono::milliseconds(50));
    }
    return future.get();
}

/// Options for a cleartext test server on 127.0.0.1, port chosen by the system.
inline rpc::ServerOptions test_server_options() {
    rpc::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.io_threads = 2;
    options.limits.shutdown_grace = std::chrono::seconds(5);
    return options;
}

/// An echo request.
inline test::v1::EchoRequest echo_request(std::string message) {
    test::v1::EchoRequest request;
    request.set_message(std::move(message));
    return request;
}

}  // namespace pm::testing
