#pragma once

// The HTTP policy every response follows (wire contract section 6.4): security headers, HSTS on
// TLS, and CORS for browsers (preflights and the headers of actual requests).

#include <optional>

#include <powermanage/rpc/context.hpp>

namespace pm::rpc::detail {

class Router;
struct RequestHead;

/// The headers every response to this request carries: the security headers (when enabled),
/// HSTS when the request came over TLS or through a proxy that says so, and, for an allowed
/// cross-origin request, Access-Control-Allow-Origin and friends.
Headers policy_headers(const Router& router, const RequestHead& head);

/// If the request is a CORS preflight, the status to answer it with (204, or 403 for an origin
/// that is not allowed) after adding the preflight headers to `headers`; nullopt otherwise.
std::optional<int> answer_preflight(const Router& router, const RequestHead& head,
                                    Headers& headers);

}  // namespace pm::rpc::detail
