// The host around the service: the per-address rate limits (Login 10/min, Register
// 5/min), keyed by the forwarded client address only behind a trusted proxy, and the plain
// /health and /ready routes.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "control_fixture.hpp"
#include "rpc/http_probe.hpp"

namespace pm::testing {
namespace {

using rpc::Code;

class HostTest : public ControlTest {
protected:
    // Restarts the host with the real limits (the fixture disables them).
    void start_with_default_limits(std::vector<std::string> trusted_proxies = {}) {
        auto options = host_options();
        options.trusted_proxies = trusted_proxies;
        options.rate_limits = control::ControlService::default_rate_limits(trusted_proxies);
        start_host(std::move(options));
    }
    Reply<pm::v1::LoginResponse> try_login(const rpc::Headers& extra = {}) {
        pm::v1::LoginRequest request;
        request.set_email(kAdminEmail);
        request.set_password(kAdminPassword);
        return call<pm::v1::LoginResponse>("Login", request, {}, extra);
    }
    Reply<pm::v1::RegisterResponse> try_register() {
        pm::v1::RegisterRequest request;
        request.set_token("no-such-token");
        request.set_hostname("limited");
        request.set_agent_version("2026.02.0");
        request.set_csr("not read: the token is refused first");
        return call<pm::v1::RegisterResponse>("Register", request);
    }
    static rpc::Headers forwarded_for(const std::string& address) {
        return headers_of({{"x-forwarded-for", address}});
    }
};

TEST_F(HostTest, LoginLimitedToTenPerMinute) {
    start_with_default_limits();
    std::string token;
    for (int i = 0; i < 10; ++i) {
        auto reply = try_login();
        ASSERT_OK(reply) << "login " << i + 1;
        token = reply.response.access_token();
    }
    EXPECT_CODE(try_login(), Code::resource_exhausted);
    // Other methods are not limited by Login's budget.
    pm::v1::GetCurrentUserRequest me;
    EXPECT_OK(call<pm::v1::GetCurrentUserResponse>("GetCurrentUser", me, token));
}

TEST_F(HostTest, RegisterLimitedToFivePerMinute) {
    start_with_default_limits();
    for (int i = 0; i < 5; ++i) {
        EXPECT_CODE(try_register(), Code::permission_denied) << "register " << i + 1;
    }
    EXPECT_CODE(try_register(), Code::resource_exhausted);
    EXPECT_OK(try_login());
}

TEST_F(HostTest, TrustedProxyForwardedAddressesHaveTheirOwnBudgets) {
    start_with_default_limits({"127.0.0.1"});
    for (int i = 0; i < 10; ++i) {
        ASSERT_OK(try_login(forwarded_for("203.0.113.7"))) << "login " << i + 1;
    }
    EXPECT_CODE(try_login(forwarded_for("203.0.113.7")), Code::resource_exhausted);
    EXPECT_OK(try_login(forwarded_for("203.0.113.8")));
    EXPECT_OK(try_login(forwarded_for("198.51.100.1, 203.0.113.9")));
    // The proxy's own calls are a budget of their own too.
    EXPECT_OK(try_login());
}

TEST_F(HostTest, UntrustedForwardedForIsIgnored) {
    start_with_default_limits();
    for (int i = 0; i < 10; ++i) {
        ASSERT_OK(try_login(forwarded_for("203.0.113." + std::to_string(i)))) << "login " << i + 1;
    }
    // A new forged address does not buy a new budget.
    EXPECT_CODE(try_login(forwarded_for("203.0.113.200")), Code::resource_exhausted);
    EXPECT_CODE(try_login(), Code::resource_exhausted);
}

TEST_F(HostTest, HealthAndReadiness) {
    const auto health = http_request(host_->port(), "GET", "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok");
    // Readiness is checked by a thread of the host that starts with it: give it a moment.
    HttpResponse ready;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
        ready = http_request(host_->port(), "GET", "/ready");
        if (ready.status == 200) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < give_up);
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(ready.body, "ready");
}

}  // namespace
}  // namespace pm::testing
