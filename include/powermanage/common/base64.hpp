#pragma once

/// @file
/// Base64 (RFC 4648): standard with padding, and base64url without padding.

#include <optional>
#include <string>
#include <string_view>

namespace pm {

/// Standard base64 with padding (RFC 4648 section 4), as Go's base64.StdEncoding writes it.
std::string base64_encode(std::string_view data);

/// Decodes standard base64. Accepts missing padding and several padded pieces one after the
/// other (a gRPC-Web text body is a concatenation of separately encoded frames); nullopt for
/// anything else.
std::optional<std::string> base64_decode(std::string_view text);

/// `bytes` in base64url (RFC 4648 section 5), no padding, as JWTs use it.
std::string base64url_encode(std::string_view bytes);

/// The bytes `text` encodes, or nullopt for anything but canonical unpadded base64url: a
/// padded, non-canonical (trailing bits set) or impossible (one leftover character) text.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace pm
