#pragma once

/// @file
/// @brief ULIDs: 128-bit identifiers, sortable by creation time, written as 26 Crockford
/// base32 characters. Every id in the pm.v1 contract is one.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace pm {

class Clock;

/// A parsed ULID: 48 bits of Unix milliseconds followed by 80 random bits.
class Ulid {
public:
    /// Length of the text form.
    static constexpr std::size_t kTextLength = 26;

    /// The all-zero ULID.
    Ulid() = default;

    /// Builds a ULID from its 16 big-endian bytes.
    explicit Ulid(const std::array<std::uint8_t, 16>& bytes) : bytes_(bytes) {}

    /// Parses the 26-character text form, accepting lower case and the Crockford aliases
    /// (I and L read as 1, O as 0). Returns nullopt for any other length or character, or for
    /// a first character above '7' (which would overflow 128 bits).
    static std::optional<Ulid> parse(std::string_view text);

    /// True when `text` is a well-formed ULID; the same test as parse().
    static bool is_valid(std::string_view text) { return parse(text).has_value(); }

    /// The canonical text form: 26 upper-case Crockford base32 characters.
    std::string to_string() const;

    /// Milliseconds since the Unix epoch encoded in the first 48 bits.
    std::uint64_t timestamp_ms() const;

    /// The 16 big-endian bytes.
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }

    /// ULIDs order by time first, then by their random part, as their text does.
    friend auto operator<=>(const Ulid&, const Ulid&) = default;

private:
    std::array<std::uint8_t, 16> bytes_{};
};

/// Makes ULIDs from a clock and a cryptographic random source. Within one millisecond the
/// random part is incremented, so ids from one generator strictly increase. Thread-safe.
class UlidGenerator {
public:
    /// A generator reading the given clock; the clock must outlive the generator.
    explicit UlidGenerator(const Clock& clock);

    /// The next ULID. If the clock stands still or steps back, the previous timestamp is kept
    /// and the random part incremented; on the (2^80) overflow the timestamp moves forward.
    /// Throws std::runtime_error if the operating system's random source fails.
    Ulid next();

    /// next(), as text.
    std::string next_string() { return next().to_string(); }

private:
    const Clock& clock_;
    std::mutex mutex_;
    Ulid last_;
    // Whether last_ holds an issued id; the all-zero Ulid cannot serve as "none yet" because
    // a clock at the epoch would then count up from zero instead of drawing random bits.
    bool has_last_ = false;
};

/// A new ULID from the system clock, through a process-wide generator.
std::string new_ulid();

}  // namespace pm

/// @cond
// Hashes a Ulid so it can key unordered containers; the random part is already uniform.
// (Outside the reference: Doxygen cannot place a specialization in namespace std.)
template <>
struct std::hash<pm::Ulid> {
    /// The last eight (random) bytes, read as an integer.
    std::size_t operator()(const pm::Ulid& id) const noexcept {
        std::size_t h = 0;
        for (std::size_t i = 8; i < 16; ++i) {
            h = (h << 8) | id.bytes()[i];
        }
        return h;
    }
};
/// @endcond
