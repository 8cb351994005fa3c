// Servers on one io_context run by the caller, and interceptors scoped to a service: two
// services on one server, each with its own rules; one server's stop() leaves the shared
// context and the other server running.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <powermanage/rpc/server.hpp>

#include "echo_service.hpp"
#include "http_probe.hpp"
#include "pm/v1/control.pb.h"

namespace pm::testing {
namespace {

namespace asio = boost::asio;
using rpc::Code;
using rpc::Status;

constexpr const char* kEchoPath = "/pm.test.v1.EchoService/Unary";
constexpr const char* kWhoPath = "/pm.v1.ControlService/GetCurrentUser";
const HeaderList kJson = {{"content-type", "application/json"}};

// An interceptor that refuses calls without `header: value`, and records that it ran.
rpc::Interceptor require_header(std::string header, std::string value, std::string name,
                                std::shared_ptr<std::vector<std::string>> ran) {
    auto mutex = std::make_shared<std::mutex>();
    return [=](rpc::CallContext& ctx) -> rpc::Task<Status> {
        {
            std::lock_guard lock(*mutex);
            ran->push_back(name);
        }
        if (ctx.request_headers.get(header) != value) {
            co_return Status{Code::unauthenticated, name + " wants " + header};
        }
        co_return Status::success();
    };
}

class SharedServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        io_ = std::make_shared<asio::io_context>();
        work_.emplace(io_->get_executor());
        for (int i = 0; i < 2; ++i) {
            threads_.emplace_back([io = io_] { io->run(); });
        }
    }
    void TearDown() override {
        // The order the hosts' documentation asks for: servers first, then the context.
        for (auto& server : servers_) {
            server->stop();
        }
        work_.reset();
        io_->stop();
        for (auto& thread : threads_) {
            thread.join();
        }
        servers_.clear();
    }
    rpc::Server& add_server() {
        rpc::ServerOptions options;
        options.listen_address = "127.0.0.1:0";
        options.io_threads = 7;  // ignored on a shared context: no threads of its own
        options.limits.shutdown_grace = std::chrono::seconds(2);
        servers_.push_back(std::make_unique<rpc::Server>(std::move(options), io_));
        return *servers_.back();
    }
    // A stand-in for a pm.v1 service with its own authentication: GetCurrentUser answers a
    // fixed user once its interceptors let the call through.
    static void add_who_am_i(rpc::Server& server) {
        std::function<rpc::Task<rpc::Result<pm::v1::GetCurrentUserResponse>>(
            rpc::CallContext&, const pm::v1::GetCurrentUserRequest&)>
            handler = [](rpc::CallContext&, const pm::v1::GetCurrentUserRequest&)
            -> rpc::Task<rpc::Result<pm::v1::GetCurrentUserResponse>> {
            pm::v1::GetCurrentUserResponse response;
            response.mutable_user()->set_email("someone@example.com");
            co_return response;
        };
        server.add_unary<pm::v1::GetCurrentUserRequest, pm::v1::GetCurrentUserResponse>(
            "pm.v1.ControlService.GetCurrentUser", std::move(handler));
    }

    std::shared_ptr<asio::io_context> io_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    std::vector<std::unique_ptr<rpc::Server>> servers_;
};

TEST_F(SharedServerTest, ServiceInterceptorsGateOnlyTheirService) {
    auto ran = std::make_shared<std::vector<std::string>>();
    auto& server = add_server();
    add_echo_service(server);
    add_who_am_i(server);
    server.add_service_interceptor("pm.v1.ControlService",
                                   require_header("x-session", "s3cret", "control", ran));
    server.add_plain_route("/site", [] { return rpc::PlainResponse{200, "text/plain", "site"}; });
    server.start();

    // The integrator's service does not see the ControlService's rule.
    const auto echo = http_request(server.port(), "POST", kEchoPath, kJson, R"({"message":"hi"})");
    EXPECT_EQ(echo.status, 200) << echo.body;
    EXPECT_NE(echo.body.find("\"hi\""), std::string::npos) << echo.body;
    EXPECT_TRUE(ran->empty());

    // The ControlService method still does.
    const auto refused = http_request(server.port(), "POST", kWhoPath, kJson, "{}");
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_NE(refused.body.find("unauthenticated"), std::string::npos) << refused.body;
    auto with_session = kJson;
    with_session.emplace_back("x-session", "s3cret");
    const auto allowed = http_request(server.port(), "POST", kWhoPath, with_session, "{}");
    EXPECT_EQ(allowed.status, 200) << allowed.body;
    EXPECT_NE(allowed.body.find("someone@example.com"), std::string::npos) << allowed.body;

    const auto site = http_request(server.port(), "GET", "/site");
    EXPECT_EQ(site.status, 200);
    EXPECT_EQ(site.body, "site");
}

TEST_F(SharedServerTest, ServerWideInterceptorsRunFirstThenTheService) {
    auto ran = std::make_shared<std::vector<std::string>>();
    auto& server = add_server();
    add_echo_service(server);
    add_who_am_i(server);
    server.add_service_interceptor("pm.test.v1.EchoService",
                                   require_header("x-echo-key", "k", "echo", ran));
    server.add_interceptor(require_header("x-everyone", "yes", "wide", ran));
    server.start();

    auto everyone = kJson;
    everyone.emplace_back("x-everyone", "yes");
    // The server-wide rule gates both services.
    EXPECT_EQ(http_request(server.port(), "POST", kWhoPath, kJson, "{}").status, 401);
    EXPECT_EQ(http_request(server.port(), "POST", kWhoPath, everyone, "{}").status, 200);
    // The echo rule only the echo service; it runs after the server-wide one.
    ran->clear();
    EXPECT_EQ(http_request(server.port(), "POST", kEchoPath, everyone, "{}").status, 401);
    EXPECT_EQ(*ran, (std::vector<std::string>{"wide", "echo"}));
    auto both = everyone;
    both.emplace_back("x-echo-key", "k");
    EXPECT_EQ(http_request(server.port(), "POST", kEchoPath, both, "{}").status, 200);
}

TEST_F(SharedServerTest, StoppingOneServerLeavesTheContextAndTheOtherServerRunning) {
    auto& first = add_server();
    auto& second = add_server();
    add_echo_service(first);
    add_echo_service(second);
    first.start();
    second.start();
    EXPECT_EQ(http_request(first.port(), "POST", kEchoPath, kJson, "{}").status, 200);
    EXPECT_EQ(http_request(second.port(), "POST", kEchoPath, kJson, "{}").status, 200);

    const auto first_port = first.port();
    first.stop();
    EXPECT_FALSE(io_->stopped());
    EXPECT_EQ(http_request(second.port(), "POST", kEchoPath, kJson, "{}").status, 200);
    EXPECT_THROW(http_request(first_port, "POST", kEchoPath, kJson, "{}"), std::system_error);

    // The context still runs other work.
    std::promise<void> ran;
    asio::post(*io_, [&ran] { ran.set_value(); });
    EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST_F(SharedServerTest, StopWaitsForInFlightCallsOnTheSharedContext) {
    auto& server = add_server();
    add_echo_service(server);
    server.start();
    std::atomic<int> status{0};
    std::thread caller([&] {
        status = http_request(server.port(), "POST", kEchoPath, kJson, R"({"message":"sleep:300"})")
                     .status;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
    caller.join();
    EXPECT_EQ(status.load(), 200);
}

TEST(SharedServerOptions, RefusesANullContextAndUnknownServices) {
    EXPECT_THROW(rpc::Server(rpc::ServerOptions{}, nullptr), std::invalid_argument);
    rpc::Server server(rpc::ServerOptions{});
    EXPECT_THROW(server.add_service_interceptor(
                     "pm.v1.NoSuchService",
                     [](rpc::CallContext&) -> rpc::Task<Status> { co_return Status::success(); }),
                 std::invalid_argument);
    // A method name is not a service name.
    EXPECT_THROW(server.add_service_interceptor(
                     "pm.v1.ControlService.Login",
                     [](rpc::CallContext&) -> rpc::Task<Status> { co_return Status::success(); }),
                 std::invalid_argument);
}

}  // namespace
}  // namespace pm::testing
