#pragma once

// The 5-byte envelope of Connect streaming, gRPC and gRPC-Web: one flag byte, a 4-byte
// big-endian length, the payload.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pm::rpc::detail {

inline constexpr std::uint8_t kFlagCompressed = 0x01;  ///< payload is compressed (all three)
inline constexpr std::uint8_t kFlagEndStream = 0x02;   ///< Connect's end-of-stream message
inline constexpr std::uint8_t kFlagTrailers = 0x80;    ///< gRPC-Web's trailer frame
inline constexpr std::size_t kEnvelopePrefix = 5;      ///< flag byte + length

/// One envelope.
struct Envelope {
    std::uint8_t flags = 0;  ///< kFlag* bits
    std::string payload;     ///< the bytes after the prefix
};

/// The wire form of an envelope.
std::string make_envelope(std::uint8_t flags, std::string_view payload);

/// Cuts envelopes out of bytes that arrive in arbitrary pieces (HTTP body chunks, DATA frames).
class EnvelopeReader {
public:
    /// What next() found.
    enum class Result {
        envelope,   ///< one whole envelope
        need_more,  ///< the buffered bytes end inside an envelope (or there are none)
        too_large,  ///< the next envelope announces more than the limit; stop reading
    };

    /// Refuses payloads over `max_payload` bytes as soon as their prefix arrives.
    explicit EnvelopeReader(std::size_t max_payload) : max_payload_(max_payload) {}

    /// Buffers more bytes.
    void append(std::string_view bytes);
    /// Takes the next whole envelope out of the buffer.
    Result next(Envelope& out);
    /// True if no bytes of an unfinished envelope are buffered.
    bool empty() const { return buffer_.size() == offset_; }

private:
    std::string buffer_;
    std::size_t offset_ = 0;  // start of the unread bytes in buffer_
    std::size_t max_payload_;
};

}  // namespace pm::rpc::detail
