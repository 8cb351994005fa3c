#pragma once

// The HTTP/2 engine of the server: one coroutine per connection pumps nghttp2 (h2_session.hpp);
// every request stream becomes an H2Exchange (exchange.hpp) served by serve_exchange() in a
// coroutine of its own, on the connection's strand. Full duplex: a handler may read the request
// body and write the response at the same time (Connect bidi streams).
//
// Per connection: SETTINGS_MAX_CONCURRENT_STREAMS = Limits::max_concurrent_streams,
// SETTINGS_MAX_HEADER_LIST_SIZE = Limits::max_header_bytes (a larger request is answered 431),
// 1 MiB stream windows opened only as handlers read (backpressure), a 16 MiB connection window.
// PINGs are answered by nghttp2; client resets are rate-limited by nghttp2 (GOAWAY past the
// limit). A protocol error (bad preface, bad frame, flood) sends GOAWAY and closes that
// connection only. A connection with no streams that received nothing for
// Limits::idle_timeout gets GOAWAY and is closed. A socket write that takes longer than
// Limits::send_timeout (a peer that stopped reading) closes the connection; a stream whose peer
// takes none of its queued response for that long is reset (send_data() returns false).
//
// Graceful shutdown (Server::stop()): ConnectionInfo::control->begin_drain() makes the
// connection send GOAWAY (a shutdown notice, then the final GOAWAY with the last stream served
// about a second later), refuse new streams and close once in-flight streams are done; those
// still running after Limits::shutdown_grace are cut off (the connection closes, their exchange
// coroutines get terminal cancellation). Terminal cancellation of the serve_http2 coroutine
// itself closes the connection at once and cancels every exchange.

#include <functional>
#include <string>

#include <powermanage/rpc/server.hpp>

#include "rpc/exchange.hpp"
#include "rpc/transport.hpp"

namespace pm::rpc::detail {

class Router;

/// Serves each exchange of a connection: serve_exchange() bound to a Router in the server;
/// a stand-in in the transport's own tests. Must not throw (an exception is swallowed and the
/// stream reset).
using ExchangeHandler = std::function<Task<void>(Exchange&)>;

/// Serves one HTTP/2 connection (TLS after ALPN "h2", or cleartext after the client preface)
/// until it ends; see the file comment. `initial_bytes` are bytes the listener already read
/// (the client preface and whatever followed); they are parsed first. Must be awaited on the
/// connection's strand (everything of the connection, exchanges included, runs on it). Never
/// throws; returns once every exchange of the connection has finished.
Task<void> serve_http2(AnyStream stream, std::string initial_bytes, ConnectionInfo info,
                       const Router& router, const Limits& limits);

/// The same with any exchange handler (serve_http2 above passes serve_exchange(router, ...)).
Task<void> serve_http2(AnyStream stream, std::string initial_bytes, ConnectionInfo info,
                       ExchangeHandler handler, const Limits& limits);

}  // namespace pm::rpc::detail
