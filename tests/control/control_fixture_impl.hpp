#pragma once
// Template members of ControlTest.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "rpc/rpc_test_support.hpp"

namespace pm::testing {

template <class Response, class Request>
Reply<Response> ControlTest::call(const std::string& method, const Request& request,
                                  const std::string& bearer, const rpc::Headers& extra) {
    return call_on<Response>(*client_, method, request, bearer, extra);
}

template <class Response, class Request>
Reply<Response> ControlTest::call_on(rpc::Client& client, const std::string& method,
                                     const Request& request, const std::string& bearer,
                                     const rpc::Headers& extra) {
    rpc::Headers headers = extra;
    if (!bearer.empty()) {
        headers.add("authorization", "Bearer " + bearer);
    }
    Reply<Response> reply;
    reply.status = run_on(
        io_, client.unary("pm.v1.ControlService." + method, request, reply.response, headers));
    reply.headers = client.last_response_headers();
    return reply;
}

template <class Response, class Request>
std::vector<rpc::Status> ControlTest::call_concurrently(const std::string& method,
                                                        const std::vector<Request>& requests) {
    std::vector<rpc::Status> statuses(requests.size());
    std::size_t done = 0;
    const std::string full = "pm.v1.ControlService." + method;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        boost::asio::co_spawn(
            io_,
            [this, &requests, &statuses, &done, &full, i]() -> rpc::Task<void> {
                Response response;
                try {
                    statuses[i] = co_await client_->unary(full, requests[i], response);
                } catch (const std::exception& error) {
                    statuses[i] = rpc::Status{rpc::Code::internal, error.what()};
                }
                ++done;
            },
            boost::asio::detached);
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (done < requests.size()) {
        if (std::chrono::steady_clock::now() > give_up) {
            throw std::runtime_error("concurrent calls did not finish within 60 s");
        }
        io_.restart();
        io_.run_one_for(std::chrono::milliseconds(50));
    }
    return statuses;
}

}  // namespace pm::testing
