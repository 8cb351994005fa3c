#include <array>

#include <powermanage/rpc/status.hpp>

namespace pm::rpc {
namespace {

// Indexed by the code's number, which the enum fixes to gRPC's.
constexpr std::array<std::string_view, 17> kNames = {
    "ok",
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
};

}  // namespace

std::string_view code_name(Code code) {
    const auto index = static_cast<std::size_t>(code);
    return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

std::optional<Code> code_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name) {
            return static_cast<Code>(i);
        }
    }
    return std::nullopt;
}

int http_status_for(Code code) {
    // connect-go's connectCodeToHTTP, which the Connect protocol specification tabulates.
    switch (code) {
        case Code::ok:
            return 200;
        case Code::canceled:
            return 499;
        case Code::unknown:
            return 500;
        case Code::invalid_argument:
            return 400;
        case Code::deadline_exceeded:
            return 504;
        case Code::not_found:
            return 404;
        case Code::already_exists:
            return 409;
        case Code::permission_denied:
            return 403;
        case Code::resource_exhausted:
            return 429;
        case Code::failed_precondition:
            return 400;
        case Code::aborted:
            return 409;
        case Code::out_of_range:
            return 400;
        case Code::unimplemented:
            return 501;
        case Code::internal:
            return 500;
        case Code::unavailable:
            return 503;
        case Code::data_loss:
            return 500;
        case Code::unauthenticated:
            return 401;
    }
    return 500;
}

Code code_for_http_status(int http_status) {
    // Not the inverse of http_status_for: a status without a Connect error body came from
    // something in between (a proxy, a load balancer), so Connect reads it the way gRPC's
    // http-grpc-status-mapping does.
    switch (http_status) {
        case 200:
            return Code::ok;
        case 400:
            return Code::internal;
        case 401:
            return Code::unauthenticated;
        case 403:
            return Code::permission_denied;
        case 404:
            return Code::unimplemented;
        case 429:
        case 502:
        case 503:
        case 504:
            return Code::unavailable;
        default:
            return Code::unknown;
    }
}

}  // namespace pm::rpc
