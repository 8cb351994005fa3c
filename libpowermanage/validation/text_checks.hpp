#pragma once

/// @file
/// @brief The string tests behind the `email`, `url`, `hexadecimal` and `alphanum` keywords,
/// and the rune count behind `min`/`max`/`len` on strings. Plain functions, no allocation.

#include <cstddef>
#include <string_view>

namespace pm::validation::detail {

/// Unicode code points in `text`, as Go's utf8.RuneCountInString counts them for valid UTF-8
/// (proto3 parsing guarantees that string fields are valid UTF-8).
std::size_t rune_count(std::string_view text);

/// The grammar of go-playground/validator's email regex: a dot-atom or quoted local part, an
/// `@`, and a domain of at least two labels whose last label starts and ends with a letter.
/// Non-ASCII letters from the regex's Unicode ranges are accepted in both parts.
bool is_email(std::string_view text);

/// An absolute URL with a scheme and a non-empty host (`https://example.com/x`), or a
/// `file:/` URL with an absolute path (validator accepts those without a host). Control
/// characters anywhere, and spaces in the authority, are rejected.
bool is_url(std::string_view text);

/// One or more hex digits, optionally after a `0x` / `0X` prefix (validator v10's regex).
bool is_hexadecimal(std::string_view text);

/// One or more ASCII letters or digits.
bool is_alphanum(std::string_view text);

}  // namespace pm::validation::detail
