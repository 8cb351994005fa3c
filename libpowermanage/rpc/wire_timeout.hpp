#pragma once

// The timeout headers: Connect-Timeout-Ms (Connect) and grpc-timeout (gRPC, gRPC-Web).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pm::rpc::detail {

/// Reads Connect-Timeout-Ms: 1 to 10 ASCII digits of milliseconds; nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_connect_timeout(std::string_view value);

/// Reads grpc-timeout: 1 to 8 ASCII digits and a unit (H, M, S, m, u, n); nullopt otherwise.
std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value);

/// Writes grpc-timeout for `timeout`, in the finest unit that fits in 8 digits.
std::string format_grpc_timeout(std::chrono::nanoseconds timeout);

}  // namespace pm::rpc::detail
