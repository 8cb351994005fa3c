#pragma once

// The JSON documents of the Connect protocol: the error body of a unary call and the
// end-of-stream message of a streaming call.

#include <optional>
#include <string>
#include <string_view>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/status.hpp>

namespace pm::rpc::detail {

/// `{"code":"not_found","message":"..."}` (message left out when empty).
std::string connect_error_json(const Status& status);

/// `{"error":{...},"metadata":{"name":["value",...]}}`, each key only when there is something
/// to say; `{}` for success without trailers.
std::string connect_end_stream_json(const Status& status, const Headers& trailers);

/// Reads a Connect error body; nullopt if `body` is not one (no known "code").
std::optional<Status> parse_connect_error(std::string_view body);

/// What an end-of-stream message says.
struct EndStream {
    Status status;     ///< ok when it has no "error"
    Headers trailers;  ///< from "metadata"
};

/// Reads an end-of-stream message; nullopt if it is not valid.
std::optional<EndStream> parse_connect_end_stream(std::string_view body);

}  // namespace pm::rpc::detail
