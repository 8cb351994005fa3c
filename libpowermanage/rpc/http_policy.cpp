#include "rpc/http_policy.hpp"

#include <algorithm>
#include <string>

#include "rpc/exchange.hpp"
#include "rpc/router.hpp"

namespace pm::rpc::detail {
namespace {

constexpr std::string_view kAllowMethods = "GET, POST, PUT, DELETE, OPTIONS";
constexpr std::string_view kAllowHeaders =
    "Accept, Authorization, Content-Type, Connect-Protocol-Version, Connect-Timeout-Ms, Cookie";
constexpr std::string_view kExposeHeaders = "Connect-Content-Encoding, Connect-Protocol-Version";
constexpr std::string_view kMaxAge = "86400";

bool origin_allowed(const CorsOptions& cors, std::string_view origin) {
    if (cors.allowed_origins.empty()) {
        return true;  // the reference's CONTROL_CORS_ORIGINS="" allows any origin
    }
    return std::find(cors.allowed_origins.begin(), cors.allowed_origins.end(), origin) !=
           cors.allowed_origins.end();
}

}  // namespace

Headers policy_headers(const Router& router, const RequestHead& head) {
    Headers headers;
    if (router.security_headers()) {
        headers.add("x-frame-options", "DENY");
        headers.add("x-content-type-options", "nosniff");
        headers.add("referrer-policy", "strict-origin-when-cross-origin");
        headers.add("x-xss-protection", "0");
        headers.add("permissions-policy", "camera=(), microphone=(), geolocation=()");
        const auto forwarded = head.headers.get("x-forwarded-proto");
        if (head.secure || (forwarded && *forwarded == "https")) {
            headers.add("strict-transport-security", "max-age=31536000; includeSubDomains");
        }
    }
    const auto& cors = router.cors();
    const auto origin = head.headers.get("origin");
    if (cors.enabled && origin) {
        // The answer depends on Origin, so caches must key on it.
        headers.add("vary", "Origin");
        if (origin_allowed(cors, *origin)) {
            headers.add("access-control-allow-origin", std::string(*origin));
            headers.add("access-control-allow-credentials", "true");
            headers.add("access-control-expose-headers", std::string(kExposeHeaders));
        }
    }
    return headers;
}

std::optional<int> answer_preflight(const Router& router, const RequestHead& head,
                                    Headers& headers) {
    const auto& cors = router.cors();
    const auto origin = head.headers.get("origin");
    if (!cors.enabled || head.method != "OPTIONS" || !origin ||
        !head.headers.get("access-control-request-method")) {
        return std::nullopt;
    }
    if (!origin_allowed(cors, *origin)) {
        return 403;
    }
    headers.add("access-control-allow-methods", std::string(kAllowMethods));
    headers.add("access-control-allow-headers", std::string(kAllowHeaders));
    headers.add("access-control-max-age", std::string(kMaxAge));
    return 204;
}

}  // namespace pm::rpc::detail
