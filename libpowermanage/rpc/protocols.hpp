#pragma once

// The RPC protocols behind serve_exchange(): Connect unary (connect_unary.cpp) and the
// enveloped ones, Connect streaming, gRPC and gRPC-Web (enveloped_call.cpp), with the pieces
// they share.

#include <chrono>
#include <string>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/service.hpp>

#include "rpc/codec.hpp"
#include "rpc/exchange.hpp"
#include "rpc/router.hpp"

namespace pm::rpc::detail {

/// Messages at least this long are compressed when the peer accepts gzip; shorter ones gain
/// too little to pay for it.
inline constexpr std::size_t kCompressMinBytes = 1024;

/// Serves a Connect unary call (application/proto or application/json).
Task<void> serve_connect_unary(const Router& router, Exchange& exchange, const Route& route,
                               const ContentType& type, Headers response_headers);

/// Serves a Connect streaming, gRPC or gRPC-Web call (any method kind).
Task<void> serve_enveloped(const Router& router, Exchange& exchange, const Route& route,
                           const ContentType& type, Headers response_headers);

/// Connect's request headers both Connect forms check: Connect-Protocol-Version (if sent, "1")
/// and Connect-Timeout-Ms (sets ctx.deadline). invalid_argument when malformed.
Status read_connect_headers(const Headers& headers, CallContext& ctx);

/// A call's context from its request.
CallContext make_context(const RequestHead& head, const Route& route, const ContentType& type);

/// The same, moving the header fields into the context instead of copying them (one allocation
/// per field less); read them from ctx.request_headers afterwards.
CallContext take_context(RequestHead& head, const Route& route, const ContentType& type);

/// The deadline `timeout` from now, or none for a timeout too far away to matter.
std::optional<std::chrono::steady_clock::time_point> deadline_after(
    std::chrono::nanoseconds timeout);

/// Sends a complete response with a body (content-length set).
Task<void> send_whole(Exchange& exchange, int status, Headers headers,
                      std::string_view content_type, std::string body);

}  // namespace pm::rpc::detail
