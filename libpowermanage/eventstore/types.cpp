#include <charconv>

#include <fmt/format.h>

#include <powermanage/eventstore/types.hpp>

namespace pm::eventstore {

std::string ExpectedVersion::to_string() const {
    if (value_ < 0) {
        return "any";
    }
    if (value_ == 0) {
        return "no stream";
    }
    return std::to_string(value_);
}

std::string Position::to_string() const {
    return fmt::format("{}:{}", transaction_id, position);
}

std::optional<Position> Position::parse(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    Position out;
    const auto tx = text.substr(0, colon);
    const auto pos = text.substr(colon + 1);
    const auto [tx_end, tx_ec] =
        std::from_chars(tx.data(), tx.data() + tx.size(), out.transaction_id);
    const auto [pos_end, pos_ec] =
        std::from_chars(pos.data(), pos.data() + pos.size(), out.position);
    if (tx.empty() || pos.empty() || tx_ec != std::errc() || pos_ec != std::errc() ||
        tx_end != tx.data() + tx.size() || pos_end != pos.data() + pos.size() || out.position < 0) {
        return std::nullopt;
    }
    return out;
}

VersionConflict::VersionConflict(StreamId stream, ExpectedVersion expected, std::int32_t actual)
    : std::runtime_error(fmt::format("stream {} is at version {}, not {}: it changed since it was "
                                     "read; read it again and retry",
                                     stream.to_string(), actual, expected.to_string())),
      stream_(std::move(stream)),
      expected_(expected),
      actual_(actual) {}

}  // namespace pm::eventstore
