#pragma once

// Proto3 JSON for the messages most calls carry, without protobuf's converter. protobuf 3.21's
// MessageToJsonString and JsonStringToMessage build a google.protobuf.Type from the descriptor
// and go through the binary form on every call; for a small message that is most of a Connect
// JSON call's CPU. These functions walk the message by reflection instead, and only for a subset
// where their output is the converter's byte for byte: anything else (floats, bytes, maps,
// well-known types, unknown fields, strings that need escapes, JSON they do not expect) makes
// them decline, and codec.cpp falls back to the converter, which also words every error.

#include <string>
#include <string_view>

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace pm::rpc::detail {

/// Appends `message` as proto3 JSON (lowerCamelCase names, defaults omitted, int64 quoted)
/// to an empty `out`. False if the message has something outside the subset; `out` is then
/// unspecified.
bool fast_json_encode(const google::protobuf::Message& message, std::string& out);

/// Parses proto3 JSON into a cleared `message`. False if the input has anything outside the
/// subset or is malformed; `message` is then unspecified (clear it before falling back).
bool fast_json_decode(std::string_view json, google::protobuf::Message& message);

}  // namespace pm::rpc::detail
