#pragma once

/// @file
/// @brief One server for every way clients reach pm.v1: Connect (unary and streaming), gRPC
/// and gRPC-Web, in binary protobuf or JSON, over HTTP/1.1 (Boost.Beast) and HTTP/2 (nghttp2),
/// cleartext or TLS with optional or required client certificates. All on Asio, one coroutine
/// per connection, no thread per connection.
///
/// A server runs on its own I/O threads, or on an io_context the caller shares with other
/// servers and runs itself (Server(ServerOptions, std::shared_ptr<io_context>)). Interceptors
/// are either server-wide (add_interceptor: every call, e.g. per-address rate limits) or scoped
/// to one service (add_service_interceptor: its methods only, e.g. the authentication a
/// service needs), so that several services with their own rules share one server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <powermanage/rpc/service.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace pm::rpc {

/// TLS for a listener.
struct TlsOptions {
    /// Whether clients must, may or must not present a certificate.
    enum class ClientAuth { none, optional, required };

    std::string certificate_file;  ///< server certificate chain (PEM)
    std::string private_key_file;  ///< its key (PEM)
    std::string client_ca_file;    ///< CA bundle client certificates must chain to (PEM)
    ClientAuth client_auth = ClientAuth::none;  ///< whether a client certificate is asked for
    /// Lowest protocol version accepted: 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3).
    int min_version = 0x0304;
    /// Maps a verified client certificate to an identity (e.g. its CN as a device id); an
    /// empty result refuses the connection's calls with unauthenticated.
    std::function<std::string(const PeerCertificate&)> identity_mapper;
};

/// Limits; each answers with the right Connect/gRPC error or a clean close when exceeded.
struct Limits {
    std::size_t max_request_body = 8u << 20;     ///< unary request body (after decompression)
    std::size_t max_stream_message = 16u << 20;  ///< one inbound stream message
    std::size_t max_header_bytes = 64u << 10;    ///< all request headers together
    std::uint32_t max_concurrent_streams = 256;  ///< HTTP/2 streams per connection
    std::size_t max_connections = 20000;         ///< open connections per server
    std::chrono::milliseconds handshake_timeout{10000};  ///< TLS handshake
    std::chrono::milliseconds request_timeout{30000};    ///< headers and body of a unary call
    std::chrono::milliseconds idle_timeout{300000};      ///< a connection with no calls
    std::size_t send_queue_messages = 64;                ///< ServerStream::write queue length
    std::chrono::milliseconds send_timeout{10000};       ///< longest wait to queue one message
    std::chrono::milliseconds shutdown_grace{10000};  ///< in-flight calls get this long on stop()
};

/// Cross-origin requests from browsers.
struct CorsOptions {
    bool enabled = false;                      ///< answer preflights and add CORS headers
    std::vector<std::string> allowed_origins;  ///< empty = any origin
};

/// Where and how a server listens.
struct ServerOptions {
    std::string listen_address = "127.0.0.1:0";  ///< host:port; port 0 picks a free one
    std::optional<TlsOptions> tls;               ///< cleartext (HTTP/1.1 and h2c) when unset
    Limits limits;                               ///< sizes and timeouts every connection is held to
    CorsOptions cors;                            ///< browsers' cross-origin requests
    bool security_headers = true;  ///< X-Frame-Options, nosniff, ... on every response
    /// JSON requests may carry fields the schema does not know (they are dropped), as connect-go
    /// v1.18's JSON codec allows so that clients and servers can evolve apart. False answers
    /// them with invalid_argument.
    bool json_ignore_unknown_fields = true;
    /// 0 = one per core. Unused by a server on a shared io_context (its owner runs the threads).
    std::size_t io_threads = 0;
};

/// An HTTP answer for the plain routes (/health, /ready) and the plain fallback.
struct PlainResponse {
    int status = 200;                         ///< the HTTP status
    std::string content_type = "text/plain";  ///< its Content-Type
    std::string body;                         ///< its body
    /// Further response fields (e.g. Cache-Control, Content-Security-Policy); each replaces a
    /// field of the same name the server would send (e.g. a security header).
    Headers headers{};
};

/// Answers a GET or HEAD request for a path that no plain route and no RPC serves: `path` is
/// the request's path without the query, `request_headers` its fields. nullopt leaves the
/// answer to the server (404). Runs on an I/O thread, so it must not block; it may be called
/// concurrently.
using PlainFallback = std::function<std::optional<PlainResponse>(std::string_view path,
                                                                 const Headers& request_headers)>;

/// The server. Register handlers, then start(); stop() finishes in-flight calls.
class Server {
public:
    /// A server with its own io_context and `options.io_threads` threads, started by start()
    /// and joined by stop().
    explicit Server(ServerOptions options);
    /// A server on `io`, which the caller runs (io.run() on threads of its own) from before
    /// start() until after stop() returns: stop() waits for this server's connections to
    /// finish, and that needs the threads. The server never stops `io` and starts no threads;
    /// it keeps `io` alive while it exists. Several servers may share one io_context.
    Server(ServerOptions options, std::shared_ptr<boost::asio::io_context> io);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Serves a unary method, e.g. "pm.v1.ControlService.Login". Throws std::invalid_argument
    /// if no such method is in the generated pool or it is streaming.
    void add_unary(std::string_view full_method, UnaryHandler handler);
    /// Serves a streaming method (client, server or bidi streaming).
    void add_stream(std::string_view full_method, StreamHandler handler);
    /// Typed form of add_unary.
    template <class Request, class Response>
    void add_unary(std::string_view full_method,
                   std::function<Task<Result<Response>>(CallContext&, const Request&)> handler);

    /// Runs before every handler of every service on this server, in the order added: for
    /// what concerns all callers alike (e.g. rate_limit() per client address). Server-wide
    /// interceptors run before the service-scoped ones.
    void add_interceptor(Interceptor interceptor);
    /// Runs before the handlers of `service`'s methods only ("pm.v1.ControlService": the full
    /// service name), in the order added, after the server-wide ones: a service's own
    /// authentication and policy, which must not gate other services on the same server.
    /// Throws std::invalid_argument if no such service is in the generated pool.
    void add_service_interceptor(std::string_view service, Interceptor interceptor);
    /// Told about every finished call.
    void add_observer(CallObserver observer);
    /// Serves GET and HEAD `path` (e.g. "/health") with what `handler` returns (HEAD: the
    /// same status and fields, no body).
    void add_plain_route(std::string path, std::function<PlainResponse()> handler);
    /// Lets `fallback` answer GET and HEAD requests for paths that neither a plain route nor an
    /// RPC serves, e.g. a single-page app's own paths; other methods on such paths, and the
    /// paths it declines, stay 404. Call before start(); replaces an earlier fallback.
    void set_plain_fallback(PlainFallback fallback);

    /// Binds and starts serving on the I/O threads (its own, or the shared io_context's).
    /// Throws std::system_error if the address cannot be bound, std::runtime_error for
    /// unusable TLS files (naming the file).
    void start();
    /// The bound port (after start()).
    std::uint16_t port() const;
    /// Stops accepting, lets in-flight calls finish within the grace period, closes the rest,
    /// and joins its own I/O threads; a shared io_context keeps running. Safe to call twice.
    void stop();

    /// Connections open now.
    std::size_t connection_count() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

template <class Request, class Response>
void Server::add_unary(
    std::string_view full_method,
    std::function<Task<Result<Response>>(CallContext&, const Request&)> handler) {
    add_unary(
        full_method,
        [handler = std::move(handler)](CallContext& ctx, const google::protobuf::Message& request)
            -> Task<Result<std::unique_ptr<google::protobuf::Message>>> {
            auto result = co_await handler(ctx, static_cast<const Request&>(request));
            if (!result.ok()) {
                co_return result.status();
            }
            co_return std::unique_ptr<google::protobuf::Message>(
                std::make_unique<Response>(std::move(result.value())));
        });
}

}  // namespace pm::rpc
