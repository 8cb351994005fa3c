#include "rpc/codec.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include "rpc/json_fast.hpp"

namespace pm::rpc::detail {
namespace {

namespace gp = google::protobuf;

std::string lower_media_type(std::string_view value) {
    const auto semi = value.find(';');
    auto type = value.substr(0, semi);
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) {
        type.remove_suffix(1);
    }
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) {
        type.remove_prefix(1);
    }
    std::string out(type);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// "", "+proto" or "+json" after a protocol's base type; nullopt for any other suffix.
std::optional<Codec> codec_suffix(std::string_view rest) {
    if (rest.empty() || rest == "+proto") {
        return Codec::proto;
    }
    if (rest == "+json") {
        return Codec::json;
    }
    return std::nullopt;
}

}  // namespace

std::optional<ContentType> parse_content_type(std::string_view value) {
    ContentType type;
    type.media_type = lower_media_type(value);
    const std::string_view media = type.media_type;
    if (media == "application/proto") {
        type.codec = Codec::proto;
        return type;
    }
    if (media == "application/json") {
        type.codec = Codec::json;
        return type;
    }
    constexpr std::string_view kConnect = "application/connect+";
    if (media.starts_with(kConnect)) {
        const auto codec = codec_suffix(media.substr(kConnect.size() - 1));
        if (!codec) {
            return std::nullopt;
        }
        type.codec = *codec;
        type.connect_streaming = true;
        return type;
    }
    // Longest prefix first: grpc-web-text, grpc-web, grpc.
    constexpr std::string_view kWebText = "application/grpc-web-text";
    constexpr std::string_view kWeb = "application/grpc-web";
    constexpr std::string_view kGrpc = "application/grpc";
    for (const auto& [prefix, protocol, text] :
         {std::tuple{kWebText, Protocol::grpc_web, true},
          std::tuple{kWeb, Protocol::grpc_web, false}, std::tuple{kGrpc, Protocol::grpc, false}}) {
        if (!media.starts_with(prefix)) {
            continue;
        }
        const auto codec = codec_suffix(media.substr(prefix.size()));
        if (!codec) {
            return std::nullopt;
        }
        type.protocol = protocol;
        type.codec = *codec;
        type.web_text = text;
        return type;
    }
    return std::nullopt;
}

std::unique_ptr<gp::Message> new_message(const gp::Descriptor& descriptor) {
    const auto* prototype = gp::MessageFactory::generated_factory()->GetPrototype(&descriptor);
    return std::unique_ptr<gp::Message>(prototype->New());
}

Status decode_message(Codec codec, std::string_view bytes, gp::Message& message,
                      bool ignore_unknown_fields) {
    const auto& type = message.GetDescriptor()->full_name();
    if (codec == Codec::proto) {
        // libprotobuf logs every string field with invalid UTF-8 to stderr: one line per
        // request a client can send at will, bypassing the server's logger. The refusal below
        // says enough.
        const gp::LogSilencer quiet;
        if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            return {Code::invalid_argument, "unmarshal into " + type + ": invalid protobuf"};
        }
        return {};
    }
    if (bytes.empty()) {
        // What connect-go answers too; "{}" is the empty message.
        return {Code::invalid_argument,
                "unmarshal into " + type + ": zero-length payload is not a valid JSON object"};
    }
    // Most messages take the fast path; the converter decides (and words the error) otherwise.
    // Both start from an empty message, as the converter's parse does.
    message.Clear();
    if (fast_json_decode(bytes, message)) {
        return {};
    }
    message.Clear();
    gp::util::JsonParseOptions options;
    options.ignore_unknown_fields = ignore_unknown_fields;
    const auto status = gp::util::JsonStringToMessage(gp::StringPiece(bytes.data(), bytes.size()),
                                                      &message, options);
    if (!status.ok()) {
        return {Code::invalid_argument,
                "unmarshal into " + type + ": " + std::string(status.message())};
    }
    return {};
}

Status encode_message(Codec codec, const gp::Message& message, std::string& out) {
    out.clear();
    if (codec == Codec::proto) {
        if (!message.SerializeToString(&out)) {
            return {Code::internal,
                    "marshal " + message.GetDescriptor()->full_name() + ": cannot serialize"};
        }
        return {};
    }
    if (fast_json_encode(message, out)) {
        return {};
    }
    out.clear();
    gp::util::JsonPrintOptions options;
    const auto status = gp::util::MessageToJsonString(message, &out, options);
    if (!status.ok()) {
        return {Code::internal, "marshal " + message.GetDescriptor()->full_name() + ": " +
                                    std::string(status.message())};
    }
    return {};
}

}  // namespace pm::rpc::detail
