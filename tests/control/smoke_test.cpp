// The main path end to end: the bootstrap admin logs in, creates a user and a token, an agent
// registers with it, and the device is visible.
#include <gtest/gtest.h>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using ControlSmokeTest = ControlTest;

TEST_F(ControlSmokeTest, AdminCreatesTokenAndAgentRegisters) {
    pm::v1::GetCurrentUserRequest me;
    auto current = call<pm::v1::GetCurrentUserResponse>("GetCurrentUser", me, admin_token());
    ASSERT_TRUE(current.ok()) << current.status.message;
    EXPECT_EQ(current.response.user().email(), kAdminEmail);
    EXPECT_EQ(current.response.user().role(), "admin");

    auto [token_id, token_value] = create_token(admin_token());
    ASSERT_EQ(token_value.size(), 44u);
    auto registered = register_device(token_value, "web-01");
    ASSERT_TRUE(registered.ok()) << registered.status.message;
    const std::string device_id = registered.response.device_id().value();
    EXPECT_EQ(device_id.size(), 26u);
    EXPECT_NE(registered.response.certificate().find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_EQ(registered.response.gateway_url(), "https://gateway.test:8080");

    pm::v1::GetDeviceRequest get;
    get.set_id(device_id);
    auto device = call<pm::v1::GetDeviceResponse>("GetDevice", get, admin_token());
    ASSERT_TRUE(device.ok()) << device.status.message;
    EXPECT_EQ(device.response.device().hostname(), "web-01");
    EXPECT_EQ(device.response.device().agent_version(), "2026.02.0");
    EXPECT_EQ(device.response.device().status(), "online");

    pm::v1::GetTokenRequest token;
    token.set_id(token_id);
    auto used = call<pm::v1::GetTokenResponse>("GetToken", token, admin_token());
    ASSERT_TRUE(used.ok()) << used.status.message;
    EXPECT_EQ(used.response.token().current_uses(), 1);
}

}  // namespace
}  // namespace pm::testing
