// The protocol building blocks without sockets: status tables, headers, content types,
// envelopes, gzip (with a bomb), percent-encoding, timeouts, Connect error JSON.

#include <gtest/gtest.h>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/status.hpp>

#include "rpc/codec.hpp"
#include "rpc/compression.hpp"
#include "rpc/connect_error.hpp"
#include "rpc/envelope.hpp"
#include "rpc/text_codec.hpp"
#include "rpc/wire_timeout.hpp"

namespace pm::rpc {
namespace {

using namespace std::chrono_literals;

TEST(StatusTest, HttpStatusesAreConnectGos) {
    const std::pair<Code, int> table[] = {
        {Code::canceled, 499},
        {Code::unknown, 500},
        {Code::invalid_argument, 400},
        {Code::deadline_exceeded, 504},
        {Code::not_found, 404},
        {Code::already_exists, 409},
        {Code::permission_denied, 403},
        {Code::resource_exhausted, 429},
        {Code::failed_precondition, 400},
        {Code::aborted, 409},
        {Code::out_of_range, 400},
        {Code::unimplemented, 501},
        {Code::internal, 500},
        {Code::unavailable, 503},
        {Code::data_loss, 500},
        {Code::unauthenticated, 401},
    };
    for (const auto& [code, http] : table) {
        EXPECT_EQ(http_status_for(code), http) << code_name(code);
    }
}

TEST(StatusTest, NamesRoundTrip) {
    for (int i = 0; i <= 16; ++i) {
        const auto code = static_cast<Code>(i);
        EXPECT_EQ(code_from_name(code_name(code)), code);
    }
    EXPECT_EQ(code_name(Code::invalid_argument), "invalid_argument");
    EXPECT_EQ(code_from_name("InvalidArgument"), std::nullopt);
    EXPECT_EQ(code_from_name(""), std::nullopt);
}

TEST(StatusTest, ClientReadsBareHttpStatusesLikeConnect) {
    EXPECT_EQ(code_for_http_status(400), Code::internal);
    EXPECT_EQ(code_for_http_status(401), Code::unauthenticated);
    EXPECT_EQ(code_for_http_status(403), Code::permission_denied);
    EXPECT_EQ(code_for_http_status(404), Code::unimplemented);
    EXPECT_EQ(code_for_http_status(429), Code::unavailable);
    EXPECT_EQ(code_for_http_status(502), Code::unavailable);
    EXPECT_EQ(code_for_http_status(503), Code::unavailable);
    EXPECT_EQ(code_for_http_status(504), Code::unavailable);
    EXPECT_EQ(code_for_http_status(418), Code::unknown);
    EXPECT_EQ(code_for_http_status(500), Code::unknown);
}

TEST(HeadersTest, NamesAreLowerCaseAndLookupIgnoresCase) {
    Headers headers;
    headers.add("Content-Type", "application/json");
    headers.add("X-Many", "1");
    headers.add("x-many", "2");
    EXPECT_EQ(headers.fields().front().first, "content-type");
    EXPECT_EQ(headers.get("CONTENT-TYPE"), "application/json");
    EXPECT_EQ(headers.get("x-many"), "1");
    headers.set("X-MANY", "3");
    EXPECT_EQ(headers.get("x-many"), "3");
    EXPECT_EQ(headers.fields().size(), 2u);
    headers.erase("Content-type");
    EXPECT_EQ(headers.get("content-type"), std::nullopt);
}

TEST(ContentTypeTest, EachProtocolAndCodec) {
    struct Case {
        std::string_view value;
        Protocol protocol;
        Codec codec;
        bool streaming;
        bool text;
    };
    const Case cases[] = {
        {"application/proto", Protocol::connect, Codec::proto, false, false},
        {"application/json; charset=utf-8", Protocol::connect, Codec::json, false, false},
        {"Application/JSON", Protocol::connect, Codec::json, false, false},
        {"application/connect+proto", Protocol::connect, Codec::proto, true, false},
        {"application/connect+json", Protocol::connect, Codec::json, true, false},
        {"application/grpc", Protocol::grpc, Codec::proto, false, false},
        {"application/grpc+proto", Protocol::grpc, Codec::proto, false, false},
        {"application/grpc+json", Protocol::grpc, Codec::json, false, false},
        {"application/grpc-web", Protocol::grpc_web, Codec::proto, false, false},
        {"application/grpc-web+json", Protocol::grpc_web, Codec::json, false, false},
        {"application/grpc-web-text", Protocol::grpc_web, Codec::proto, false, true},
        {"application/grpc-web-text+proto", Protocol::grpc_web, Codec::proto, false, true},
    };
    for (const auto& c : cases) {
        const auto type = detail::parse_content_type(c.value);
        ASSERT_TRUE(type.has_value()) << c.value;
        EXPECT_EQ(type->protocol, c.protocol) << c.value;
        EXPECT_EQ(type->codec, c.codec) << c.value;
        EXPECT_EQ(type->connect_streaming, c.streaming) << c.value;
        EXPECT_EQ(type->web_text, c.text) << c.value;
    }
    for (const auto* bad : {"", "text/plain", "application/grpc+xml", "application/connect+",
                            "application/grpcx", "application/protobuf"}) {
        EXPECT_FALSE(detail::parse_content_type(bad).has_value()) << bad;
    }
}

TEST(EnvelopeTest, ReassemblesEnvelopesSplitAnywhere) {
    const auto wire = detail::make_envelope(0, "hello") +
                      detail::make_envelope(detail::kFlagEndStream, "{}") +
                      detail::make_envelope(0, "");
    for (std::size_t step = 1; step <= wire.size(); ++step) {
        detail::EnvelopeReader reader(100);
        std::vector<detail::Envelope> got;
        for (std::size_t i = 0; i < wire.size(); i += step) {
            reader.append(std::string_view(wire).substr(i, step));
            detail::Envelope envelope;
            while (reader.next(envelope) == detail::EnvelopeReader::Result::envelope) {
                got.push_back(envelope);
            }
        }
        ASSERT_EQ(got.size(), 3u) << "step " << step;
        EXPECT_EQ(got[0].payload, "hello");
        EXPECT_EQ(got[1].flags, detail::kFlagEndStream);
        EXPECT_EQ(got[1].payload, "{}");
        EXPECT_EQ(got[2].payload, "");
        EXPECT_TRUE(reader.empty());
    }
}

TEST(EnvelopeTest, RefusesAnOversizedEnvelopeFromItsPrefix) {
    detail::EnvelopeReader reader(10);
    // Only the prefix has arrived, announcing 4 GiB - 1: refused before buffering anything.
    reader.append(std::string("\x00\xff\xff\xff\xff", 5));
    detail::Envelope envelope;
    EXPECT_EQ(reader.next(envelope), detail::EnvelopeReader::Result::too_large);
}

TEST(CompressionTest, GzipRoundTrip) {
    std::string data;
    for (int i = 0; i < 10000; ++i) {
        data += "line " + std::to_string(i) + "\n";
    }
    const auto packed = detail::gzip_compress(data);
    EXPECT_LT(packed.size(), data.size() / 3);
    std::string unpacked;
    ASSERT_TRUE(detail::gzip_decompress(packed, data.size(), unpacked).ok());
    EXPECT_EQ(unpacked, data);
    EXPECT_TRUE(detail::gzip_decompress(detail::gzip_compress(""), 0, unpacked).ok());
    EXPECT_EQ(unpacked, "");
}

TEST(CompressionTest, BombStopsAtTheLimit) {
    // 64 MiB of zeros packs into about 64 KiB; inflating must stop near the 1 MiB limit.
    const auto bomb = detail::gzip_compress(std::string(64u << 20, '\0'));
    ASSERT_LT(bomb.size(), 100u * 1024);
    std::string out;
    const auto status = detail::gzip_decompress(bomb, 1u << 20, out);
    EXPECT_EQ(status.code, Code::resource_exhausted);
    EXPECT_TRUE(out.empty());
}

TEST(CompressionTest, CorruptAndTruncatedDataAreInvalidArgument) {
    std::string out;
    EXPECT_EQ(detail::gzip_decompress("not gzip at all", 1000, out).code, Code::invalid_argument);
    const auto packed = detail::gzip_compress("some text that will be cut short");
    EXPECT_EQ(detail::gzip_decompress(packed.substr(0, packed.size() - 6), 1000, out).code,
              Code::invalid_argument);
}

TEST(CompressionTest, AcceptEncodingLists) {
    EXPECT_TRUE(detail::accepts_gzip("gzip"));
    EXPECT_TRUE(detail::accepts_gzip("br, GZIP;q=0.5"));
    EXPECT_FALSE(detail::accepts_gzip("gzip;q=0"));
    EXPECT_FALSE(detail::accepts_gzip("identity"));
    EXPECT_FALSE(detail::accepts_gzip("gzipx"));
    EXPECT_TRUE(detail::is_identity(""));
    EXPECT_TRUE(detail::is_identity("identity"));
    EXPECT_FALSE(detail::is_identity("gzip"));
}

TEST(TextCodecTest, PercentEncoding) {
    EXPECT_EQ(detail::percent_encode("plain text"), "plain text");
    EXPECT_EQ(detail::percent_encode("50% off\n\xc3\xa9"), "50%25 off%0A%C3%A9");
    EXPECT_EQ(detail::percent_decode("50%25 off%0A%C3%A9"), "50% off\n\xc3\xa9");
    EXPECT_EQ(detail::percent_decode("bad %zz escape %4"), "bad %zz escape %4");
}

TEST(TimeoutTest, ConnectTimeoutMs) {
    EXPECT_EQ(detail::parse_connect_timeout("1500"), 1500ms);
    EXPECT_EQ(detail::parse_connect_timeout("9999999999"), 9999999999ms);
    EXPECT_EQ(detail::parse_connect_timeout("99999999999"), std::nullopt);  // 11 digits
    EXPECT_EQ(detail::parse_connect_timeout(""), std::nullopt);
    EXPECT_EQ(detail::parse_connect_timeout("-1"), std::nullopt);
    EXPECT_EQ(detail::parse_connect_timeout("1.5"), std::nullopt);
}

TEST(TimeoutTest, GrpcTimeout) {
    EXPECT_EQ(detail::parse_grpc_timeout("1H"), std::chrono::hours(1));
    EXPECT_EQ(detail::parse_grpc_timeout("2M"), std::chrono::minutes(2));
    EXPECT_EQ(detail::parse_grpc_timeout("3S"), 3s);
    EXPECT_EQ(detail::parse_grpc_timeout("40m"), 40ms);
    EXPECT_EQ(detail::parse_grpc_timeout("50u"), 50us);
    EXPECT_EQ(detail::parse_grpc_timeout("60n"), 60ns);
    EXPECT_EQ(detail::parse_grpc_timeout("99999999H"), std::chrono::nanoseconds::max());
    EXPECT_EQ(detail::parse_grpc_timeout("123456789S"), std::nullopt);  // 9 digits
    EXPECT_EQ(detail::parse_grpc_timeout("5"), std::nullopt);
    EXPECT_EQ(detail::parse_grpc_timeout("5x"), std::nullopt);
    EXPECT_EQ(detail::format_grpc_timeout(1500ms), "1500000u");
    EXPECT_EQ(detail::parse_grpc_timeout(detail::format_grpc_timeout(90s)), 90s);
}

TEST(ConnectErrorTest, ErrorBodyRoundTrip) {
    const Status status{Code::not_found, "no device \"x\""};
    const auto json = detail::connect_error_json(status);
    EXPECT_EQ(json, R"({"code":"not_found","message":"no device \"x\""})");
    EXPECT_EQ(detail::parse_connect_error(json), status);
    EXPECT_EQ(detail::connect_error_json({Code::internal, ""}), R"({"code":"internal"})");
    EXPECT_EQ(detail::parse_connect_error(R"({"code":"teapot"})")->code, Code::unknown);
    EXPECT_EQ(detail::parse_connect_error("not json"), std::nullopt);
    EXPECT_EQ(detail::parse_connect_error(R"({"message":"no code"})"), std::nullopt);
}

TEST(ConnectErrorTest, EndStreamMessage) {
    Headers trailers;
    trailers.add("x-count", "1");
    trailers.add("x-count", "2");
    EXPECT_EQ(detail::connect_end_stream_json({}, {}), "{}");
    const auto json = detail::connect_end_stream_json({Code::aborted, "stop"}, trailers);
    EXPECT_EQ(json,
              R"({"error":{"code":"aborted","message":"stop"},"metadata":{"x-count":["1","2"]}})");
    const auto parsed = detail::parse_connect_end_stream(json);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->status, (Status{Code::aborted, "stop"}));
    EXPECT_EQ(parsed->trailers.fields().size(), 2u);
    EXPECT_TRUE(detail::parse_connect_end_stream("{}")->status.ok());
}

}  // namespace
}  // namespace pm::rpc
