#include "rpc/wire_timeout.hpp"

#include <algorithm>
#include <cstdint>

namespace pm::rpc::detail {
namespace {

std::optional<std::uint64_t> parse_digits(std::string_view digits, std::size_t max_digits) {
    if (digits.empty() || digits.size() > max_digits) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_connect_timeout(std::string_view value) {
    const auto ms = parse_digits(value, 10);
    if (!ms) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
}

std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value) {
    if (value.size() < 2) {
        return std::nullopt;
    }
    const auto amount = parse_digits(value.substr(0, value.size() - 1), 8);
    if (!amount) {
        return std::nullopt;
    }
    // 8 digits of hours overflow nanoseconds: clamp (minutes and finer fit).
    using Nanos = std::chrono::nanoseconds;
    constexpr std::int64_t kMaxHours = Nanos::max().count() / 3'600'000'000'000;
    const auto n = static_cast<std::int64_t>(*amount);
    switch (value.back()) {
        case 'H':
            return n > kMaxHours ? Nanos::max() : Nanos(std::chrono::hours(n));
        case 'M':
            return Nanos(std::chrono::minutes(n));
        case 'S':
            return Nanos(std::chrono::seconds(n));
        case 'm':
            return Nanos(std::chrono::milliseconds(n));
        case 'u':
            return Nanos(std::chrono::microseconds(n));
        case 'n':
            return Nanos(n);
        default:
            return std::nullopt;
    }
}

std::string format_grpc_timeout(std::chrono::nanoseconds timeout) {
    constexpr std::int64_t kMax = 99'999'999;
    const auto ns = timeout.count() < 0 ? 0 : timeout.count();
    if (ns <= kMax) {
        return std::to_string(ns) + "n";
    }
    if (ns / 1'000 <= kMax) {
        return std::to_string(ns / 1'000) + "u";
    }
    if (ns / 1'000'000 <= kMax) {
        return std::to_string(ns / 1'000'000) + "m";
    }
    if (ns / 1'000'000'000 <= kMax) {
        return std::to_string(ns / 1'000'000'000) + "S";
    }
    if (ns / 60'000'000'000 <= kMax) {
        return std::to_string(ns / 60'000'000'000) + "M";
    }
    return std::to_string(std::min<std::int64_t>(ns / 3'600'000'000'000, kMax)) + "H";
}

}  // namespace pm::rpc::detail
