#pragma once

// The seam between transports and protocols. A transport (HTTP/1.1 on Beast, HTTP/2 on
// nghttp2) turns each request into an Exchange; the protocol layer (serve_exchange) reads the
// request, runs interceptors and the handler, and writes the response through it. Neither side
// knows the other's details, so Beast and nghttp2 template code stays in the transport
// translation units.

#include <optional>
#include <string>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/service.hpp>

namespace pm::rpc::detail {

/// What a transport knows about a request before its body.
struct RequestHead {
    std::string method;     ///< "POST", "GET", "OPTIONS", ...
    std::string path;       ///< ":path" / request target, without the query
    Headers headers;        ///< lower-case names; no pseudo-headers
    int http_version = 11;  ///< 11 or 20
    bool secure = false;    ///< arrived over TLS
    std::string remote_address;
    std::optional<PeerCertificate> peer_certificate;
    std::string peer_identity;  ///< from TlsOptions::identity_mapper
};

/// One HTTP request and its response, on either HTTP version.
class Exchange {
public:
    virtual ~Exchange() = default;

    /// The request line and headers.
    virtual const RequestHead& head() const = 0;
    /// The same, for a protocol that takes the header fields over (take_context()) rather than
    /// copy them; head().headers is empty afterwards.
    virtual RequestHead& head_to_take() = 0;
    /// The next piece of the request body, or nullopt at its end. Throws RpcError(canceled)
    /// if the peer reset the request.
    virtual Task<std::optional<std::string>> read_body() = 0;
    /// Sends the status line and headers; `end` closes the response with no body.
    virtual Task<void> send_headers(int status, const Headers& headers, bool end) = 0;
    /// Sends body bytes; waits while the peer's flow-control window or the send queue is full.
    /// Returns false if the peer went away.
    virtual Task<bool> send_data(std::string data, bool end) = 0;
    /// Ends the response with trailers (HTTP/2 only).
    virtual Task<void> send_trailers(const Headers& trailers) = 0;
    /// Whether trailers and full duplex are available (HTTP/2).
    virtual bool http2() const = 0;
};

class Router;

/// Serves one exchange completely: routing, CORS, decoding, interceptors, handler, encoding,
/// errors. Never throws; a broken exchange ends quietly.
Task<void> serve_exchange(const Router& router, Exchange& exchange);

}  // namespace pm::rpc::detail
