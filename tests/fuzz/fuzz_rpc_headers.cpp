// Fuzzes the small parsers of request headers and of the protocols' text encodings.
//
// Input: one byte choosing the parser, then its input.
//   0 grpc-timeout        parses; a result formats back to a timeout no longer than it
//   1 Connect-Timeout-Ms  parses; the deadline it sets is computed without overflow
//   2 Content-Type        parses; the media type is lower case, the protocol fits it
//   3 encodings           accepts_gzip / is_identity do not fail
//   4 base64              decodes; base64 of any bytes decodes back to them
//   5 percent-encoding    decode(encode(x)) == x, and encode(x) is printable ASCII
//   6 Connect error body  parses; what it says serializes and parses back the same
//   7 Connect end-of-stream message, the same; and code names both ways

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <powermanage/common/base64.hpp>

#include "fuzz_support.hpp"
#include "rpc/codec.hpp"
#include "rpc/compression.hpp"
#include "rpc/connect_error.hpp"
#include "rpc/protocols.hpp"
#include "rpc/text_codec.hpp"
#include "rpc/wire_timeout.hpp"

namespace {

namespace detail = pm::rpc::detail;
using pm::fuzz::require;

void grpc_timeout(std::string_view text) {
    const auto parsed = detail::parse_grpc_timeout(text);
    if (!parsed) {
        return;
    }
    require(parsed->count() >= 0, "negative grpc-timeout", text);
    const auto formatted = detail::format_grpc_timeout(*parsed);
    const auto back = detail::parse_grpc_timeout(formatted);
    require(back.has_value(), "format_grpc_timeout wrote what parse_grpc_timeout refuses",
            formatted);
    require(*back <= *parsed, "grpc-timeout grew in a round trip", formatted);
    (void)detail::deadline_after(*parsed);
}

void connect_timeout(std::string_view text) {
    const auto parsed = detail::parse_connect_timeout(text);
    if (!parsed) {
        return;
    }
    require(parsed->count() >= 0, "negative Connect-Timeout-Ms", text);
    (void)detail::deadline_after(*parsed);
}

void content_type(std::string_view text) {
    const auto type = detail::parse_content_type(text);
    if (!type) {
        return;
    }
    for (const char c : type->media_type) {
        require(!(c >= 'A' && c <= 'Z'), "media type not lower case", type->media_type);
    }
    require(!type->web_text || type->protocol == pm::rpc::Protocol::grpc_web,
            "web_text outside gRPC-Web", type->media_type);
    require(!type->connect_streaming || type->protocol == pm::rpc::Protocol::connect,
            "connect_streaming outside Connect", type->media_type);
    // The same type again with parameters after it is the same type.
    const auto again = detail::parse_content_type(type->media_type + "; charset=utf-8");
    require(again && again->media_type == type->media_type && again->codec == type->codec &&
                again->protocol == type->protocol,
            "parameters changed the content type", type->media_type);
}

void base64(std::string_view text) {
    (void)pm::base64_decode(text);
    const auto encoded = pm::base64_encode(text);
    const auto decoded = pm::base64_decode(encoded);
    require(decoded && *decoded == text, "base64 round trip", encoded);
}

void percent(std::string_view text) {
    (void)detail::percent_decode(text);
    const auto encoded = detail::percent_encode(text);
    for (const char c : encoded) {
        require(c >= 0x20 && c <= 0x7E, "percent_encode left a byte outside printable ASCII");
    }
    require(detail::percent_decode(encoded) == text, "percent round trip", encoded);
}

void connect_error(std::string_view text) {
    const auto status = detail::parse_connect_error(text);
    if (!status) {
        return;
    }
    require(status->code != pm::rpc::Code::ok, "a Connect error body read as ok", text);
    const auto json = detail::connect_error_json(*status);
    const auto back = detail::parse_connect_error(json);
    require(back && back->code == status->code && back->message == status->message,
            "Connect error round trip", json);
    (void)pm::rpc::http_status_for(status->code);
}

void end_stream(std::string_view text) {
    if (const auto code = pm::rpc::code_from_name(text)) {
        require(pm::rpc::code_name(*code) == text, "code name round trip", text);
    }
    const auto end = detail::parse_connect_end_stream(text);
    if (!end) {
        return;
    }
    const auto json = detail::connect_end_stream_json(end->status, end->trailers);
    const auto back = detail::parse_connect_end_stream(json);
    require(back.has_value(), "an end-of-stream message we write does not parse", json);
    require(back->status.code == end->status.code && back->status.message == end->status.message,
            "end-of-stream status round trip", json);
    // Metadata is grouped by name on the wire, so only the order within one name is kept.
    auto before = end->trailers.fields();
    auto after = back->trailers.fields();
    std::stable_sort(before.begin(), before.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(after.begin(), after.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    require(before == after, "end-of-stream metadata round trip", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pm::fuzz::Input input(data, size);
    const auto choice = input.byte();
    const auto text = input.rest();
    switch (choice % 8) {
        case 0:
            grpc_timeout(text);
            break;
        case 1:
            connect_timeout(text);
            break;
        case 2:
            content_type(text);
            break;
        case 3:
            (void)detail::accepts_gzip(text);
            (void)detail::is_identity(text);
            break;
        case 4:
            base64(text);
            break;
        case 5:
            percent(text);
            break;
        case 6:
            connect_error(text);
            break;
        default:
            end_stream(text);
            break;
    }
    return 0;
}
