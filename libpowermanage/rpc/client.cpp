// Client: Connect unary over HTTP/1.1 (Beast, keep-alive) or HTTP/2 (the nghttp2 client of
// h2_client.hpp), and Connect streams over HTTP/2; cleartext or TLS with SNI, server
// verification and an optional client certificate.

#include <optional>
#include <stdexcept>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <google/protobuf/descriptor.h>

#include <powermanage/rpc/client.hpp>

#include "rpc/async_gate.hpp"
#include "rpc/codec.hpp"
#include "rpc/compression.hpp"
#include "rpc/connect_error.hpp"
#include "rpc/h2_client.hpp"
#include "rpc/tls.hpp"
#include "rpc/transport.hpp"

namespace pm::rpc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kUserAgent = "powermanage-rpc/0.1";
constexpr std::size_t kMaxResponseBody = 64u << 20;

// "http[s]://host[:port][/prefix]".
struct Target {
    bool tls = false;
    std::string host;
    std::string port;
    std::string authority;  // Host / :authority
    std::string prefix;     // path prefix without a trailing '/'
};

Target parse_url(const std::string& url) {
    Target target;
    std::string_view rest = url;
    if (rest.starts_with("https://")) {
        target.tls = true;
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else {
        throw std::invalid_argument("base_url \"" + url + "\" must start with http:// or https://");
    }
    const auto slash = rest.find('/');
    const auto host_port = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        target.prefix = std::string(rest.substr(slash));
        while (!target.prefix.empty() && target.prefix.back() == '/') {
            target.prefix.pop_back();
        }
    }
    std::string_view host = host_port;
    std::string_view port;
    if (host.starts_with('[')) {
        const auto close = host.find(']');
        if (close == std::string_view::npos) {
            throw std::invalid_argument("base_url \"" + url + "\" has an unclosed IPv6 literal");
        }
        port = host.substr(close + 1);
        host = host.substr(1, close - 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        port = host.substr(colon);
        host = host.substr(0, colon);
    }
    if (!port.empty()) {
        if (port.front() != ':' || port.size() == 1) {
            throw std::invalid_argument("base_url \"" + url + "\" has a malformed port");
        }
        port.remove_prefix(1);
    }
    if (host.empty()) {
        throw std::invalid_argument("base_url \"" + url + "\" has no host");
    }
    target.host = std::string(host);
    target.port = port.empty() ? (target.tls ? "443" : "80") : std::string(port);
    target.authority = std::string(host_port);
    return target;
}

// "pm.v1.ControlService.Login" -> "/pm.v1.ControlService/Login".
std::string route_of(std::string_view full_method) {
    const auto dot = full_method.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == full_method.size()) {
        return {};
    }
    return "/" + std::string(full_method.substr(0, dot)) + "/" +
           std::string(full_method.substr(dot + 1));
}

std::string_view unary_content_type(Codec codec) {
    return codec == Codec::json ? "application/json" : "application/proto";
}

// A stream that failed before it started: every operation reports the same status.
class FailedStream final : public ClientStream {
public:
    explicit FailedStream(Status status) : status_(std::move(status)) {}
    Task<Status> write(const google::protobuf::Message&) override { co_return status_; }
    Task<void> close_send() override { co_return; }
    Task<bool> read(google::protobuf::Message&) override { co_return false; }
    Status finish() const override { return status_; }
    void cancel() override {}

private:
    Status status_;
};

// A whole HTTP response, as either transport delivers it.
struct Reply {
    int status = 0;
    Headers headers;
    std::string body;
};

// Turns a Connect unary response into the call's status (and `response` on success).
Status read_reply(Reply& reply, Codec codec, google::protobuf::Message& response) {
    if (const auto encoding = reply.headers.get("content-encoding");
        encoding && !detail::is_identity(*encoding)) {
        if (*encoding != "gzip") {
            return {Code::internal,
                    "server used unsupported content-encoding \"" + std::string(*encoding) + "\""};
        }
        std::string inflated;
        if (auto status = detail::gzip_decompress(reply.body, kMaxResponseBody, inflated);
            !status.ok()) {
            return {Code::internal, "response: " + status.message};
        }
        reply.body = std::move(inflated);
    }
    if (reply.status != 200) {
        const auto type = reply.headers.get("content-type").value_or("");
        if (type.starts_with("application/json")) {
            if (auto status = detail::parse_connect_error(reply.body)) {
                return *status;
            }
        }
        return {code_for_http_status(reply.status), "HTTP " + std::to_string(reply.status)};
    }
    // A newer server may know fields this client does not.
    auto status = detail::decode_message(codec, reply.body, response, true);
    if (!status.ok()) {
        return {Code::internal, "response: " + status.message};
    }
    return {};
}

Status error_status(const std::exception& error, Code code) {
    return {code, error.what()};
}

// A stream that keeps its connection open: the client replaces a connection that got GOAWAY,
// and dropping the last reference to one ends the calls still running on it.
class ConnectionHoldingStream final : public ClientStream {
public:
    ConnectionHoldingStream(std::shared_ptr<detail::H2ClientConnection> connection,
                            std::unique_ptr<ClientStream> stream)
        : connection_(std::move(connection)), stream_(std::move(stream)) {}
    Task<Status> write(const google::protobuf::Message& message) override {
        return stream_->write(message);
    }
    Task<void> close_send() override { return stream_->close_send(); }
    Task<bool> read(google::protobuf::Message& into) override { return stream_->read(into); }
    Status finish() const override { return stream_->finish(); }
    void cancel() override { stream_->cancel(); }

private:
    // Declared first, so destroyed after the stream it carries.
    std::shared_ptr<detail::H2ClientConnection> connection_;
    std::unique_ptr<ClientStream> stream_;
};

// Asio's operator|| waits for the first operand to *succeed*: one that throws is ignored while
// the other keeps running. A round trip that failed at once (say, the server refused the client
// certificate and closed the connection) would then surface only when the deadline timer
// fired, as deadline_exceeded. So the failure travels as a value.
Task<Result<detail::H2Response>> round_trip_or_status(
    std::shared_ptr<detail::H2ClientConnection> connection, detail::H2Request request,
    std::string body) {
    Result<detail::H2Response> result = Status{Code::unknown, "not run"};
    try {
        auto response = co_await connection->round_trip(request, std::move(body), kMaxResponseBody);
        result = std::move(response);
    } catch (const RpcError& error) {
        result = error.status();
    } catch (const std::exception& error) {  // a socket error, or our own cancellation
        result = error_status(error, Code::unavailable);
    }
    co_return result;
}

}  // namespace

struct Client::Impl {
    Impl(asio::any_io_executor ex, ClientOptions client_options)
        : executor(std::move(ex)),
          options(std::move(client_options)),
          target(parse_url(options.base_url)),
          server_name(options.server_name.empty() ? target.host : options.server_name) {
        if (target.tls) {
            h1_tls.emplace(detail::make_client_context(options.ca_file, options.certificate_file,
                                                       options.private_key_file, {"http/1.1"}));
            h2_tls.emplace(detail::make_client_context(options.ca_file, options.certificate_file,
                                                       options.private_key_file, {"h2"}));
        }
    }

    asio::any_io_executor executor;
    ClientOptions options;
    Target target;
    std::string server_name;
    std::optional<ssl::context> h1_tls;
    std::optional<ssl::context> h2_tls;

    std::optional<detail::AnyStream> h1;  // the kept-alive HTTP/1.1 connection
    beast::flat_buffer h1_buffer;
    detail::AsyncGate h1_gate;  // HTTP/1.1 carries one call at a time
    // Shared with the calls running on it: replacing a connection that got GOAWAY must not
    // end the calls the server is still finishing on it.
    std::shared_ptr<detail::H2ClientConnection> h2;
    detail::AsyncGate h2_connect_gate;  // one caller connects, concurrent ones wait for it
    Headers last_headers;

    Task<detail::AnyStream> connect(Clock::time_point deadline, bool http2);
    Task<Reply> h1_round_trip(const std::string& path, const Headers& headers, std::string body,
                              Clock::time_point deadline);
    Task<Reply> h2_round_trip(const std::string& path, const Headers& headers, std::string body,
                              Clock::time_point deadline);
    Task<std::shared_ptr<detail::H2ClientConnection>> h2_connection(Clock::time_point deadline);
    Headers request_headers(const Headers& extra) const;
};

Headers Client::Impl::request_headers(const Headers& extra) const {
    Headers headers;
    for (const auto& [name, value] : options.headers.fields()) {
        headers.add(name, value);
    }
    for (const auto& [name, value] : extra.fields()) {
        headers.add(name, value);
    }
    return headers;
}

// TCP (and TLS) to the server, within `deadline`. Throws RpcError(unavailable) or
// RpcError(deadline_exceeded).
Task<detail::AnyStream> Client::Impl::connect(Clock::time_point deadline, bool http2) {
    tcp::resolver resolver(executor);
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(target.host, target.port, kAwait);
    if (resolve_error) {
        throw RpcError(Code::unavailable,
                       "cannot resolve " + target.host + ": " + resolve_error.message());
    }
    tcp::socket socket(executor);
    asio::steady_timer timer(executor, deadline);
    auto connected =
        co_await (asio::async_connect(socket, endpoints, kAwait) || timer.async_wait(kAwait));
    if (connected.index() != 0) {
        throw RpcError(Code::deadline_exceeded, "timed out connecting to " + target.authority);
    }
    if (const auto error = std::get<0>(std::get<0>(connected))) {
        throw RpcError(Code::unavailable,
                       "cannot connect to " + target.authority + ": " + error.message());
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (!target.tls) {
        co_return detail::AnyStream(std::move(socket));
    }
    detail::AnyStream::TlsStream stream(std::move(socket), http2 ? *h2_tls : *h1_tls);
    // SNI names hosts only (RFC 6066), never address literals.
    boost::system::error_code not_an_address;
    asio::ip::make_address(server_name, not_an_address);
    if (not_an_address) {
        SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(server_name.c_str()));
    }
    stream.set_verify_callback(ssl::host_name_verification(server_name));
    auto handshake = co_await (stream.async_handshake(ssl::stream_base::client, kAwait) ||
                               timer.async_wait(kAwait));
    if (handshake.index() != 0) {
        throw RpcError(Code::deadline_exceeded,
                       "timed out in the TLS handshake with " + target.authority);
    }
    if (const auto error = std::get<0>(std::get<0>(handshake))) {
        throw RpcError(Code::unavailable,
                       "TLS handshake with " + target.authority + " failed: " + error.message());
    }
    if (http2 && detail::selected_alpn(stream.native_handle()) != "h2") {
        throw RpcError(Code::unavailable, target.authority + " does not offer HTTP/2 (ALPN h2)");
    }
    co_return detail::AnyStream(std::move(stream));
}

Task<Reply> Client::Impl::h1_round_trip(const std::string& path, const Headers& headers,
                                        std::string body, Clock::time_point deadline) {
    if (!co_await h1_gate.acquire(deadline)) {
        throw RpcError(Code::deadline_exceeded, "timed out waiting for the connection");
    }
    const detail::AsyncGate::Turn turn(h1_gate);
    http::request<http::string_body> request(http::verb::post, path, 11);
    request.set(http::field::host, target.authority);
    request.set(http::field::user_agent, kUserAgent);
    for (const auto& [name, value] : headers.fields()) {
        request.insert(name, value);
    }
    request.body() = std::move(body);
    request.keep_alive(true);
    request.prepare_payload();
    // A kept-alive connection may have been closed by the server meanwhile; only then is a
    // second attempt safe, because the server cannot have seen the request.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = h1.has_value();
        if (!h1) {
            h1.emplace(co_await connect(deadline, false));
            h1_buffer.clear();
        }
        h1->expires_at(deadline);
        auto [write_error, written] = co_await http::async_write(*h1, request, kAwait);
        http::response_parser<http::string_body> parser;
        parser.body_limit(kMaxResponseBody);
        boost::system::error_code read_error;
        if (!write_error) {
            std::tie(read_error, std::ignore) =
                co_await http::async_read(*h1, h1_buffer, parser, kAwait);
        }
        const bool timed_out = h1->timed_out();
        const auto error = write_error ? write_error : read_error;
        if (error) {
            h1.reset();
            if (timed_out) {
                throw RpcError(Code::deadline_exceeded, "deadline exceeded");
            }
            const bool nothing_received = !parser.got_some();
            if (reused && nothing_received && attempt == 0) {
                continue;
            }
            throw RpcError(Code::unavailable, "HTTP/1.1 call failed: " + error.message());
        }
        h1->expires_never();
        auto response = parser.release();
        if (!response.keep_alive()) {
            h1.reset();
        }
        Reply reply;
        reply.status = static_cast<int>(response.result_int());
        for (const auto& field : response) {
            reply.headers.add(std::string(field.name_string()), std::string(field.value()));
        }
        reply.body = std::move(response.body());
        co_return reply;
    }
    throw RpcError(Code::unavailable, "HTTP/1.1 call failed");
}

Task<std::shared_ptr<detail::H2ClientConnection>> Client::Impl::h2_connection(
    Clock::time_point deadline) {
    auto connection = h2;
    if (connection && connection->is_open()) {
        co_return connection;
    }
    // Without the gate, callers arriving together would each connect, and each new connection
    // would replace (and close) the one the previous caller had just started its call on.
    const bool granted = co_await h2_connect_gate.acquire(deadline);  // named: see h2_client.cpp
    if (!granted) {
        throw RpcError(Code::deadline_exceeded, "timed out waiting for the connection");
    }
    const detail::AsyncGate::Turn turn(h2_connect_gate);
    if (!h2 || !h2->is_open()) {  // unless the caller before us connected meanwhile
        auto stream = co_await connect(deadline, true);
        h2 = std::make_shared<detail::H2ClientConnection>(executor, std::move(stream));
    }
    connection = h2;
    co_return connection;
}

Task<Reply> Client::Impl::h2_round_trip(const std::string& path, const Headers& headers,
                                        std::string body, Clock::time_point deadline) {
    auto connection = co_await h2_connection(deadline);
    detail::H2Request request;
    request.scheme = target.tls ? "https" : "http";
    request.authority = target.authority;
    request.path = path;
    request.headers = headers;
    request.headers.set("user-agent", std::string(kUserAgent));
    asio::steady_timer timer(executor, deadline);
    auto outcome =
        co_await (round_trip_or_status(connection, std::move(request), std::move(body)) ||
                  timer.async_wait(asio::use_awaitable));
    if (outcome.index() != 0) {
        throw RpcError(Code::deadline_exceeded, "deadline exceeded");
    }
    auto& result = std::get<0>(outcome);
    if (!result.ok()) {
        throw RpcError(result.status().code, result.status().message);
    }
    auto& response = result.value();
    Reply reply{response.status, std::move(response.headers), std::move(response.body)};
    co_return reply;
}

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

Client::~Client() = default;

Task<Status> Client::unary(std::string_view full_method, const google::protobuf::Message& request,
                           google::protobuf::Message& response, const Headers& extra) {
    auto& impl = *impl_;
    const auto path = route_of(full_method);
    if (path.empty()) {
        co_return Status{Code::invalid_argument,
                         "\"" + std::string(full_method) + "\" is not a full method name"};
    }
    const auto codec = impl.options.codec;
    std::string body;
    if (auto status = detail::encode_message(codec, request, body); !status.ok()) {
        co_return status;
    }
    auto headers = impl.request_headers(extra);
    headers.set("content-type", std::string(unary_content_type(codec)));
    headers.set("connect-protocol-version", "1");
    headers.set("accept-encoding", "gzip");
    const auto timeout = impl.options.timeout;
    headers.set("connect-timeout-ms", std::to_string(std::max<std::int64_t>(timeout.count(), 1)));
    // A little slack past the server's deadline, so its deadline_exceeded answer arrives.
    const auto deadline = Clock::now() + timeout + std::chrono::milliseconds(250);
    Reply reply;
    try {
        if (impl.options.http2) {
            reply = co_await impl.h2_round_trip(impl.target.prefix + path, headers, std::move(body),
                                                deadline);
        } else {
            reply = co_await impl.h1_round_trip(impl.target.prefix + path, headers, std::move(body),
                                                deadline);
        }
    } catch (const RpcError& error) {
        co_return error.status();
    } catch (const std::exception& error) {
        co_return error_status(error, Code::unavailable);
    }
    auto status = read_reply(reply, codec, response);
    impl.last_headers = std::move(reply.headers);
    co_return status;
}

Task<std::unique_ptr<ClientStream>> Client::stream(std::string_view full_method,
                                                   const Headers& extra) {
    auto& impl = *impl_;
    const auto path = route_of(full_method);
    if (path.empty()) {
        co_return std::make_unique<FailedStream>(
            Status{Code::invalid_argument,
                   "\"" + std::string(full_method) + "\" is not a full method name"});
    }
    if (!impl.options.http2) {
        co_return std::make_unique<FailedStream>(
            Status{Code::unimplemented, "streams need HTTP/2: set ClientOptions::http2"});
    }
    try {
        auto connection = co_await impl.h2_connection(Clock::now() + impl.options.timeout);
        detail::ConnectStreamRequest request;
        request.scheme = impl.target.tls ? "https" : "http";
        request.authority = impl.target.authority;
        request.path = impl.target.prefix + path;
        request.codec = impl.options.codec;
        request.headers = impl.request_headers(extra);
        auto stream = detail::open_connect_stream(*connection, request);
        co_return std::make_unique<ConnectionHoldingStream>(std::move(connection),
                                                            std::move(stream));
    } catch (const RpcError& error) {
        co_return std::make_unique<FailedStream>(error.status());
    } catch (const std::exception& error) {
        co_return std::make_unique<FailedStream>(error_status(error, Code::unavailable));
    }
}

const Headers& Client::last_response_headers() const {
    return impl_->last_headers;
}

}  // namespace pm::rpc
