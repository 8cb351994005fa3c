#pragma once

// Base64url without padding (RFC 4648 section 5), as JWTs use it.

#include <optional>
#include <string>
#include <string_view>

namespace pm::auth::detail {

/// `bytes` in base64url, no padding.
std::string base64url_encode(std::string_view bytes);

/// The bytes `text` encodes, or nullopt for anything but canonical unpadded base64url: a
/// character outside the alphabet, padding, an impossible length, or nonzero unused bits
/// (which would give one value several spellings).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace pm::auth::detail
