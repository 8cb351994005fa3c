// Smoke tests of the HTTP/2 server against independent clients: nghttp and h2load from
// Debian's nghttp2-client package (skipped when not installed).

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "h2_test_server.hpp"

namespace pm::rpc::test {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
    int status = -1;
    std::string output;
};

// Runs a shell command line (bounded by timeout(1)) and returns its exit status and
// stdout+stderr.
CommandResult run_command(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen(("timeout 60 sh -c '" + command + "' 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    std::array<char, 4096> buffer;
    while (const auto size = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
        result.output.append(buffer.data(), size);
    }
    result.status = ::pclose(pipe);
    return result;
}

bool have_tool(const char* name) {
    return run_command(std::string("command -v ") + name).status == 0;
}

// A file of `size` bytes in the test's temporary folder.
fs::path data_file(const std::string& name, std::size_t size) {
    const auto path =
        fs::temp_directory_path() / ("pm_h2_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream out(path, std::ios::binary);
    std::string block(64u << 10, 'n');
    for (std::size_t written = 0; written < size; written += block.size()) {
        out.write(block.data(),
                  static_cast<std::streamsize>(std::min(block.size(), size - written)));
    }
    return path;
}

std::string url(const H2TestServer& server, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

Limits tool_limits() {
    Limits limits;
    limits.max_concurrent_streams = 100;
    return limits;
}

TEST(H2Tools, NghttpUploadBeyondTheWindow) {
    if (!have_tool("nghttp")) {
        GTEST_SKIP() << "nghttp (nghttp2-client) is not installed";
    }
    H2TestServer server(tool_limits());
    const auto file = data_file("upload", 3u << 20);
    const auto result = run_command("nghttp -d " + file.string() + " " + url(server, "/unary"));
    fs::remove(file);
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("size=3145728"), std::string::npos) << result.output;
}

TEST(H2Tools, NghttpEchoThroughSmallWindows) {
    if (!have_tool("nghttp")) {
        GTEST_SKIP() << "nghttp (nghttp2-client) is not installed";
    }
    H2TestServer server(tool_limits());
    const auto file = data_file("echo", 2u << 20);
    // 2^14-byte windows on nghttp's side: the server's DATA is deferred and resumed many times.
    const auto result = run_command("nghttp -w 14 -W 16 -d " + file.string() + " " +
                                    url(server, "/echo") + " | wc -c");
    fs::remove(file);
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("2097152"), std::string::npos) << result.output;
}

TEST(H2Tools, NghttpDownload) {
    if (!have_tool("nghttp")) {
        GTEST_SKIP() << "nghttp (nghttp2-client) is not installed";
    }
    H2TestServer server(tool_limits());
    const auto result =
        run_command("nghttp -H \"x-bytes: 5000000\" " + url(server, "/download") + " | wc -c");
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_NE(result.output.find("5000000"), std::string::npos) << result.output;
}

TEST(H2Tools, H2loadManyConcurrentStreams) {
    if (!have_tool("h2load")) {
        GTEST_SKIP() << "h2load (nghttp2-client) is not installed";
    }
    H2TestServer server(tool_limits());
    const auto file = data_file("small", 2000);
    // More streams per connection (-m 200) than the server allows (100): h2load must wait.
    const auto result =
        run_command("h2load -n 4000 -c 4 -m 200 -d " + file.string() + " " + url(server, "/echo"));
    fs::remove(file);
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_TRUE(std::regex_search(result.output,
                                  std::regex("4000 done, 4000 succeeded, 0 failed, 0 errored")))
        << result.output;
    EXPECT_TRUE(std::regex_search(result.output, std::regex("status codes: 4000 2xx")))
        << result.output;
}

TEST(H2Tools, H2loadLargeBodies) {
    if (!have_tool("h2load")) {
        GTEST_SKIP() << "h2load (nghttp2-client) is not installed";
    }
    H2TestServer server(tool_limits());
    const auto file = data_file("large", 1u << 20);
    const auto result =
        run_command("h2load -n 64 -c 2 -m 8 -d " + file.string() + " " + url(server, "/echo"));
    fs::remove(file);
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_TRUE(
        std::regex_search(result.output, std::regex("64 done, 64 succeeded, 0 failed, 0 errored")))
        << result.output;
}

}  // namespace
}  // namespace pm::rpc::test
