#pragma once

/// @file
/// @brief RFC 3339 timestamps, the text form of times in event payloads, JSON and the CLI.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pm {

/// Formats `t` as RFC 3339 UTC: milliseconds when that is exact, microseconds otherwise (the
/// precision of PostgreSQL's timestamptz, so nothing a projection stores is lost). Finer parts
/// are truncated toward the past.
std::string format_rfc3339(std::chrono::system_clock::time_point t);

/// Parses an RFC 3339 timestamp (`2026-02-05T13:01:33Z`, `...33.123456Z`, `...33+02:00`) into
/// a UTC time point. `T`/`Z` may be lower case and the date and time may be separated by a
/// space, as RFC 3339 allows. Fractions beyond nanoseconds are truncated. Leap seconds (`:60`)
/// and times the system clock cannot represent are refused. Returns nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace pm
