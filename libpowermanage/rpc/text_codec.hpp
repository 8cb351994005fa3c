#pragma once

// Text encodings the RPC protocols put on the wire: base64 (gRPC-Web text mode, binary
// metadata) and gRPC's percent-encoding of grpc-message.

#include <optional>
#include <string>
#include <string_view>

namespace pm::rpc::detail {

/// Standard base64 with padding.
std::string base64_encode(std::string_view data);

/// Decodes standard base64. Accepts missing padding and several padded pieces one after the
/// other (a gRPC-Web text body is a concatenation of separately encoded frames); nullopt for
/// anything else.
std::optional<std::string> base64_decode(std::string_view text);

/// gRPC's percent-encoding: bytes outside printable ASCII, and '%', become %XX.
std::string percent_encode(std::string_view text);

/// Reverses percent_encode; a malformed escape is kept as it is (gRPC says to be lenient).
std::string percent_decode(std::string_view text);

}  // namespace pm::rpc::detail
