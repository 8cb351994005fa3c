#pragma once

// gRPC's percent-encoding of grpc-message. (Base64, which the protocols also use, is
// powermanage/common/base64.hpp.)

#include <string>
#include <string_view>

namespace pm::rpc::detail {

/// gRPC's percent-encoding: bytes outside printable ASCII, and '%', become %XX.
std::string percent_encode(std::string_view text);

/// Reverses percent_encode; a malformed escape is kept as it is (gRPC says to be lenient).
std::string percent_decode(std::string_view text);

}  // namespace pm::rpc::detail
