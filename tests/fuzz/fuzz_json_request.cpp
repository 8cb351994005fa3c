// Fuzzes request decoding: bytes through decode_message(), the codec function every protocol
// of the server uses, into a real pm.v1 request type, then the contract validator over what
// was accepted.
//
// Input: one byte of choices, then the request body.
//   bits 0-1  the type: LoginRequest, CreateActionRequest, AgentMessage, DispatchToGroupRequest
//   bit 2     binary protobuf instead of JSON
//   bit 3     refuse unknown JSON fields (the server's default ignores them)
// Invariants: a refusal is invalid_argument; an accepted message validates without throwing,
// encodes again in both codecs, and decodes from that to an equal message. And the codec's
// JSON fast path (rpc/json_fast.hpp) is differential-checked against protobuf's converter:
// whatever the fast path parses, the converter parses to an equal message, and whatever it
// prints, the converter prints byte for byte.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "fuzz_support.hpp"
#include "rpc/codec.hpp"
#include "rpc/json_fast.hpp"

namespace {

namespace gp = google::protobuf;
using pm::fuzz::require;
using pm::rpc::Code;
using pm::rpc::Codec;

std::unique_ptr<gp::Message> new_request(std::uint8_t choice) {
    switch (choice & 3) {
        case 0:
            return std::make_unique<pm::v1::LoginRequest>();
        case 1:
            return std::make_unique<pm::v1::CreateActionRequest>();
        case 2:
            return std::make_unique<pm::v1::AgentMessage>();
        default:
            return std::make_unique<pm::v1::DispatchToGroupRequest>();
    }
}

bool same(const gp::Message& a, const gp::Message& b) {
    // Heartbeat's float metrics may be NaN, which equals nothing.
    gp::util::DefaultFieldComparator comparator;
    comparator.set_treat_nan_as_equal(true);
    gp::util::MessageDifferencer differencer;
    differencer.set_field_comparator(&comparator);
    return differencer.Compare(a, b);
}

// An accepted message must survive a round trip through `codec` (JSON drops unknown fields).
void round_trip(const gp::Message& message, Codec codec) {
    std::unique_ptr<gp::Message> original(message.New());
    original->CopyFrom(message);
    if (codec == Codec::json) {
        original->DiscardUnknownFields();
    }
    std::string encoded;
    const auto status = pm::rpc::detail::encode_message(codec, *original, encoded);
    require(status.ok(), "an accepted request does not encode", status.message);
    std::unique_ptr<gp::Message> again(message.New());
    const auto back = pm::rpc::detail::decode_message(codec, encoded, *again, false);
    require(back.ok(), "an encoded request does not decode", back.message + " <- " + encoded);
    require(same(*original, *again), "a request changed in a round trip", encoded);
}

// The fast path may decline anything, but what it accepts or prints must be the converter's.
void agrees_with_converter(std::string_view json, const gp::Message& prototype) {
    std::unique_ptr<gp::Message> fast(prototype.New());
    if (pm::rpc::detail::fast_json_decode(json, *fast)) {
        std::unique_ptr<gp::Message> slow(prototype.New());
        const auto status = gp::util::JsonStringToMessage(gp::StringPiece(json.data(), json.size()),
                                                          slow.get(), gp::util::JsonParseOptions());
        require(status.ok(), "the JSON fast path accepts what the converter refuses",
                std::string(json));
        require(same(*fast, *slow), "the JSON fast path parses differently", std::string(json));
    }
    std::string fast_text;
    if (pm::rpc::detail::fast_json_encode(*fast, fast_text)) {
        std::string slow_text;
        const auto status =
            gp::util::MessageToJsonString(*fast, &slow_text, gp::util::JsonPrintOptions());
        require(status.ok() && fast_text == slow_text, "the JSON fast path prints differently",
                fast_text + " vs " + slow_text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pm::fuzz::Input input(data, size);
    const auto choice = input.byte();
    const auto codec = (choice & 4) != 0 ? Codec::proto : Codec::json;
    const bool ignore_unknown = (choice & 8) == 0;

    auto request = new_request(choice);
    if (codec == Codec::json) {
        agrees_with_converter(input.rest(), *request);
    }
    const auto status =
        pm::rpc::detail::decode_message(codec, input.rest(), *request, ignore_unknown);
    if (!status.ok()) {
        require(status.code == Code::invalid_argument, "a refusal is not invalid_argument",
                status.message);
        return 0;
    }
    const auto violations = pm::validation::RuleSet::contract().validate(*request);
    const auto text = pm::validation::describe(violations);
    require(violations.empty() == text.empty(), "describe() disagrees with the violations");
    round_trip(*request, Codec::json);
    round_trip(*request, Codec::proto);
    return 0;
}
