// Connect unary: the request body is the message, the response body is the message or a JSON
// error with the HTTP status connect-go uses, trailers travel as "trailer-" headers.

#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "rpc/call_runner.hpp"
#include "rpc/compression.hpp"
#include "rpc/connect_error.hpp"
#include "rpc/protocols.hpp"
#include "rpc/wire_timeout.hpp"

namespace pm::rpc::detail {
namespace {

namespace gp = google::protobuf;

// Reads the whole body, refusing more than `limit` bytes on the wire.
Task<Status> read_all(Exchange& exchange, std::size_t limit, std::string& body) {
    while (auto piece = co_await exchange.read_body()) {
        if (body.size() + piece->size() > limit) {
            co_return Status{Code::resource_exhausted, "request body is larger than the limit of " +
                                                           std::to_string(limit) + " bytes"};
        }
        if (body.empty()) {
            body = std::move(*piece);  // the usual single piece: no copy
        } else {
            body += *piece;
        }
    }
    co_return Status{};
}

// Everything the call needs before its handler: protocol version, timeout, body, message.
Task<Status> prepare(const Router& router, Exchange& exchange, const Route& route, CallContext& ctx,
                     Headers& response_headers, std::unique_ptr<gp::Message>& request) {
    const auto& headers = ctx.request_headers;
    if (auto status = read_connect_headers(headers, ctx); !status.ok()) {
        co_return status;
    }
    const auto encoding = headers.get("content-encoding").value_or("");
    const bool gzipped = !is_identity(encoding);
    if (gzipped && encoding != "gzip") {
        response_headers.set("accept-encoding", "gzip");
        co_return Status{
            Code::unimplemented,
            "unsupported content-encoding \"" + std::string(encoding) + "\": use gzip or identity"};
    }
    const auto limit = router.limits().max_request_body;
    std::string body;
    if (auto status = co_await read_all(exchange, limit, body); !status.ok()) {
        co_return status;
    }
    if (gzipped) {
        std::string inflated;
        if (auto status = gzip_decompress(body, limit, inflated); !status.ok()) {
            co_return status;
        }
        body = std::move(inflated);
    }
    request = new_message(*route.method->input_type());
    co_return decode_message(ctx.codec, body, *request, router.json_ignore_unknown_fields());
}

void add_metadata(const CallContext& ctx, Headers& headers) {
    for (const auto& [name, value] : ctx.response_headers.fields()) {
        headers.add(name, value);
    }
    // Connect unary has no HTTP trailers; they ride as prefixed headers.
    for (const auto& [name, value] : ctx.response_trailers.fields()) {
        headers.add("trailer-" + name, value);
    }
}

}  // namespace

Status read_connect_headers(const Headers& headers, CallContext& ctx) {
    if (const auto version = headers.get("connect-protocol-version"); version && *version != "1") {
        return {Code::invalid_argument,
                "connect-protocol-version must be \"1\": got \"" + std::string(*version) + "\""};
    }
    if (const auto timeout = headers.get("connect-timeout-ms")) {
        const auto parsed = parse_connect_timeout(*timeout);
        if (!parsed) {
            return {Code::invalid_argument, "connect-timeout-ms must be 1 to 10 digits: got \"" +
                                                std::string(*timeout) + "\""};
        }
        ctx.deadline = deadline_after(*parsed);
    }
    return {};
}

Task<void> serve_connect_unary(const Router& router, Exchange& exchange, const Route& route,
                               const ContentType& type, Headers response_headers) {
    const auto started = std::chrono::steady_clock::now();
    auto ctx = take_context(exchange.head_to_take(), route, type);
    std::unique_ptr<gp::Message> request;
    std::unique_ptr<gp::Message> response;
    auto status = co_await prepare(router, exchange, route, ctx, response_headers, request);
    if (status.ok()) {
        // One pointer to capture: std::function keeps that inline, where four references would
        // take an allocation per call.
        struct Call {
            const Route& route;
            CallContext& ctx;
            std::unique_ptr<gp::Message>& request;
            std::unique_ptr<gp::Message>& response;
        } call{route, ctx, request, response};
        status = co_await run_call(router, ctx, [&call]() -> Task<Status> {
            auto result = co_await call.route.unary(call.ctx, *call.request);
            if (!result.ok()) {
                co_return result.status();
            }
            call.response = std::move(result.value());
            co_return Status{};
        });
    }
    std::string body;
    if (status.ok()) {
        if (response == nullptr || response->GetDescriptor() != route.method->output_type()) {
            status = {Code::internal, "handler of " + route.method->full_name() + " returned no " +
                                          route.method->output_type()->full_name()};
        } else {
            status = encode_message(type.codec, *response, body);
        }
    }
    add_metadata(ctx, response_headers);
    if (!status.ok()) {
        co_await send_whole(exchange, http_status_for(status.code), std::move(response_headers),
                            "application/json", connect_error_json(status));
        notify_observers(router, ctx, status, started);
        co_return;
    }
    const auto accept = ctx.request_headers.get("accept-encoding");
    if (accept && accepts_gzip(*accept) && body.size() >= kCompressMinBytes) {
        body = gzip_compress(body);
        response_headers.set("content-encoding", "gzip");
    }
    co_await send_whole(exchange, 200, std::move(response_headers), type.media_type,
                        std::move(body));
    notify_observers(router, ctx, status, started);
}

}  // namespace pm::rpc::detail
