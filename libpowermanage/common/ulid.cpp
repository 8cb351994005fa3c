#include <algorithm>
#include <stdexcept>
#include <string>

#include <openssl/err.h>
#include <openssl/rand.h>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/ulid.hpp>

namespace pm {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kTimestampBytes = 6;
constexpr std::uint64_t kMaxTimestamp = (std::uint64_t{1} << 48) - 1;
constexpr std::int8_t kInvalid = -1;

// Maps every byte to its 5-bit value, or kInvalid. Built at compile time so parse() is one
// table load per character.
constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> table{};
    table.fill(kInvalid);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        const auto upper = static_cast<unsigned char>(kAlphabet[i]);
        table[upper] = static_cast<std::int8_t>(i);
        if (upper >= 'A' && upper <= 'Z') {
            table[upper - 'A' + 'a'] = static_cast<std::int8_t>(i);
        }
    }
    // Crockford's aliases for characters people misread.
    for (const unsigned char c : {'I', 'i', 'L', 'l'}) {
        table[c] = 1;
    }
    for (const unsigned char c : {'O', 'o'}) {
        table[c] = 0;
    }
    return table;
}

constexpr std::array<std::int8_t, 256> kDecode = make_decode_table();

std::uint64_t load_be64(const std::array<std::uint8_t, 16>& bytes, std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        v = (v << 8) | bytes[at + i];
    }
    return v;
}

void store_be64(std::array<std::uint8_t, 16>& bytes, std::size_t at, std::uint64_t v) {
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[at + 7 - i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

void fill_random(std::array<std::uint8_t, 16>& bytes) {
    if (RAND_bytes(bytes.data() + kTimestampBytes, 16 - kTimestampBytes) != 1) {
        throw std::runtime_error("cannot generate a ULID: the OpenSSL random source failed (" +
                                 std::to_string(ERR_get_error()) +
                                 "); check that /dev/urandom is readable");
    }
}

// Adds one to the 80-bit random part; returns false when it wrapped around to zero.
bool increment_random(std::array<std::uint8_t, 16>& bytes) {
    for (std::size_t i = 16; i-- > kTimestampBytes;) {
        if (++bytes[i] != 0) {
            return true;
        }
    }
    return false;
}

void store_timestamp(std::array<std::uint8_t, 16>& bytes, std::uint64_t ms) {
    for (std::size_t i = 0; i < kTimestampBytes; ++i) {
        bytes[kTimestampBytes - 1 - i] = static_cast<std::uint8_t>(ms >> (8 * i));
    }
}

// Clocks before 1970 or after the year 10889 cannot be encoded; clamp rather than wrap so ids
// never jump backwards.
std::uint64_t to_ulid_ms(Clock::TimePoint t) {
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
    if (ms < 0) {
        return 0;
    }
    return std::min(static_cast<std::uint64_t>(ms), kMaxTimestamp);
}

}  // namespace

std::optional<Ulid> Ulid::parse(std::string_view text) {
    if (text.size() != kTextLength) {
        return std::nullopt;
    }
    // 26 characters carry 130 bits; the first holds only the top 3, so it must be 0-7.
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    for (std::size_t i = 0; i < kTextLength; ++i) {
        const std::int8_t v = kDecode[static_cast<unsigned char>(text[i])];
        if (v == kInvalid || (i == 0 && v > 7)) {
            return std::nullopt;
        }
        hi = (hi << 5) | (lo >> 59);
        lo = (lo << 5) | static_cast<std::uint64_t>(v);
    }
    std::array<std::uint8_t, 16> bytes{};
    store_be64(bytes, 0, hi);
    store_be64(bytes, 8, lo);
    return Ulid(bytes);
}

std::string Ulid::to_string() const {
    const std::uint64_t hi = load_be64(bytes_, 0);
    const std::uint64_t lo = load_be64(bytes_, 8);
    std::string out(kTextLength, '0');
    for (std::size_t i = 0; i < kTextLength; ++i) {
        // Character i holds bits [shift, shift + 5) of the 128-bit value, counted from the
        // least significant end.
        const std::size_t shift = 5 * (kTextLength - 1 - i);
        std::uint64_t v = 0;
        if (shift >= 64) {
            v = hi >> (shift - 64);
        } else if (shift == 0) {
            v = lo;
        } else {
            v = (lo >> shift) | (hi << (64 - shift));
        }
        out[i] = kAlphabet[v & 31];
    }
    return out;
}

std::uint64_t Ulid::timestamp_ms() const {
    std::uint64_t ms = 0;
    for (std::size_t i = 0; i < kTimestampBytes; ++i) {
        ms = (ms << 8) | bytes_[i];
    }
    return ms;
}

UlidGenerator::UlidGenerator(const Clock& clock) : clock_(clock) {}

Ulid UlidGenerator::next() {
    const std::uint64_t now_ms = to_ulid_ms(clock_.now());
    const std::lock_guard lock(mutex_);
    std::array<std::uint8_t, 16> bytes = last_.bytes();
    const std::uint64_t last_ms = last_.timestamp_ms();
    if (!has_last_ || now_ms > last_ms) {
        store_timestamp(bytes, now_ms);
        fill_random(bytes);
    } else if (!increment_random(bytes)) {
        // 2^80 ids in one millisecond: borrow the next millisecond rather than repeat an id.
        if (last_ms == kMaxTimestamp) {
            throw std::overflow_error("cannot generate a ULID: the 48-bit timestamp is exhausted");
        }
        store_timestamp(bytes, last_ms + 1);
        fill_random(bytes);
    }
    last_ = Ulid(bytes);
    has_last_ = true;
    return last_;
}

std::string new_ulid() {
    static UlidGenerator generator(Clock::system());
    return generator.next_string();
}

}  // namespace pm
