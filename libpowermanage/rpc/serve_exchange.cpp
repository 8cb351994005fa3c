// serve_exchange(): from an HTTP request to the protocol that serves it. CORS preflights, plain
// routes (GET and HEAD), the plain fallback for other GET and HEAD paths, 404 for unknown paths,
// 405 for methods other than POST, 415 for content types no protocol of the method accepts;
// everything else goes to Connect unary or an enveloped protocol.

#include <exception>
#include <optional>
#include <string>

#include <google/protobuf/descriptor.h>

#include <powermanage/common/log.hpp>

#include "rpc/codec.hpp"
#include "rpc/exchange.hpp"
#include "rpc/http_policy.hpp"
#include "rpc/protocols.hpp"
#include "rpc/router.hpp"

namespace pm::rpc::detail {
namespace {

// Go's net/http text, which is what the reference answers for unknown paths.
constexpr std::string_view kNotFound = "404 page not found\n";

bool get_or_head(const RequestHead& head) {
    return head.method == "GET" || head.method == "HEAD";
}

// A plain answer: its own fields over the policy's, and no body for HEAD (the length is still
// the body's, as for the GET).
Task<void> send_plain(Exchange& exchange, PlainResponse response, Headers headers) {
    for (const auto& [name, value] : response.headers.fields()) {
        headers.erase(name);
    }
    for (const auto& [name, value] : response.headers.fields()) {
        headers.add(name, value);
    }
    if (exchange.head().method == "HEAD") {
        headers.set("content-type", std::move(response.content_type));
        headers.set("content-length", std::to_string(response.body.size()));
        co_await exchange.send_headers(response.status, headers, true);
        co_return;
    }
    co_await send_whole(exchange, response.status, std::move(headers), response.content_type,
                        std::move(response.body));
}

PlainResponse internal_error(const RequestHead& head, const std::exception& error) {
    default_logger().error("plain route failed", {{"path", head.path}, {"what", error.what()}});
    return PlainResponse{500, "text/plain; charset=utf-8", "internal error\n"};
}

Task<void> serve_plain(Exchange& exchange, const std::function<PlainResponse()>& route,
                       Headers headers) {
    if (!get_or_head(exchange.head())) {
        headers.set("allow", "GET, HEAD");
        co_await send_whole(exchange, 405, std::move(headers), "text/plain; charset=utf-8",
                            "method not allowed\n");
        co_return;
    }
    PlainResponse response;
    try {
        response = route();
    } catch (const std::exception& error) {
        response = internal_error(exchange.head(), error);
    }
    co_await send_plain(exchange, std::move(response), std::move(headers));
}

// The fallback's answer for a GET or HEAD nothing else serves, or nullopt.
std::optional<PlainResponse> fall_back(const Router& router, const RequestHead& head) {
    const auto& fallback = router.plain_fallback();
    if (!fallback || !get_or_head(head)) {
        return std::nullopt;
    }
    try {
        return fallback(head.path, head.headers);
    } catch (const std::exception& error) {
        return internal_error(head, error);
    }
}

Task<void> dispatch(const Router& router, Exchange& exchange) {
    const auto& head = exchange.head();
    auto headers = policy_headers(router, head);
    if (const auto status = answer_preflight(router, head, headers)) {
        co_await exchange.send_headers(*status, headers, true);
        co_return;
    }
    if (const auto* plain = router.find_plain(head.path)) {
        co_await serve_plain(exchange, *plain, std::move(headers));
        co_return;
    }
    const Route* route = router.find(head.path);
    if (route == nullptr) {
        if (auto answer = fall_back(router, head)) {
            co_await send_plain(exchange, std::move(*answer), std::move(headers));
            co_return;
        }
        co_await send_whole(exchange, 404, std::move(headers), "text/plain; charset=utf-8",
                            std::string(kNotFound));
        co_return;
    }
    if (head.method != "POST") {
        // No pm.v1 method is idempotent, so Connect's GET form is never in use.
        headers.set("allow", "POST");
        co_await send_whole(exchange, 405, std::move(headers), "text/plain; charset=utf-8",
                            "method not allowed: RPCs use POST\n");
        co_return;
    }
    const bool streaming_method = !route->unary;
    const auto type = parse_content_type(head.headers.get("content-type").value_or(""));
    // Connect unary content types serve unary methods only, connect+* streaming ones only;
    // gRPC and gRPC-Web serve both.
    const bool fits = type && (type->protocol != Protocol::connect ||
                               type->connect_streaming == streaming_method);
    if (!fits) {
        headers.set("accept-post", streaming_method
                                       ? "application/connect+proto, application/connect+json, "
                                         "application/grpc, application/grpc-web"
                                       : std::string(kConnectUnaryTypes) +
                                             ", application/grpc, application/grpc-web");
        co_await send_whole(exchange, 415, std::move(headers), "text/plain; charset=utf-8",
                            "unsupported content type for " + route->method->full_name() + "\n");
        co_return;
    }
    if (type->protocol == Protocol::connect && !type->connect_streaming) {
        co_await serve_connect_unary(router, exchange, *route, *type, std::move(headers));
    } else {
        co_await serve_enveloped(router, exchange, *route, *type, std::move(headers));
    }
}

}  // namespace

Task<void> serve_exchange(const Router& router, Exchange& exchange) {
    // Whatever goes wrong here is this exchange's problem only: a peer that reset the stream
    // (RpcError canceled from read_body) or a transport error ends it quietly.
    try {
        co_await dispatch(router, exchange);
    } catch (const RpcError&) {
    } catch (const std::exception& error) {
        default_logger().debug("rpc exchange ended early",
                               {{"path", exchange.head().path}, {"what", error.what()}});
    } catch (...) {
    }
}

namespace {

// Everything but the header fields.
CallContext context_of(const RequestHead& head, const Route& route, const ContentType& type) {
    CallContext ctx;
    ctx.method = route.method;
    ctx.protocol = type.protocol;
    ctx.codec = type.codec;
    ctx.http_version = head.http_version;
    ctx.secure = head.secure;
    ctx.remote_address = head.remote_address;
    ctx.peer_certificate = head.peer_certificate;
    ctx.peer_identity = head.peer_identity;
    return ctx;
}

}  // namespace

CallContext make_context(const RequestHead& head, const Route& route, const ContentType& type) {
    auto ctx = context_of(head, route, type);
    ctx.request_headers = head.headers;
    return ctx;
}

CallContext take_context(RequestHead& head, const Route& route, const ContentType& type) {
    auto ctx = context_of(head, route, type);
    ctx.request_headers = std::move(head.headers);
    head.headers = Headers();
    return ctx;
}

std::optional<std::chrono::steady_clock::time_point> deadline_after(
    std::chrono::nanoseconds timeout) {
    // A year is "no deadline" for any call; past it, time_point arithmetic could overflow.
    constexpr auto kForever = std::chrono::hours(24 * 365);
    if (timeout >= kForever) {
        return std::nullopt;
    }
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
}

Task<void> send_whole(Exchange& exchange, int status, Headers headers,
                      std::string_view content_type, std::string body) {
    headers.set("content-type", std::string(content_type));
    headers.set("content-length", std::to_string(body.size()));
    if (body.empty()) {
        co_await exchange.send_headers(status, headers, true);
        co_return;
    }
    co_await exchange.send_headers(status, headers, false);
    co_await exchange.send_data(std::move(body), true);
}

}  // namespace pm::rpc::detail
