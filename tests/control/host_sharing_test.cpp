// ControlHost and GatewayHost embedded the way an integrator does it: one io_context run by the
// test's threads, one pool, one event store; the integrator's own service and route on the
// control server, answered without a pm session while ControlService still requires one; and
// one host's stop() leaves the shared context, pool and the other host running; the
// console seam (ControlHostOptions::console_directory) at "/".
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/gateway/agent_service.hpp>
#include <powermanage/gateway/gateway_host.hpp>

#include "control_fixture.hpp"
#include "echo_service.hpp"
#include "rpc/http_probe.hpp"

namespace pm::testing {
namespace {

namespace asio = boost::asio;
using rpc::Code;

const HeaderList kJson = {{"content-type", "application/json"}};

Logger& quiet_logger() {
    static Logger quiet([](std::string_view) {}, LogLevel::error);
    return quiet;
}

// Polls `path` on `port` until it answers `status`, for up to `limit`.
bool answers(std::uint16_t port, const std::string& path, int status,
             std::chrono::seconds limit = std::chrono::seconds(10)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    do {
        try {
            if (http_request(port, "GET", path).status == status) {
                return true;
            }
        } catch (const std::system_error&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < give_up);
    return false;
}

class HostSharingTest : public ControlTest {
protected:
    void SetUp() override {
        ControlTest::SetUp();  // a host of its own, replaced by a sharing one below
        shared_ = std::make_shared<asio::io_context>();
        work_.emplace(shared_->get_executor());
        for (int i = 0; i < 2; ++i) {
            threads_.emplace_back([io = shared_] { io->run(); });
        }
        pool_ = std::make_shared<db::ConnectionPool>(database_url(), 8);
        store_ = std::make_shared<eventstore::EventStore>(*pool_);
    }
    void TearDown() override {
        // The documented order: the hosts stop, then the context, then they are destroyed.
        client_.reset();
        if (gateway_) {
            gateway_->stop();
        }
        if (host_) {
            host_->stop();
        }
        work_.reset();
        shared_->stop();
        for (auto& thread : threads_) {
            thread.join();
        }
        gateway_.reset();
        ControlTest::TearDown();
    }

    control::ControlHostOptions sharing_options() {
        auto options = host_options();
        options.io_context = shared_;
        options.pool = pool_;
        options.event_store = store_;
        return options;
    }
    // Replaces the fixture's host by `options`' one, with the integrator's echo service and a
    // plain route on the same server.
    void start_sharing_host(control::ControlHostOptions options) {
        client_.reset();
        host_->stop();
        host_.reset();
        host_ = std::make_unique<control::ControlHost>(std::move(options), quiet_logger());
        add_echo_service(host_->server());
        host_->server().add_plain_route("/site/status", [] {
            return rpc::PlainResponse{200, "text/plain", "site ok"};
        });
        host_->start();
        rpc::ClientOptions client;
        client.base_url = "http://127.0.0.1:" + std::to_string(host_->port());
        client.http2 = true;
        client_ = std::make_unique<rpc::Client>(io_.get_executor(), client);
    }
    gateway::GatewayHostOptions gateway_options() {
        gateway::GatewayHostOptions o;
        o.listen_address = "127.0.0.1:0";
        o.health_address = "127.0.0.1:0";
        o.database_url = database_url();
        o.insecure_h2c = true;
        o.shutdown_grace = std::chrono::seconds(2);
        o.agents.gateway_id = "shared-gateway";
        o.io_context = shared_;
        o.pool = pool_;
        o.event_store = store_;
        return o;
    }

    std::shared_ptr<asio::io_context> shared_;  // the integrator's, run by threads_
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    std::shared_ptr<db::ConnectionPool> pool_;
    std::shared_ptr<eventstore::EventStore> store_;
    std::unique_ptr<gateway::GatewayHost> gateway_;
};

TEST_F(HostSharingTest, IntegratorServiceAnswersWithoutASessionControlServiceStillRequiresOne) {
    start_sharing_host(sharing_options());
    const auto echo = http_request(host_->port(), "POST", "/pm.test.v1.EchoService/Unary", kJson,
                                   R"({"message":"no session needed"})");
    EXPECT_EQ(echo.status, 200) << echo.body;
    EXPECT_NE(echo.body.find("no session needed"), std::string::npos) << echo.body;

    const auto anonymous =
        http_request(host_->port(), "POST", "/pm.v1.ControlService/GetCurrentUser", kJson, "{}");
    EXPECT_EQ(anonymous.status, 401) << anonymous.body;
    pm::v1::GetCurrentUserRequest me;
    EXPECT_CODE(call<pm::v1::GetCurrentUserResponse>("GetCurrentUser", me), Code::unauthenticated);
    const auto mine = call<pm::v1::GetCurrentUserResponse>("GetCurrentUser", me, admin_token());
    ASSERT_OK(mine);
    EXPECT_EQ(mine.response.user().email(), kAdminEmail);

    const auto site = http_request(host_->port(), "GET", "/site/status");
    EXPECT_EQ(site.status, 200);
    EXPECT_EQ(site.body, "site ok");
}

TEST_F(HostSharingTest, TheHostWorksOnTheIntegratorsPool) {
    // A pool of one connection, held by the integrator: the host's readiness check, which
    // takes a connection from the pool it was given, cannot get one; released, it can.
    pool_ = std::make_shared<db::ConnectionPool>(database_url(), 1);
    store_ = std::make_shared<eventstore::EventStore>(*pool_);
    start_sharing_host(sharing_options());
    ASSERT_TRUE(answers(host_->port(), "/ready", 200));
    {
        auto held = pool_->acquire(std::chrono::seconds(5));
        EXPECT_TRUE(answers(host_->port(), "/ready", 503, std::chrono::seconds(15)));
    }
    EXPECT_TRUE(answers(host_->port(), "/ready", 200, std::chrono::seconds(15)));
}

TEST_F(HostSharingTest, StoppingTheControlHostLeavesTheGatewayPoolAndContextRunning) {
    start_sharing_host(sharing_options());
    gateway_ = std::make_unique<gateway::GatewayHost>(gateway_options(), quiet_logger());
    gateway_->start();
    ASSERT_TRUE(answers(gateway_->health_port(), "/ready", 200)) << "the gateway never listened";
    EXPECT_TRUE(gateway_->service().listening());

    host_->stop();
    EXPECT_FALSE(shared_->stopped());
    EXPECT_EQ(http_request(gateway_->health_port(), "GET", "/ready").status, 200);
    auto lease = pool_->acquire(std::chrono::seconds(5));
    EXPECT_EQ(lease->exec("SELECT 1").int64(0, 0), 1);

    gateway_->stop();
    std::promise<void> ran;
    asio::post(*shared_, [&ran] { ran.set_value(); });
    EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST_F(HostSharingTest, ServesTheConsoleDirectoryAtTheRoot) {
    // Without a console directory (the fixture's host), "/" is not served.
    EXPECT_EQ(http_request(host_->port(), "GET", "/").status, 404);
    const auto console = dir_ / "console";
    std::filesystem::create_directories(console / "assets");
    std::ofstream(console / "index.html") << "<title>console</title>";
    std::ofstream(console / "assets" / "app.js") << "console.log(1);";
    auto options = sharing_options();
    options.console_directory = console.string();
    start_sharing_host(std::move(options));
    const auto index = http_request(host_->port(), "GET", "/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<title>console</title>");
    EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
    const auto script = http_request(host_->port(), "GET", "/assets/app.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_EQ(script.body, "console.log(1);");
    EXPECT_EQ(script.header("content-type"), "text/javascript; charset=utf-8");
    // ControlService is still where it was.
    EXPECT_EQ(
        http_request(host_->port(), "POST", "/pm.v1.ControlService/GetCurrentUser", kJson, "{}")
            .status,
        401);

    auto missing = sharing_options();
    missing.console_directory = (dir_ / "no-such-console").string();
    EXPECT_THROW(control::ControlHost(std::move(missing), quiet_logger()), std::invalid_argument);
}

TEST_F(HostSharingTest, AnEventStoreNeedsItsPool) {
    auto control_options = host_options();
    control_options.event_store = store_;
    EXPECT_THROW(control::ControlHost(control_options, quiet_logger()), std::invalid_argument);
    auto options = gateway_options();
    options.pool = nullptr;
    EXPECT_THROW(gateway::GatewayHost(options, quiet_logger()), std::invalid_argument);
}

}  // namespace
}  // namespace pm::testing
