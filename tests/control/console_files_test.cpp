// The console's files on a server over real sockets (add_console_routes): cache headers by
// kind of file, the Content-Security-Policy, index.html for the console's deep links reloaded
// in a browser, and 404 where a browser must not get the page (missing assets, files, RPCs,
// operational paths, non-browser clients, other methods).

#include "control/console_files.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include <powermanage/rpc/server.hpp>

#include "echo_service.hpp"
#include "rpc/http_probe.hpp"
#include "rpc_test_support.hpp"

namespace pm::testing {
namespace {

constexpr const char* kIndex = "<!doctype html><title>console</title>";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
const HeaderList kBrowser = {{"accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};

class ConsoleFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        // Per process and test: ctest runs the tests of this file in parallel.
        dir_ = std::filesystem::temp_directory_path() /
               ("pm-console-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_ / "assets");
        std::ofstream(dir_ / "index.html") << kIndex;
        std::ofstream(dir_ / "assets" / "index-4f2a9c.js") << "console.log(1);";
        std::ofstream(dir_ / "favicon.svg") << "<svg/>";
        server_ = std::make_unique<rpc::Server>(test_server_options());
        add_echo_service(*server_);
        server_->add_plain_route("/health", [] {
            return rpc::PlainResponse{200, "text/plain", "ok"};
        });
        EXPECT_EQ(control::add_console_routes(*server_, dir_), 3u);
        server_->start();
        port_ = server_->port();
    }
    void TearDown() override {
        server_->stop();
        std::filesystem::remove_all(dir_);
    }

    // Expects the console's index.html, as a page to revalidate.
    static void expect_index(const HttpResponse& response, const std::string& what) {
        EXPECT_EQ(response.status, 200) << what;
        EXPECT_EQ(response.body, kIndex) << what;
        EXPECT_EQ(response.header("content-type"), "text/html; charset=utf-8") << what;
        EXPECT_EQ(response.header("cache-control"), "no-cache") << what;
        EXPECT_EQ(response.header("content-security-policy"),
                  control::kConsoleContentSecurityPolicy)
            << what;
    }

    std::filesystem::path dir_;
    std::unique_ptr<rpc::Server> server_;
    std::uint16_t port_ = 0;
};

TEST_F(ConsoleFilesTest, IndexIsRevalidatedAndHashedAssetsAreImmutable) {
    expect_index(http_request(port_, "GET", "/"), "/");
    expect_index(http_request(port_, "GET", "/index.html"), "/index.html");
    const auto script = http_request(port_, "GET", "/assets/index-4f2a9c.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_EQ(script.body, "console.log(1);");
    EXPECT_EQ(script.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(script.header("cache-control"), kImmutable);
    EXPECT_EQ(script.header("content-security-policy"), control::kConsoleContentSecurityPolicy);
    // Not under assets/: no hash in the name, so no long caching.
    const auto icon = http_request(port_, "GET", "/favicon.svg");
    EXPECT_EQ(icon.header("content-type"), "image/svg+xml");
    EXPECT_EQ(icon.header("cache-control"), "no-cache");
}

TEST_F(ConsoleFilesTest, TheCspIsStrict) {
    const std::string csp(control::kConsoleContentSecurityPolicy);
    for (const auto* directive :
         {"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
          "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"}) {
        EXPECT_NE(csp.find(directive), std::string::npos) << directive;
    }
    EXPECT_EQ(csp.find("unsafe"), std::string::npos);
}

TEST_F(ConsoleFilesTest, ADeepLinkReloadedInABrowserGetsIndex) {
    expect_index(http_request(port_, "GET", "/devices/01ABC", kBrowser), "/devices/01ABC");
    expect_index(http_request(port_, "GET", "/devices?status=online", kBrowser), "/devices");
    const auto head = http_request(port_, "HEAD", "/devices/01ABC", kBrowser);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-length"), std::to_string(std::string(kIndex).size()));
    EXPECT_EQ(head.header("cache-control"), "no-cache");
    EXPECT_EQ(head.header("content-security-policy"), control::kConsoleContentSecurityPolicy);
    EXPECT_EQ(head.body, "");
}

TEST_F(ConsoleFilesTest, WhatIsNotAConsolePageStays404) {
    for (const auto* path : {"/assets/index-000000.js", "/assets/", "/robots.txt",
                             "/pm.v1.ControlService/Nope", "/pm.test.v1.EchoService/Nope",
                             "/grpc.health.v1.Health/Check", "/ready", "/metrics", "/metrics/x"}) {
        EXPECT_EQ(http_request(port_, "GET", path, kBrowser).status, 404) << path;
    }
    // Not a browser navigating (a script, curl, an API client).
    EXPECT_EQ(http_request(port_, "GET", "/devices/01ABC").status, 404);
    EXPECT_EQ(http_request(port_, "GET", "/devices/01ABC", {{"accept", "application/json"}}).status,
              404);
    // Other methods.
    const HeaderList json = {{"content-type", "application/json"}, {"accept", "text/html"}};
    const auto post = http_request(port_, "POST", "/devices/01ABC", json, "{}");
    EXPECT_EQ(post.status, 404);
    EXPECT_EQ(post.body, "404 page not found\n");
}

TEST_F(ConsoleFilesTest, ApiPathsAreUntouched) {
    EXPECT_EQ(http_request(port_, "GET", "/health", kBrowser).body, "ok");
    const auto get = http_request(port_, "GET", "/pm.test.v1.EchoService/Unary", kBrowser);
    EXPECT_EQ(get.status, 405);
    EXPECT_EQ(get.header("content-security-policy"), "");
    const auto post = http_request(port_, "POST", "/pm.test.v1.EchoService/Unary",
                                   {{"content-type", "application/json"}}, R"({"message":"x"})");
    EXPECT_EQ(post.status, 200);
    EXPECT_EQ(post.header("cache-control"), "");
}

TEST(ConsoleFilesWithoutIndexTest, NoFallbackWithoutIndex) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("pm-console-test-no-index-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "assets");
    std::ofstream(dir / "assets" / "a.js") << "1";
    rpc::Server server(test_server_options());
    EXPECT_EQ(control::add_console_routes(server, dir), 1u);
    server.start();
    EXPECT_EQ(http_request(server.port(), "GET", "/devices", kBrowser).status, 404);
    EXPECT_EQ(http_request(server.port(), "GET", "/", kBrowser).status, 404);
    server.stop();
    std::filesystem::remove_all(dir);
    EXPECT_THROW(control::add_console_routes(server, dir), std::invalid_argument);
}

}  // namespace
}  // namespace pm::testing
