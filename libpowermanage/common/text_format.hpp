#pragma once
// Message formatting for common's own sources, without fmt: common is linked by every module,
// including the CA that a CA-only program uses alone, so it needs nothing but the standard
// library and OpenSSL. Only "{}" placeholders; numbers in their shortest round-trip form.
#include <charconv>
#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

namespace pm::common_detail {

/// Appends `value` in decimal.
template <class T>
requires std::integral<T> || std::floating_point<T>
void append_number(std::string& out, T value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

/// Appends `value` as `digits` lower-case hex digits (zero-padded).
inline void append_hex(std::string& out, unsigned value, int digits) {
    char buffer[16];
    const int n = std::snprintf(buffer, sizeof buffer, "%0*x", digits, value);
    out.append(buffer, static_cast<std::size_t>(n));
}

/// Appends one argument of format().
template <class T>
void append_argument(std::string& out, const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
        out += value ? "true" : "false";
    } else if constexpr (std::is_same_v<T, char>) {
        out += value;
    } else if constexpr (std::integral<T> || std::floating_point<T>) {
        append_number(out, value);
    } else {
        out += std::string_view(value);
    }
}

/// Appends `pattern` up to its next "{}" and returns the rest after it (empty when none).
inline std::string_view append_until_placeholder(std::string& out, std::string_view pattern) {
    const auto at = pattern.find("{}");
    if (at == std::string_view::npos) {
        out += pattern;
        return {};
    }
    out += pattern.substr(0, at);
    return pattern.substr(at + 2);
}

/// `pattern` with each "{}" replaced by the next argument, in order.
template <class... Args>
std::string format(std::string_view pattern, const Args&... args) {
    std::string out;
    out.reserve(pattern.size() + 16 * sizeof...(Args));
    ((pattern = append_until_placeholder(out, pattern), append_argument(out, args)), ...);
    out += pattern;
    return out;
}

}  // namespace pm::common_detail
