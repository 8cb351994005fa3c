#pragma once
// Template members of ControlTest.
#include "rpc/rpc_test_support.hpp"

namespace pm::testing {

template <class Response, class Request>
Reply<Response> ControlTest::call(const std::string& method, const Request& request,
                                  const std::string& bearer, const rpc::Headers& extra) {
    rpc::Headers headers = extra;
    if (!bearer.empty()) {
        headers.add("authorization", "Bearer " + bearer);
    }
    Reply<Response> reply;
    reply.status = run_on(io_, client_->unary("pm.v1.ControlService." + method, request,
                                              reply.response, headers));
    reply.headers = client_->last_response_headers();
    return reply;
}

}  // namespace pm::testing
