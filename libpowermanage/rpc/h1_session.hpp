#pragma once

// HTTP/1.1 on Beast: one coroutine per connection, requests one after the other (keep-alive),
// each served as an Exchange by serve_exchange(). Bodies stream in both directions, so
// server-streaming and client-streaming calls work half duplex.

#include <string>

#include "rpc/router.hpp"
#include "rpc/transport.hpp"

namespace pm::rpc::detail {

/// Serves one HTTP/1.1 connection until the peer closes it, a request is malformed (answered
/// 400/431, then closed), a timeout passes, or the server drains. See transport.hpp for the
/// arguments.
Task<void> serve_http1(AnyStream stream, std::string initial_bytes, ConnectionInfo info,
                       const Router& router, const Limits& limits);

}  // namespace pm::rpc::detail
