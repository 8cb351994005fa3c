#pragma once

// Content types and message codecs: which protocol and encoding a Content-Type names, and
// protobuf messages to and from binary or proto3 JSON.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/status.hpp>

namespace google::protobuf {
class Descriptor;
class Message;
}  // namespace google::protobuf

namespace pm::rpc::detail {

/// What a request's Content-Type says.
struct ContentType {
    Protocol protocol = Protocol::connect;  ///< Connect, gRPC or gRPC-Web
    Codec codec = Codec::proto;             ///< binary or JSON
    bool connect_streaming = false;         ///< application/connect+*: enveloped Connect streaming
    bool web_text = false;                  ///< application/grpc-web-text*: base64 body
    std::string media_type;  ///< lower case, without parameters; echoed in the response
};

/// Classifies a Content-Type; nullopt if no supported protocol uses it.
std::optional<ContentType> parse_content_type(std::string_view value);

/// The Content-Types a Connect unary call may use, for Accept-Post on a 415.
inline constexpr std::string_view kConnectUnaryTypes = "application/proto, application/json";

/// A new, empty message of the type `descriptor` describes (from the generated factory).
std::unique_ptr<google::protobuf::Message> new_message(
    const google::protobuf::Descriptor& descriptor);

/// Parses `bytes` into `message` (binary, or proto3 JSON accepting lowerCamelCase and original
/// field names). Fails with invalid_argument saying what was wrong.
Status decode_message(Codec codec, std::string_view bytes, google::protobuf::Message& message,
                      bool ignore_unknown_fields);

/// Serializes `message` (JSON: lowerCamelCase names, defaults omitted, int64 as strings). Fails
/// with internal when the message cannot be encoded (missing required fields, bad UTF-8).
Status encode_message(Codec codec, const google::protobuf::Message& message, std::string& out);

}  // namespace pm::rpc::detail
