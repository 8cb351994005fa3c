// serve_http2 for the server proper: each exchange goes to serve_exchange(). A translation unit
// of its own so that the transport's tests, which serve exchanges with a stand-in, link without
// the protocol layer.

#include <utility>

#include "rpc/h2_server.hpp"

namespace pm::rpc::detail {

Task<void> serve_http2(AnyStream stream, std::string initial_bytes, ConnectionInfo info,
                       const Router& router, const Limits& limits) {
    return serve_http2(
        std::move(stream), std::move(initial_bytes), std::move(info),
        ExchangeHandler([&router](Exchange& exchange) { return serve_exchange(router, exchange); }),
        limits);
}

}  // namespace pm::rpc::detail
