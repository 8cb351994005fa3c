// Regressions for what the fuzz targets (tests/fuzz) found in the rpc module; the inputs that
// found them are replayed by the ctest fuzz.<target> runs too (tests/fuzz/corpus/*/regress-*).

#include <string>

#include <gtest/gtest.h>

#include "pm/v1/control.pb.h"
#include "rpc/codec.hpp"
#include "rpc/connect_error.hpp"

namespace pm::rpc::detail {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// fuzz_connect_envelope: a Connect stream whose JSON message held a byte that is not UTF-8 got
// an end-of-stream message quoting protobuf's parse error with that byte in it, which is not
// JSON any client parses (boost::json writes strings unchecked).
TEST(RpcFuzzFindings, EndStreamMessageStaysUtf8WhenTheErrorQuotesRequestBytes) {
    const Status status{Code::invalid_argument,
                        "unmarshal: \xE7\"fail-1\" overlong \xC0\xAF surrogate \xED\xA0\x80 "
                        "cut \xE2\x82 ok \xC3\xA9 \xF0\x9F\x98\x80"};
    Headers trailers;
    trailers.add("x-bad", "\xFF value");
    const auto json = connect_end_stream_json(status, trailers);
    const auto end = parse_connect_end_stream(json);
    ASSERT_TRUE(end.has_value()) << json;
    EXPECT_EQ(end->status.code, Code::invalid_argument);
    EXPECT_EQ(end->status.message, "unmarshal: " + kReplacement + "\"fail-1\" overlong " +
                                       kReplacement + kReplacement + " surrogate " + kReplacement +
                                       kReplacement + kReplacement + " cut " + kReplacement +
                                       kReplacement + " ok \xC3\xA9 \xF0\x9F\x98\x80");
    EXPECT_EQ(end->trailers.get("x-bad"), kReplacement + " value");
}

// The same for the body of a Connect unary error.
TEST(RpcFuzzFindings, ConnectErrorBodyStaysUtf8) {
    const auto json = connect_error_json({Code::invalid_argument, "bad \x80\xFE byte"});
    const auto status = parse_connect_error(json);
    ASSERT_TRUE(status.has_value()) << json;
    EXPECT_EQ(status->message, "bad " + kReplacement + kReplacement + " byte");
}

// fuzz_json_request: every binary request with a string field that is not UTF-8 made
// libprotobuf write an ERROR line to stderr, past the server's logger, as often as a client
// liked to send one.
TEST(RpcFuzzFindings, BinaryRequestWithInvalidUtf8IsRefusedWithoutLogging) {
    const std::string wire =
        "\x0A\x03"
        "a\xFF"
        "b";  // LoginRequest.email = "a\xFFb"
    pm::v1::LoginRequest request;
    testing::internal::CaptureStderr();
    const auto status = decode_message(Codec::proto, wire, request, true);
    const auto logged = testing::internal::GetCapturedStderr();
    EXPECT_EQ(status.code, Code::invalid_argument);
    EXPECT_EQ(logged, "");
}

}  // namespace
}  // namespace pm::rpc::detail
