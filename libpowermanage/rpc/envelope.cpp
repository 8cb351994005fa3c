#include "rpc/envelope.hpp"

namespace pm::rpc::detail {

std::string make_envelope(std::uint8_t flags, std::string_view payload) {
    const auto size = static_cast<std::uint32_t>(payload.size());
    std::string out;
    out.reserve(kEnvelopePrefix + payload.size());
    out += static_cast<char>(flags);
    out += static_cast<char>((size >> 24) & 0xFF);
    out += static_cast<char>((size >> 16) & 0xFF);
    out += static_cast<char>((size >> 8) & 0xFF);
    out += static_cast<char>(size & 0xFF);
    out.append(payload);
    return out;
}

void EnvelopeReader::append(std::string_view bytes) {
    // Drop what was consumed once it is most of the buffer, so the buffer stays about one
    // envelope long without moving bytes on every append.
    if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    buffer_.append(bytes);
}

EnvelopeReader::Result EnvelopeReader::next(Envelope& out) {
    const std::string_view unread = std::string_view(buffer_).substr(offset_);
    if (unread.size() < kEnvelopePrefix) {
        return Result::need_more;
    }
    const auto byte = [&](std::size_t i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(unread[i]));
    };
    const std::size_t size = (byte(1) << 24) | (byte(2) << 16) | (byte(3) << 8) | byte(4);
    if (size > max_payload_) {
        return Result::too_large;
    }
    if (unread.size() < kEnvelopePrefix + size) {
        return Result::need_more;
    }
    out.flags = static_cast<std::uint8_t>(byte(0));
    out.payload.assign(unread.substr(kEnvelopePrefix, size));
    offset_ += kEnvelopePrefix + size;
    return Result::envelope;
}

}  // namespace pm::rpc::detail
