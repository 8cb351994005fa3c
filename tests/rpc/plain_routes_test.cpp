// Plain routes and the plain fallback over real sockets: a route's own response fields over the
// server's, HEAD (the GET's status and fields, no body), the fallback for GET and HEAD on paths
// nothing else serves, and everything else (RPC paths, other methods, declined paths) as
// before.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include <powermanage/rpc/server.hpp>

#include "echo_service.hpp"
#include "http_probe.hpp"
#include "rpc_test_support.hpp"

namespace pm::testing {
namespace {

constexpr const char* kUnaryPath = "/pm.test.v1.EchoService/Unary";
const HeaderList kJson = {{"content-type", "application/json"}};

class PlainRoutesTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<rpc::Server>(test_server_options());
        add_echo_service(*server_);
        server_->add_plain_route("/page", [] {
            rpc::PlainResponse response{200, "text/html", "<p>page</p>"};
            response.headers.add("cache-control", "no-cache");
            // Replaces the server's own security header of that name.
            response.headers.add("x-frame-options", "SAMEORIGIN");
            return response;
        });
        server_->add_plain_route("/broken",
                                 []() -> rpc::PlainResponse { throw std::runtime_error("no"); });
        server_->set_plain_fallback(
            [](std::string_view path,
               const rpc::Headers& request_headers) -> std::optional<rpc::PlainResponse> {
                if (path.starts_with("/declined")) {
                    return std::nullopt;
                }
                if (path == "/throws") {
                    throw std::runtime_error("fallback failed");
                }
                rpc::PlainResponse response{200, "text/plain", "fallback for " + std::string(path)};
                response.headers.add("x-accept",
                                     std::string(request_headers.get("accept").value_or("")));
                return response;
            });
        server_->start();
        port_ = server_->port();
    }
    void TearDown() override { server_->stop(); }

    std::unique_ptr<rpc::Server> server_;
    std::uint16_t port_ = 0;
};

TEST_F(PlainRoutesTest, ARouteSendsItsOwnFieldsOverTheServers) {
    const auto response = http_request(port_, "GET", "/page");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "<p>page</p>");
    EXPECT_EQ(response.header("content-type"), "text/html");
    EXPECT_EQ(response.header("cache-control"), "no-cache");
    EXPECT_EQ(response.header("x-frame-options"), "SAMEORIGIN");  // once, not "DENY, SAMEORIGIN"
    EXPECT_EQ(response.header("x-content-type-options"), "nosniff");  // the others stay
}

TEST_F(PlainRoutesTest, HeadAnswersTheGetsStatusAndFieldsWithoutABody) {
    RawConnection connection(port_);
    connection.send_request("HEAD", "/page", {}, "");
    const auto head = connection.read_response(true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), "11");
    EXPECT_EQ(head.header("content-type"), "text/html");
    EXPECT_EQ(head.header("cache-control"), "no-cache");
    // No body bytes followed: the next response on the connection parses.
    connection.send_request("GET", "/page", {}, "");
    EXPECT_EQ(connection.read_response().body, "<p>page</p>");
}

TEST_F(PlainRoutesTest, OtherMethodsOnARouteAre405) {
    const auto response = http_request(port_, "POST", "/page", kJson, "{}");
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.header("allow"), "GET, HEAD");
}

TEST_F(PlainRoutesTest, AFailingRouteIs500) {
    EXPECT_EQ(http_request(port_, "GET", "/broken").status, 500);
    EXPECT_EQ(http_request(port_, "GET", "/throws").status, 500);
}

TEST_F(PlainRoutesTest, TheFallbackAnswersGetAndHeadOnUnservedPaths) {
    const auto response =
        http_request(port_, "GET", "/devices/01ABC?tab=facts", {{"accept", "text/html"}});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "fallback for /devices/01ABC");  // the path, without the query
    EXPECT_EQ(response.header("x-accept"), "text/html");
    EXPECT_EQ(response.header("x-content-type-options"), "nosniff");
    const auto head = http_request(port_, "HEAD", "/devices/01ABC");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), std::to_string(response.body.size()));
    EXPECT_EQ(head.body, "");
}

TEST_F(PlainRoutesTest, DeclinedPathsAndOtherMethodsStay404) {
    for (const auto* method : {"GET", "HEAD"}) {
        const auto response = http_request(port_, method, "/declined/x");
        EXPECT_EQ(response.status, 404) << method;
    }
    for (const auto* path : {"/devices/01ABC", "/pm.test.v1.EchoService/Nope", "/"}) {
        const auto response = http_request(port_, "POST", path, kJson, "{}");
        EXPECT_EQ(response.status, 404) << path;
        EXPECT_EQ(response.body, "404 page not found\n") << path;
    }
}

TEST_F(PlainRoutesTest, RpcPathsAreUntouched) {
    // A served method: GET is 405 as before, not the fallback; POST is the RPC.
    const auto get = http_request(port_, "GET", kUnaryPath);
    EXPECT_EQ(get.status, 405);
    EXPECT_EQ(get.header("allow"), "POST");
    const auto post = http_request(port_, "POST", kUnaryPath, kJson, R"({"message":"hi"})");
    EXPECT_EQ(post.status, 200);
    EXPECT_NE(post.body.find("hi"), std::string::npos) << post.body;
}

TEST(PlainRoutesWithoutFallbackTest, UnservedGetIs404) {
    rpc::Server server(test_server_options());
    server.start();
    const auto response = http_request(server.port(), "GET", "/devices", {{"accept", "text/html"}});
    EXPECT_EQ(response.status, 404);
    server.stop();
}

}  // namespace
}  // namespace pm::testing
