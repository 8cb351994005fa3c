#pragma once

// The HTTP/2 client: one connection (TLS after ALPN "h2", or cleartext with prior knowledge)
// carrying any number of concurrent calls, each a request stream with a streamed body in both
// directions (full duplex). Client (client.hpp) builds Connect unary calls and Connect streams
// on it; open_connect_stream() is the Connect bidi/streaming ClientStream.
//
// Threading: a connection and its calls must be used from the executor the connection was made
// on, which must be a strand or a single-threaded io_context.
//
// Errors: calls throw RpcError: unavailable when the connection is closed or refused the
// stream (safe to retry), canceled when the server cancelled the stream, the gRPC mapping of
// other RST_STREAM codes (code_for_h2_error) otherwise.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <powermanage/rpc/client.hpp>
#include <powermanage/rpc/context.hpp>

#include "rpc/h2_session.hpp"
#include "rpc/transport.hpp"

namespace pm::rpc::detail {

/// A request's head.
struct H2Request {
    std::string method = "POST";  ///< :method
    std::string scheme = "http";  ///< :scheme ("https" on TLS)
    std::string authority;        ///< :authority, "host:port"
    std::string path;             ///< :path, with any query
    Headers headers;              ///< regular fields (lower-case names)
};

/// A response's head.
struct H2ResponseHead {
    int status = 0;   ///< :status
    Headers headers;  ///< regular fields
};

/// A whole response (round_trip()).
struct H2Response {
    int status = 0;    ///< :status
    Headers headers;   ///< response headers
    std::string body;  ///< the body
    Headers trailers;  ///< trailers, if any
};

/// One request/response exchange on an H2ClientConnection. Dropping it before the response
/// ended resets the stream (CANCEL).
class H2ClientCall {
public:
    /// A call on `stream` of `connection` (made by H2ClientConnection::start()).
    H2ClientCall(std::shared_ptr<H2Connection> connection, std::shared_ptr<H2Stream> stream);
    ~H2ClientCall();
    H2ClientCall(const H2ClientCall&) = delete;
    H2ClientCall& operator=(const H2ClientCall&) = delete;

    /// The HTTP/2 stream id.
    std::int32_t stream_id() const;
    /// Sends request body bytes; `end` ends the request. Waits while the server's window is
    /// closed and the send queue is full. False if the stream or connection is gone, or the
    /// request was already ended (the response then tells why).
    Task<bool> send_data(std::string data, bool end = false);
    /// Waits for the response head. Throws RpcError (see the file comment).
    Task<H2ResponseHead> read_head();
    /// The next response body bytes, or nullopt at the end of the response. Reading is what
    /// opens the flow-control window, so a call that is not read stops its server. Throws
    /// RpcError if the stream fails before its end.
    Task<std::optional<std::string>> read_data();
    /// The response trailers (complete once read_data() returned nullopt).
    const Headers& trailers() const;
    /// Ends the call now (RST_STREAM CANCEL).
    void cancel();

private:
    std::shared_ptr<H2Connection> connection_;
    std::shared_ptr<H2Stream> stream_;
};

/// An HTTP/2 client connection; see the file comment. Destroying it closes the connection
/// (GOAWAY); calls still running then fail with unavailable.
class H2ClientConnection {
public:
    /// Starts HTTP/2 on a connected stream: sends the preface and SETTINGS and runs the
    /// connection on `executor` (see the file comment). `settings.idle_timeout` and
    /// `shutdown_grace` are ignored on the client.
    H2ClientConnection(boost::asio::any_io_executor executor, AnyStream stream,
                       H2Settings settings = {});
    ~H2ClientConnection();
    H2ClientConnection(const H2ClientConnection&) = delete;
    H2ClientConnection& operator=(const H2ClientConnection&) = delete;

    /// Starts a request; with `end_stream` it has no body. Beyond the server's
    /// SETTINGS_MAX_CONCURRENT_STREAMS, nghttp2 holds the request until a stream ends (until
    /// the server's SETTINGS arrive it assumes 100; a server with a lower limit refuses the
    /// excess, which then fails with unavailable and is safe to retry). Throws
    /// RpcError(unavailable) if the connection is closed or going away.
    std::unique_ptr<H2ClientCall> start(const H2Request& request, bool end_stream = false);
    /// A whole request and response. Throws RpcError as the calls do, resource_exhausted if the
    /// response body exceeds `max_response_body`.
    Task<H2Response> round_trip(const H2Request& request, std::string body,
                                std::size_t max_response_body = 64u << 20);

    /// True while new calls can start (open, no GOAWAY from the server).
    bool is_open() const;
    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS (once its SETTINGS arrived).
    std::uint32_t remote_max_concurrent_streams() const;
    /// Sends GOAWAY and closes once it went out.
    void close();
    /// Closes the socket now.
    void abort();
    /// Waits until the connection has ended (closed by either side, or failed).
    Task<void> wait_closed();

private:
    std::shared_ptr<H2Connection> connection_;
};

/// What open_connect_stream() sends.
struct ConnectStreamRequest {
    std::string scheme = "http";  ///< "https" on TLS
    std::string authority;        ///< "host:port"
    std::string path;             ///< "/pm.v1.AgentService/Stream", after any base-URL prefix
    Codec codec = Codec::proto;   ///< application/connect+proto or +json
    Headers headers;              ///< extra request headers (authorization, ...)
    /// Sent as Connect-Timeout-Ms (the server enforces it).
    std::optional<std::chrono::milliseconds> timeout;
    std::size_t max_message = 16u << 20;  ///< largest message accepted from the server
};

/// Opens a Connect streaming call (bidi, client or server streaming) on `connection`: envelopes
/// both ways, the end-of-stream message read into finish(). Uncompressed in both directions
/// (no Connect-Accept-Encoding is offered). The stream keeps the connection's internals alive;
/// use it on the connection's executor. Throws RpcError(unavailable) if the connection cannot
/// start a call.
std::unique_ptr<ClientStream> open_connect_stream(H2ClientConnection& connection,
                                                  const ConnectStreamRequest& request);

}  // namespace pm::rpc::detail
