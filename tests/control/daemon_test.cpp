// pm-control as a process: the start-up refusals say what to fix, /health and /ready answer,
// and SIGTERM stops it cleanly with exit code 0.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <powermanage/common/ulid.hpp>

#include "rpc/http_probe.hpp"
#include "support/migrated_database.hpp"

namespace pm::testing {
namespace {

class ControlDaemonTest : public MigratedDatabaseTest {
protected:
    void SetUp() override {
        MigratedDatabaseTest::SetUp();
        dir_ = std::filesystem::temp_directory_path() / ("pm-control-daemon-" + new_ulid());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        MigratedDatabaseTest::TearDown();
    }

    // Starts pm-control with `args`; its stderr goes to log_path().
    void spawn(std::vector<std::string> args) {
        args.insert(args.begin(), PM_CONTROL_BINARY);
        pid_ = ::fork();
        ASSERT_GE(pid_, 0);
        if (pid_ == 0) {
            std::FILE* log = std::fopen(log_path().c_str(), "w");
            ::dup2(::fileno(log), STDERR_FILENO);
            ::dup2(::fileno(log), STDOUT_FILENO);
            std::vector<char*> argv;
            for (auto& a : args) {
                argv.push_back(a.data());
            }
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    // Waits for the process to exit; its exit code (or -1 after `timeout`).
    int wait_exit(std::chrono::seconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -1;
    }
    std::string log() const {
        std::ifstream in(log_path());
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    std::string log_path() const { return (dir_ / "pm-control.log").string(); }
    std::vector<std::string> base_args(int port) const {
        return {"--listen",       "127.0.0.1:" + std::to_string(port),
                "--database-url", database_url(),
                "--ca-cert",      (dir_ / "ca.crt").string(),
                "--ca-key",       (dir_ / "ca.key").string()};
    }
    // A port the kernel just handed out and took back: free unless another process grabs it
    // in the few milliseconds before pm-control binds it.
    static int free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        ::bind(fd, reinterpret_cast<sockaddr*>(&address), size);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
        ::close(fd);
        return ntohs(address.sin_port);
    }

    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

TEST_F(ControlDaemonTest, RefusesToStartWithoutJwtSecretOutsideDevelopmentMode) {
    spawn(base_args(free_port()));
    EXPECT_EQ(wait_exit(std::chrono::seconds(30)), 1);
    EXPECT_NE(log().find("CONTROL_JWT_SECRET"), std::string::npos) << log();
}

TEST_F(ControlDaemonTest, RefusesAShortJwtSecret) {
    auto args = base_args(free_port());
    args.insert(args.end(), {"--jwt-secret", "too-short", "--dev"});
    spawn(args);
    EXPECT_EQ(wait_exit(std::chrono::seconds(30)), 1);
    EXPECT_NE(log().find("at least 32"), std::string::npos) << log();
}

TEST_F(ControlDaemonTest, RefusesMissingCaFilesOutsideDevelopmentMode) {
    auto args = base_args(free_port());
    args.insert(args.end(), {"--jwt-secret", std::string(40, 'x')});
    spawn(args);
    EXPECT_EQ(wait_exit(std::chrono::seconds(30)), 1);
    EXPECT_NE(log().find("--dev"), std::string::npos) << log();
}

TEST_F(ControlDaemonTest, ServesHealthAndReadyAndStopsCleanlyOnSigterm) {
    const int port = free_port();
    auto args = base_args(port);
    args.push_back("--dev");
    spawn(args);
    HttpResponse ready;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
        try {
            ready = http_request(static_cast<std::uint16_t>(port), "GET", "/ready");
            if (ready.status == 200) {
                break;
            }
        } catch (const std::exception&) {
            // not listening yet
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(ready.status, 200) << log();
    EXPECT_EQ(ready.body, "ready");
    auto health = http_request(static_cast<std::uint16_t>(port), "GET", "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok");
    EXPECT_TRUE(std::filesystem::exists(dir_ / "ca.key")) << "development mode creates the CA";
    EXPECT_EQ(std::filesystem::status(dir_ / "ca.key").permissions() &
                  std::filesystem::perms::others_read,
              std::filesystem::perms::none);

    ASSERT_EQ(::kill(pid_, SIGTERM), 0);
    EXPECT_EQ(wait_exit(std::chrono::seconds(20)), 0) << log();
    EXPECT_NE(log().find("control server stopped"), std::string::npos) << log();
}

}  // namespace
}  // namespace pm::testing
