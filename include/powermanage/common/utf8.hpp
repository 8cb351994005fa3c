#pragma once
/// @file
/// @brief Making untrusted bytes into text PostgreSQL and JSON accept.
#include <cstddef>
#include <string>
#include <string_view>

namespace pm {

/// One step through a UTF-8 string: how many bytes the sequence at an index takes, and
/// whether it is well formed.
struct Utf8Step {
    std::size_t length;  ///< bytes of the sequence, or of its maximal valid prefix (at least 1)
    bool valid;          ///< whether the sequence is well-formed UTF-8
};

/// The step at byte `i` of `s` (i < s.size()). Overlong forms, UTF-16 surrogates and code
/// points above U+10FFFF are ill-formed; replacing each ill-formed prefix with one U+FFFD is
/// the substitution the Unicode standard recommends.
Utf8Step utf8_step(std::string_view s, std::size_t i);

/// `bytes` as valid UTF-8 without NUL: each ill-formed sequence and each NUL byte becomes
/// U+FFFD. What agents send (script output, messages) is bytes; PostgreSQL's text and jsonb
/// refuse ill-formed UTF-8 and NUL, so one bad byte would otherwise lose the whole record.
std::string valid_utf8_text(std::string_view bytes);

}  // namespace pm
