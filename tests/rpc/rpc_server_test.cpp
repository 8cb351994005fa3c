// The server over real loopback sockets, cleartext: Connect unary (proto, JSON, gzip, errors,
// limits, timeouts), the HTTP policy (404/405/415, CORS, security headers), interceptors and
// observers, streaming and gRPC-Web over HTTP/1.1, connection handling and graceful stop.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/base64.hpp>
#include <powermanage/rpc/client.hpp>
#include <powermanage/rpc/server.hpp>

#include "http_probe.hpp"
#include "pm/v1/control.pb.h"
#include "rpc/compression.hpp"
#include "rpc/envelope.hpp"
#include "rpc_test_support.hpp"

namespace pm::testing {
namespace {

using namespace std::chrono_literals;
using rpc::Code;
using rpc::Status;
using test::v1::EchoRequest;
using test::v1::EchoResponse;

constexpr const char* kUnaryPath = "/pm.test.v1.EchoService/Unary";
constexpr const char* kAllowedOrigin = "https://app.example";

const HeaderList kJson = {{"content-type", "application/json"}};

std::string envelope_of(const google::protobuf::Message& message) {
    return rpc::detail::make_envelope(0, message.SerializeAsString());
}

std::vector<rpc::detail::Envelope> envelopes_in(std::string_view body) {
    rpc::detail::EnvelopeReader reader(1u << 20);
    reader.append(body);
    std::vector<rpc::detail::Envelope> out;
    rpc::detail::Envelope envelope;
    while (reader.next(envelope) == rpc::detail::EnvelopeReader::Result::envelope) {
        out.push_back(envelope);
    }
    EXPECT_TRUE(reader.empty());
    return out;
}

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override { start(test_server_options()); }
    // Observers run after responses are sent: stop the server before the members they use go.
    void TearDown() override { server_->stop(); }

    // Replaces the fixture's server by one whose limits `edit` changed.
    void restart_with(const std::function<void(rpc::Limits&)>& edit) {
        server_->stop();
        auto options = test_server_options();
        edit(options.limits);
        start(std::move(options));
    }

    void start(rpc::ServerOptions options) {
        options.cors.enabled = true;
        options.cors.allowed_origins = {kAllowedOrigin};
        server_ = std::make_unique<rpc::Server>(std::move(options));
        add_echo_service(*server_);
        server_->add_interceptor([this](rpc::CallContext& ctx) -> rpc::Task<Status> {
            intercepted_.fetch_add(1);
            if (ctx.request_headers.get("x-deny")) {
                co_return Status{Code::permission_denied, "denied by the test interceptor"};
            }
            co_return Status{};
        });
        server_->add_observer(
            [this](const rpc::CallContext& ctx, const Status& status, std::chrono::nanoseconds) {
                std::lock_guard lock(mutex_);
                observed_.push_back(ctx.method->name() + ":" +
                                    std::string(rpc::code_name(status.code)));
            });
        server_->add_plain_route("/health", [] {
            return rpc::PlainResponse{200, "text/plain", "ok"};
        });
        server_->start();
        port_ = server_->port();
    }

    rpc::Client client(rpc::Codec codec = rpc::Codec::proto, bool http2 = false) {
        rpc::ClientOptions options;
        options.base_url = "http://127.0.0.1:" + std::to_string(port_);
        options.http2 = http2;
        options.codec = codec;
        options.timeout = 10s;
        return rpc::Client(io_.get_executor(), std::move(options));
    }

    Status call(rpc::Client& client, const EchoRequest& request, EchoResponse& response,
                const rpc::Headers& extra = {}) {
        return run_on(io_, client.unary(kEchoUnary, request, response, extra));
    }

    std::vector<std::string> observed() {
        std::lock_guard lock(mutex_);
        return observed_;
    }

    boost::asio::io_context io_;
    std::unique_ptr<rpc::Server> server_;
    std::uint16_t port_ = 0;
    std::atomic<int> intercepted_{0};
    std::mutex mutex_;
    std::vector<std::string> observed_;
};

// ---- Connect unary ------------------------------------------------------------------------

TEST_F(ServerTest, UnaryProtoOverHttp1) {
    auto c = client(rpc::Codec::proto);
    auto request = echo_request("hello");
    request.set_number(9007199254740993);  // beyond a double's precision
    request.add_tags("a");
    request.add_tags("b");
    EchoResponse response;
    ASSERT_EQ(call(c, request, response), Status{});
    EXPECT_EQ(response.message(), "hello");
    EXPECT_EQ(response.number(), 9007199254740993);
    ASSERT_EQ(response.tags_size(), 2);
    EXPECT_EQ(response.tags(1), "b");
    EXPECT_EQ(c.last_response_headers().get("content-type"), "application/proto");
}

TEST_F(ServerTest, UnaryJsonOverHttp1) {
    auto c = client(rpc::Codec::json);
    auto request = echo_request("json");
    request.set_number(-42);
    EchoResponse response;
    ASSERT_EQ(call(c, request, response), Status{});
    EXPECT_EQ(response.message(), "json");
    EXPECT_EQ(response.number(), -42);
    EXPECT_EQ(c.last_response_headers().get("content-type"), "application/json");
}

TEST_F(ServerTest, RawJsonUsesProto3Mapping) {
    // int64 as a string, snake_case accepted on input, lowerCamelCase on output.
    const auto response = http_request(port_, "POST", kUnaryPath, kJson,
                                       R"({"message":"raw","number":"12345678901","tags":["x"]})");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("content-type"), "application/json");
    EXPECT_EQ(response.body, R"({"message":"raw","number":"12345678901","tags":["x"]})");
}

TEST_F(ServerTest, JsonUnknownFieldsAreIgnoredLikeConnectGo) {
    const auto response =
        http_request(port_, "POST", kUnaryPath, kJson, R"({"message":"m","fromTheFuture":1})");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"message":"m"})");
}

TEST_F(ServerTest, MalformedJsonIsInvalidArgument) {
    const auto response = http_request(port_, "POST", kUnaryPath, kJson, R"({"message":)");
    EXPECT_EQ(response.status, 400);
    EXPECT_NE(response.body.find(R"("code":"invalid_argument")"), std::string::npos);
    EXPECT_EQ(http_request(port_, "POST", kUnaryPath, kJson, "").status, 400);
}

TEST_F(ServerTest, ErrorCodesMapToConnectHttpStatuses) {
    auto c = client(rpc::Codec::json);
    for (int i = 1; i <= 16; ++i) {
        const auto code = static_cast<Code>(i);
        const std::string name(rpc::code_name(code));
        const auto response =
            http_request(port_, "POST", kUnaryPath, kJson, R"({"message":"fail:)" + name + R"("})");
        EXPECT_EQ(response.status, rpc::http_status_for(code)) << name;
        EXPECT_EQ(response.header("content-type"), "application/json") << name;
        EXPECT_NE(response.body.find(R"({"code":")" + name + R"(")"), std::string::npos)
            << response.body;
        EchoResponse ignored;
        const auto status = call(c, echo_request("fail:" + name), ignored);
        EXPECT_EQ(status.code, code) << name;
        EXPECT_EQ(status.message, "failed as asked: " + name);
    }
}

TEST_F(ServerTest, UnknownMethodIsPlain404) {
    for (const auto* path : {"/pm.test.v1.EchoService/Nope", "/pm.test.v1.Nope/Unary", "/"}) {
        const auto response = http_request(port_, "POST", path, kJson, "{}");
        EXPECT_EQ(response.status, 404) << path;
        EXPECT_EQ(response.body, "404 page not found\n");
    }
}

TEST_F(ServerTest, WrongContentTypeIs415) {
    auto response = http_request(port_, "POST", kUnaryPath, {{"content-type", "text/plain"}}, "x");
    EXPECT_EQ(response.status, 415);
    EXPECT_NE(response.header("accept-post").find("application/json"), std::string::npos);
    // A streaming content type on a unary method, and the other way round.
    response = http_request(port_, "POST", kUnaryPath,
                            {{"content-type", "application/connect+proto"}}, "");
    EXPECT_EQ(response.status, 415);
    response = http_request(port_, "POST", "/pm.test.v1.EchoService/ServerStream", kJson, "{}");
    EXPECT_EQ(response.status, 415);
}

TEST_F(ServerTest, RpcsArePostOnly) {
    const auto response = http_request(port_, "GET", kUnaryPath);
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.header("allow"), "POST");
}

TEST_F(ServerTest, WrongProtocolVersionIsInvalidArgument) {
    const auto response = http_request(
        port_, "POST", kUnaryPath,
        {{"content-type", "application/json"}, {"connect-protocol-version", "2"}}, "{}");
    EXPECT_EQ(response.status, 400);
}

TEST_F(ServerTest, GzipRequestAndResponse) {
    EchoRequest request = echo_request(std::string(5000, 'z'));
    const auto body = rpc::detail::gzip_compress(request.SerializeAsString());
    const auto response = http_request(port_, "POST", kUnaryPath,
                                       {{"content-type", "application/proto"},
                                        {"content-encoding", "gzip"},
                                        {"accept-encoding", "gzip"}},
                                       body);
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("content-encoding"), "gzip");
    std::string plain;
    ASSERT_TRUE(rpc::detail::gzip_decompress(response.body, 1u << 20, plain).ok());
    EchoResponse echoed;
    ASSERT_TRUE(echoed.ParseFromString(plain));
    EXPECT_EQ(echoed.message(), request.message());

    // Small answers are not worth compressing.
    const auto small =
        http_request(port_, "POST", kUnaryPath,
                     {{"content-type", "application/json"}, {"accept-encoding", "gzip"}},
                     R"({"message":"tiny"})");
    EXPECT_EQ(small.header("content-encoding"), "");

    // The client asks for gzip and inflates transparently.
    auto c = client();
    EchoResponse through_client;
    ASSERT_EQ(call(c, request, through_client), Status{});
    EXPECT_EQ(c.last_response_headers().get("content-encoding"), "gzip");
    EXPECT_EQ(through_client.message(), request.message());
}

TEST_F(ServerTest, UnsupportedContentEncodingIsUnimplemented) {
    const auto response =
        http_request(port_, "POST", kUnaryPath,
                     {{"content-type", "application/json"}, {"content-encoding", "br"}}, "{}");
    EXPECT_EQ(response.status, 501);
    EXPECT_EQ(response.header("accept-encoding"), "gzip");
}

TEST_F(ServerTest, MetadataTravelsAsHeadersAndPrefixedTrailers) {
    const auto response = http_request(
        port_, "POST", kUnaryPath,
        {{"content-type", "application/json"}, {"x-echo-header", "h1"}, {"x-echo-trailer", "t1"}},
        "{}");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("x-echo-header"), "h1");
    EXPECT_EQ(response.header("trailer-x-echo-trailer"), "t1");
}

TEST_F(ServerTest, ConnectTimeoutCancelsTheHandler) {
    const auto started = std::chrono::steady_clock::now();
    const auto response =
        http_request(port_, "POST", kUnaryPath,
                     {{"content-type", "application/json"}, {"connect-timeout-ms", "100"}},
                     R"({"message":"sleep:5000"})");
    EXPECT_EQ(response.status, 504);
    EXPECT_NE(response.body.find(R"("code":"deadline_exceeded")"), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);

    rpc::ClientOptions options;
    options.base_url = "http://127.0.0.1:" + std::to_string(port_);
    options.http2 = false;
    options.timeout = 150ms;
    rpc::Client c(io_.get_executor(), options);
    EchoResponse ignored;
    EXPECT_EQ(call(c, echo_request("sleep:5000"), ignored).code, Code::deadline_exceeded);
}

TEST_F(ServerTest, MalformedTimeoutIsInvalidArgument) {
    const auto response =
        http_request(port_, "POST", kUnaryPath,
                     {{"content-type", "application/json"}, {"connect-timeout-ms", "soon"}}, "{}");
    EXPECT_EQ(response.status, 400);
}

// ---- HTTP policy --------------------------------------------------------------------------

TEST_F(ServerTest, CorsPreflightFromAnAllowedOrigin) {
    const auto response = http_request(port_, "OPTIONS", kUnaryPath,
                                       {{"origin", kAllowedOrigin},
                                        {"access-control-request-method", "POST"},
                                        {"access-control-request-headers", "content-type"}});
    EXPECT_EQ(response.status, 204);
    EXPECT_EQ(response.header("access-control-allow-origin"), kAllowedOrigin);
    EXPECT_EQ(response.header("access-control-allow-credentials"), "true");
    EXPECT_EQ(response.header("access-control-allow-methods"), "GET, POST, PUT, DELETE, OPTIONS");
    EXPECT_EQ(response.header("access-control-allow-headers"),
              "Accept, Authorization, Content-Type, Connect-Protocol-Version, "
              "Connect-Timeout-Ms, Cookie");
    EXPECT_EQ(response.header("access-control-expose-headers"),
              "Connect-Content-Encoding, Connect-Protocol-Version");
    EXPECT_EQ(response.header("access-control-max-age"), "86400");
}

TEST_F(ServerTest, CorsPreflightFromAnotherOriginIs403) {
    const auto response = http_request(
        port_, "OPTIONS", kUnaryPath,
        {{"origin", "https://evil.example"}, {"access-control-request-method", "POST"}});
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(response.header("access-control-allow-origin"), "");
}

TEST_F(ServerTest, CorsHeadersOnAnActualRequest) {
    auto response =
        http_request(port_, "POST", kUnaryPath,
                     {{"content-type", "application/json"}, {"origin", kAllowedOrigin}}, "{}");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("access-control-allow-origin"), kAllowedOrigin);
    EXPECT_EQ(response.header("access-control-allow-credentials"), "true");
    response = http_request(
        port_, "POST", kUnaryPath,
        {{"content-type", "application/json"}, {"origin", "https://evil.example"}}, "{}");
    EXPECT_EQ(response.header("access-control-allow-origin"), "");
}

TEST_F(ServerTest, SecurityHeadersOnEveryResponse) {
    for (const auto& response :
         {http_request(port_, "POST", kUnaryPath, kJson, "{}"),
          http_request(port_, "POST", "/nowhere", kJson, "{}"),
          http_request(port_, "GET", "/health"),
          http_request(port_, "POST", kUnaryPath, kJson, R"({"message":"fail:internal"})")}) {
        EXPECT_EQ(response.header("x-frame-options"), "DENY");
        EXPECT_EQ(response.header("x-content-type-options"), "nosniff");
        EXPECT_EQ(response.header("referrer-policy"), "strict-origin-when-cross-origin");
        EXPECT_EQ(response.header("x-xss-protection"), "0");
        EXPECT_EQ(response.header("permissions-policy"),
                  "camera=(), microphone=(), geolocation=()");
        EXPECT_EQ(response.header("strict-transport-security"), "");  // cleartext
    }
    const auto proxied = http_request(port_, "GET", "/health", {{"x-forwarded-proto", "https"}});
    EXPECT_EQ(proxied.header("strict-transport-security"), "max-age=31536000; includeSubDomains");
}

TEST_F(ServerTest, PlainRoutes) {
    const auto health = http_request(port_, "GET", "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok");
    EXPECT_EQ(http_request(port_, "POST", "/health", {}, "").status, 405);
}

// ---- interceptors and observers -----------------------------------------------------------

TEST_F(ServerTest, InterceptorRejectionSkipsTheHandler) {
    auto c = client();
    rpc::Headers deny;
    deny.add("x-deny", "1");
    EchoResponse response;
    const auto status = call(c, echo_request("sleep:2000"), response, deny);
    EXPECT_EQ(status.code, Code::permission_denied);
    EXPECT_EQ(status.message, "denied by the test interceptor");
    EXPECT_GE(intercepted_.load(), 1);
    // The observer runs after the response went out, so it may not have run yet.
    for (int i = 0; i < 100 && observed().empty(); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_FALSE(observed().empty());
    EXPECT_EQ(observed().back(), "Unary:permission_denied");
}

TEST_F(ServerTest, ObserversSeeEveryCall) {
    auto c = client();
    EchoResponse response;
    call(c, echo_request("one"), response);
    call(c, echo_request("fail:not_found"), response);
    http_request(port_, "POST", kUnaryPath, kJson, "{bad json");
    // The observer runs after the response is sent: give the server a moment.
    for (int i = 0; i < 100 && observed().size() < 3; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    // Each observer runs after its response went out, so one call's observer may run after
    // the next call's: compare without order.
    auto seen = observed();
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen,
              (std::vector<std::string>{"Unary:invalid_argument", "Unary:not_found", "Unary:ok"}));
}

// ---- streaming and gRPC-Web over HTTP/1.1 -------------------------------------------------

TEST_F(ServerTest, ConnectServerStreamOverHttp1) {
    EchoRequest request = echo_request("tick");
    request.set_count(3);
    const auto response =
        http_request(port_, "POST", "/pm.test.v1.EchoService/ServerStream",
                     {{"content-type", "application/connect+proto"}}, envelope_of(request));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("content-type"), "application/connect+proto");
    const auto frames = envelopes_in(response.body);
    ASSERT_EQ(frames.size(), 4u);
    for (int i = 0; i < 3; ++i) {
        EchoResponse message;
        ASSERT_TRUE(message.ParseFromString(frames[static_cast<std::size_t>(i)].payload));
        EXPECT_EQ(message.message(), "tick");
        EXPECT_EQ(message.index(), i);
    }
    EXPECT_EQ(frames[3].flags, rpc::detail::kFlagEndStream);
    EXPECT_EQ(frames[3].payload, "{}");
}

TEST_F(ServerTest, ConnectClientStreamOverHttp1) {
    std::string body;
    for (const auto* part : {"a", "b", "c"}) {
        body += envelope_of(echo_request(part));
    }
    const auto response = http_request(port_, "POST", "/pm.test.v1.EchoService/ClientStream",
                                       {{"content-type", "application/connect+proto"}}, body);
    ASSERT_EQ(response.status, 200);
    const auto frames = envelopes_in(response.body);
    ASSERT_EQ(frames.size(), 2u);
    EchoResponse message;
    ASSERT_TRUE(message.ParseFromString(frames[0].payload));
    EXPECT_EQ(message.message(), "abc");
    EXPECT_EQ(message.index(), 3);
}

TEST_F(ServerTest, ConnectStreamErrorsTravelInTheEndOfStreamMessage) {
    EchoRequest request = echo_request("fail:not_found");
    const auto response =
        http_request(port_, "POST", "/pm.test.v1.EchoService/ServerStream",
                     {{"content-type", "application/connect+json"}},
                     rpc::detail::make_envelope(0, R"({"message":"fail:not_found"})"));
    ASSERT_EQ(response.status, 200);
    const auto frames = envelopes_in(response.body);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].flags, rpc::detail::kFlagEndStream);
    EXPECT_EQ(frames[0].payload,
              R"({"error":{"code":"not_found","message":"failed as asked: not_found"}})");
}

TEST_F(ServerTest, OversizedStreamMessageIsResourceExhausted) {
    restart_with([](rpc::Limits& limits) { limits.max_stream_message = 100; });
    std::string body =
        rpc::detail::make_envelope(0, echo_request(std::string(200, 'x')).SerializeAsString());
    const auto response = http_request(port_, "POST", "/pm.test.v1.EchoService/ClientStream",
                                       {{"content-type", "application/connect+proto"}}, body);
    ASSERT_EQ(response.status, 200);
    const auto frames = envelopes_in(response.body);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_NE(frames[0].payload.find("resource_exhausted"), std::string::npos);
}

TEST_F(ServerTest, BidiAndGrpcNeedHttp2) {
    EXPECT_EQ(http_request(port_, "POST", "/pm.test.v1.EchoService/Bidi",
                           {{"content-type", "application/connect+proto"}}, "")
                  .status,
              505);
    EXPECT_EQ(http_request(port_, "POST", kUnaryPath, {{"content-type", "application/grpc"}},
                           envelope_of(echo_request("x")))
                  .status,
              505);
}

TEST_F(ServerTest, GrpcWebUnaryOverHttp1) {
    auto response =
        http_request(port_, "POST", kUnaryPath, {{"content-type", "application/grpc-web+proto"}},
                     envelope_of(echo_request("web")));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("content-type"), "application/grpc-web+proto");
    auto frames = envelopes_in(response.body);
    ASSERT_EQ(frames.size(), 2u);
    EchoResponse message;
    ASSERT_TRUE(message.ParseFromString(frames[0].payload));
    EXPECT_EQ(message.message(), "web");
    EXPECT_EQ(frames[1].flags, rpc::detail::kFlagTrailers);
    EXPECT_EQ(frames[1].payload, "grpc-status: 0\r\n");

    response =
        http_request(port_, "POST", kUnaryPath, {{"content-type", "application/grpc-web+proto"}},
                     envelope_of(echo_request("fail:not_found")));
    frames = envelopes_in(response.body);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload, "grpc-status: 5\r\ngrpc-message: failed as asked: not_found\r\n");
}

TEST_F(ServerTest, GrpcWebTextIsBase64BothWays) {
    const auto response =
        http_request(port_, "POST", kUnaryPath, {{"content-type", "application/grpc-web-text"}},
                     pm::base64_encode(envelope_of(echo_request("text mode"))));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.header("content-type"), "application/grpc-web-text");
    const auto decoded = pm::base64_decode(response.body);
    ASSERT_TRUE(decoded.has_value());
    const auto frames = envelopes_in(*decoded);
    ASSERT_EQ(frames.size(), 2u);
    EchoResponse message;
    ASSERT_TRUE(message.ParseFromString(frames[0].payload));
    EXPECT_EQ(message.message(), "text mode");
}

// ---- HTTP/2 (the nghttp2 engine behind the same listener) ---------------------------------

TEST_F(ServerTest, UnaryAndBidiOverH2c) {
    auto c = client(rpc::Codec::proto, true);
    EchoResponse response;
    ASSERT_EQ(call(c, echo_request("over h2c"), response), Status{});
    EXPECT_EQ(response.message(), "over h2c");

    auto stream = run_on(io_, c.stream(kEchoBidi));
    for (const auto* text : {"one", "two"}) {
        ASSERT_EQ(run_on(io_, stream->write(echo_request(text))), Status{});
        EchoResponse echoed;
        ASSERT_TRUE(run_on(io_, stream->read(echoed)));
        EXPECT_EQ(echoed.message(), text);
    }
    run_on(io_, stream->close_send());
    EchoResponse none;
    EXPECT_FALSE(run_on(io_, stream->read(none)));
    EXPECT_EQ(stream->finish(), Status{});
}

TEST_F(ServerTest, StreamsNeedHttp2OnTheClient) {
    auto c = client(rpc::Codec::proto, false);
    auto stream = run_on(io_, c.stream(kEchoBidi));
    EXPECT_EQ(stream->finish().code, Code::unimplemented);
}

TEST_F(ServerTest, ConcurrentFirstCallsShareOneHttp2Connection) {
    // Callers that find no connection at once must wait for one connect, not each open their
    // own and close the one the caller before them just started its call on.
    auto c = client(rpc::Codec::proto, true);
    constexpr int kCallers = 16;
    std::vector<EchoRequest> requests;
    std::vector<EchoResponse> responses(kCallers);
    std::vector<std::future<Status>> calls;
    const rpc::Headers no_headers;  // outlives the calls, unlike unary()'s default argument
    for (int i = 0; i < kCallers; ++i) {
        requests.push_back(echo_request("caller " + std::to_string(i)));
    }
    for (int i = 0; i < kCallers; ++i) {
        calls.push_back(
            boost::asio::co_spawn(io_,
                                  c.unary(kEchoUnary, requests[static_cast<std::size_t>(i)],
                                          responses[static_cast<std::size_t>(i)], no_headers),
                                  boost::asio::use_future));
    }
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    for (auto& call : calls) {
        while (call.wait_for(0s) != std::future_status::ready &&
               std::chrono::steady_clock::now() < give_up) {
            io_.restart();
            io_.run_one_for(50ms);
        }
        ASSERT_EQ(call.wait_for(0s), std::future_status::ready);
    }
    for (int i = 0; i < kCallers; ++i) {
        const auto status = calls[static_cast<std::size_t>(i)].get();
        EXPECT_TRUE(status.ok()) << "caller " << i << ": " << rpc::code_name(status.code) << " "
                                 << status.message;
        EXPECT_EQ(responses[static_cast<std::size_t>(i)].message(), "caller " + std::to_string(i));
    }
    EXPECT_EQ(server_->connection_count(), 1u);
}

// ---- limits and connections ---------------------------------------------------------------

TEST_F(ServerTest, BodyOverTheLimitIsResourceExhausted) {
    restart_with([](rpc::Limits& limits) { limits.max_request_body = 1024; });
    auto response = http_request(port_, "POST", kUnaryPath, {{"content-type", "application/proto"}},
                                 echo_request(std::string(2000, 'x')).SerializeAsString());
    EXPECT_EQ(response.status, 429);
    EXPECT_NE(response.body.find("resource_exhausted"), std::string::npos);
    // A gzip bomb: 10 KiB on the wire, 10 MiB inflated.
    const auto bomb = rpc::detail::gzip_compress(std::string(10u << 20, '\0'));
    response =
        http_request(port_, "POST", kUnaryPath,
                     {{"content-type", "application/proto"}, {"content-encoding", "gzip"}}, bomb);
    EXPECT_EQ(response.status, 429);
    // Under the limit still works.
    response = http_request(port_, "POST", kUnaryPath, kJson, R"({"message":"small"})");
    EXPECT_EQ(response.status, 200);
}

TEST_F(ServerTest, SlowHandlersOutliveTheIoTimeouts) {
    // The I/O timeouts bound socket operations, not the handler between them.
    restart_with([](rpc::Limits& limits) {
        limits.request_timeout = 200ms;
        limits.send_timeout = 200ms;
    });
    RawConnection connection(port_);
    connection.send_request("POST", kUnaryPath, kJson, R"({"message":"sleep:600"})");
    const auto response = connection.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"message":"sleep:600"})");
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
    restart_with([](rpc::Limits& limits) {
        limits.handshake_timeout = 200ms;  // the cleartext preface sniff
        limits.request_timeout = 200ms;
    });
    RawConnection silent(port_);  // connects, never sends
    EXPECT_TRUE(silent.closed_by_peer(3s));
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    RawConnection connection(port_);
    for (int i = 0; i < 3; ++i) {
        connection.send_request("POST", kUnaryPath, kJson, R"({"message":"again"})");
        const auto response = connection.read_response();
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, R"({"message":"again"})");
    }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
    // Both requests in one segment: the second waits in the buffer while the first is served.
    const auto request = [](std::string_view message) {
        const std::string body = R"({"message":")" + std::string(message) + R"("})";
        return "POST " + std::string(kUnaryPath) +
               " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    };
    RawConnection connection(port_);
    connection.send(request("first") + request("second"));
    const auto first = connection.read_response();
    const auto second = connection.read_response();
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.body, R"({"message":"first"})");
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(second.body, R"({"message":"second"})");
}

TEST_F(ServerTest, RequestsArrivingInPiecesAreReassembled) {
    const std::string body = R"({"message":"pieces"})";
    const std::string head = "POST " + std::string(kUnaryPath) +
                             " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n";
    RawConnection connection(port_);
    for (const auto& piece : {head.substr(0, 7), head.substr(7, 30), head.substr(37),
                              body.substr(0, 5), body.substr(5)}) {
        connection.send(piece);
        std::this_thread::sleep_for(20ms);
    }
    const auto response = connection.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, body);
}

TEST_F(ServerTest, ChunkedRequestBodyIsReassembled) {
    RawConnection connection(port_);
    connection.send("POST " + std::string(kUnaryPath) +
                    " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"
                    "6\r\n{\"mess\r\n");
    std::this_thread::sleep_for(20ms);
    connection.send("e\r\nage\":\"chunks\"}\r\n0\r\n\r\n");
    const auto response = connection.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"message":"chunks"})");
}

TEST_F(ServerTest, AHeaderTricklingInIsBoundedByOneDeadline) {
    // A byte now and then must not extend request_timeout: it bounds the whole header.
    restart_with([](rpc::Limits& limits) { limits.request_timeout = 300ms; });
    RawConnection connection(port_);
    connection.send("POST ");
    const auto started = std::chrono::steady_clock::now();
    bool closed = false;
    for (int i = 0; i < 20 && !closed; ++i) {
        std::this_thread::sleep_for(100ms);
        try {
            connection.send("x");
        } catch (const std::exception&) {
            closed = true;
        }
        closed = closed || connection.closed_by_peer(1ms);
    }
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
}

TEST_F(ServerTest, AResponseLargerThanTheSocketBufferArrivesWhole) {
    // More than the socket takes at once: the first part leaves at once, the rest waits for
    // the client, who starts reading late.
    const std::string message(6 * 1024 * 1024, 'm');
    RawConnection connection(port_);
    connection.send_request("POST", kUnaryPath, kJson, R"({"message":")" + message + R"("})");
    std::this_thread::sleep_for(300ms);
    const auto response = connection.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"message":")" + message + R"("})");
    connection.send_request("POST", kUnaryPath, kJson, R"({"message":"after"})");
    EXPECT_EQ(connection.read_response().body, R"({"message":"after"})");
}

TEST_F(ServerTest, MalformedRequestClosesOnlyItsConnection) {
    RawConnection good(port_);
    good.send_request("POST", kUnaryPath, kJson, R"({"message":"before"})");
    EXPECT_EQ(good.read_response().status, 200);

    RawConnection bad(port_);
    bad.send("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(bad.read_response().status, 400);
    EXPECT_TRUE(bad.closed_by_peer());

    good.send_request("POST", kUnaryPath, kJson, R"({"message":"after"})");
    const auto response = good.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, R"({"message":"after"})");
}

TEST_F(ServerTest, OversizedHeadersAre431) {
    RawConnection connection(port_);
    connection.send_request(
        "POST", kUnaryPath,
        {{"content-type", "application/json"}, {"x-huge", std::string(70 * 1024, 'h')}}, "{}");
    EXPECT_EQ(connection.read_response().status, 431);
    EXPECT_TRUE(connection.closed_by_peer());
}

TEST_F(ServerTest, ConnectionCount) {
    EXPECT_EQ(server_->connection_count(), 0u);
    {
        RawConnection connection(port_);
        connection.send_request("GET", "/health", {}, "");
        EXPECT_EQ(connection.read_response().status, 200);
        EXPECT_EQ(server_->connection_count(), 1u);
    }
    for (int i = 0; i < 200 && server_->connection_count() != 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ServerTest, StopFinishesAnInFlightCall) {
    // The call runs on its own thread and io_context while this one stops the server.
    auto result = std::async(std::launch::async, [port = port_] {
        boost::asio::io_context io;
        rpc::ClientOptions options;
        options.base_url = "http://127.0.0.1:" + std::to_string(port);
        options.http2 = false;
        rpc::Client c(io.get_executor(), options);
        EchoResponse response;
        const auto status = run_on(io, c.unary(kEchoUnary, echo_request("sleep:500"), response));
        return std::make_pair(status, response.message());
    });
    for (int i = 0; i < 200 && server_->connection_count() == 0; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(100ms);  // the call is inside its handler now
    const auto stop_started = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 3s);
    const auto [status, message] = result.get();
    EXPECT_EQ(status, Status{});
    EXPECT_EQ(message, "sleep:500");
    EXPECT_THROW(RawConnection{port_}, std::system_error);
    server_->stop();  // twice is fine
}

TEST_F(ServerTest, StopCutsOffCallsPastTheGracePeriod) {
    restart_with([](rpc::Limits& limits) { limits.shutdown_grace = 200ms; });
    RawConnection connection(port_);
    connection.send_request("POST", kUnaryPath, kJson, R"({"message":"sleep:30000"})");
    std::this_thread::sleep_for(100ms);
    const auto stop_started = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 3s);
}

TEST_F(ServerTest, HandlerExceptionsBecomeStatuses) {
    server_->stop();
    server_ = std::make_unique<rpc::Server>(test_server_options());
    server_->add_unary<EchoRequest, EchoResponse>(
        kEchoUnary,
        [](rpc::CallContext&, const EchoRequest& request) -> rpc::Task<rpc::Result<EchoResponse>> {
            if (request.message() == "rpc-error") {
                throw rpc::RpcError(Code::failed_precondition, "not now");
            }
            throw std::runtime_error("secret detail that must not leak");
        });
    server_->start();
    port_ = server_->port();
    auto c = client();
    EchoResponse response;
    EXPECT_EQ(call(c, echo_request("rpc-error"), response),
              (Status{Code::failed_precondition, "not now"}));
    EXPECT_EQ(call(c, echo_request("other"), response), (Status{Code::internal, "internal error"}));
}

TEST_F(ServerTest, ServesPmV1MethodsWithProto3JsonNames) {
    // snake_case accepted on input, lowerCamelCase written, a Timestamp as RFC 3339.
    server_->stop();
    server_ = std::make_unique<rpc::Server>(test_server_options());
    server_->add_unary<v1::RefreshTokenRequest, v1::RefreshTokenResponse>(
        "pm.v1.ControlService.RefreshToken",
        [](rpc::CallContext&, const v1::RefreshTokenRequest& request)
            -> rpc::Task<rpc::Result<v1::RefreshTokenResponse>> {
            v1::RefreshTokenResponse response;
            response.set_access_token("for " + request.refresh_token());
            response.mutable_expires_at()->set_seconds(1770296493);
            co_return response;
        });
    server_->start();
    const auto path = "/pm.v1.ControlService/RefreshToken";
    for (const auto* body : {R"({"refresh_token":"r1"})", R"({"refreshToken":"r1"})"}) {
        const auto response = http_request(server_->port(), "POST", path, kJson, body);
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, R"({"accessToken":"for r1","expiresAt":"2026-02-05T13:01:33Z"})");
    }
}

TEST_F(ServerTest, RegistrationChecksTheMethod) {
    rpc::Server server(test_server_options());
    const rpc::UnaryHandler unary = [](rpc::CallContext&, const google::protobuf::Message&)
        -> rpc::Task<rpc::Result<std::unique_ptr<google::protobuf::Message>>> {
        co_return Status{Code::internal, "unused"};
    };
    EXPECT_THROW(server.add_unary("pm.test.v1.EchoService.Nope", unary), std::invalid_argument);
    EXPECT_THROW(server.add_unary(kEchoBidi, unary), std::invalid_argument);
    EXPECT_THROW(server.add_stream(kEchoUnary,
                                   [](rpc::CallContext&, rpc::ServerStream&) -> rpc::Task<Status> {
                                       co_return Status{};
                                   }),
                 std::invalid_argument);
}

}  // namespace
}  // namespace pm::testing
