// Register over real HTTP: token uses counted exactly under concurrency, refused tokens, CSRs
// the CA will not sign (which must not use up the token), and the assignment of devices
// registered with a console user's token.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/ca/request.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;
using namespace std::chrono_literals;

class RegistrationTest : public ControlTest {
protected:
    std::int32_t uses(const std::string& token_id) {
        pm::v1::GetTokenRequest request;
        request.set_id(token_id);
        auto reply = call<pm::v1::GetTokenResponse>("GetToken", request, admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        return reply.response.token().current_uses();
    }
    std::vector<pm::v1::RegisterRequest> requests(const std::string& token, int count) {
        std::vector<pm::v1::RegisterRequest> out(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) {
            auto& request = out[static_cast<std::size_t>(i)];
            request.set_token(token);
            request.set_hostname("race-" + std::to_string(i));
            request.set_agent_version("2026.02.0");
            request.set_csr(ca::make_agent_request(request.hostname()).csr_pem);
        }
        return out;
    }
    Reply<pm::v1::RegisterResponse> register_with_csr(const std::string& token,
                                                      const std::string& csr) {
        pm::v1::RegisterRequest request;
        request.set_token(token);
        request.set_hostname("csr-host");
        request.set_agent_version("2026.02.0");
        request.set_csr(csr);
        return call<pm::v1::RegisterResponse>("Register", request);
    }
};

TEST_F(RegistrationTest, OneTimeTokenRegistersExactlyOneOfAHundredConcurrentAgents) {
    auto [id, value] = create_token(admin_token(), true, 0);
    const auto statuses =
        call_concurrently<pm::v1::RegisterResponse>("Register", requests(value, 100));
    int ok = 0;
    for (const auto& status : statuses) {
        if (status.ok()) {
            ++ok;
        } else {
            EXPECT_EQ(rpc::code_name(status.code), rpc::code_name(Code::permission_denied))
                << status.message;
        }
    }
    EXPECT_EQ(ok, 1);
    EXPECT_EQ(uses(id), 1);
    pm::v1::ListDevicesRequest list;
    EXPECT_EQ(call<pm::v1::ListDevicesResponse>("ListDevices", list, admin_token())
                  .response.total_count(),
              1);
}

TEST_F(RegistrationTest, MaxUsesThreeRegistersExactlyThreeOfTwenty) {
    auto [id, value] = create_token(admin_token(), false, 3);
    const auto statuses =
        call_concurrently<pm::v1::RegisterResponse>("Register", requests(value, 20));
    const auto ok = std::count_if(statuses.begin(), statuses.end(),
                                  [](const rpc::Status& s) { return s.ok(); });
    EXPECT_EQ(ok, 3);
    for (const auto& status : statuses) {
        if (!status.ok()) {
            EXPECT_EQ(rpc::code_name(status.code), rpc::code_name(Code::permission_denied))
                << status.message;
        }
    }
    EXPECT_EQ(uses(id), 3);
}

TEST_F(RegistrationTest, UsesAreCountedAndUsedUpTokensRefused) {
    auto [id, value] = create_token(admin_token(), false, 2);
    EXPECT_EQ(uses(id), 0);
    ASSERT_OK(register_device(value, "first"));
    EXPECT_EQ(uses(id), 1);
    ASSERT_OK(register_device(value, "second"));
    EXPECT_EQ(uses(id), 2);
    EXPECT_CODE(register_device(value, "third"), Code::permission_denied);
    EXPECT_EQ(uses(id), 2);

    // Unlimited.
    auto [open_id, open_value] = create_token(admin_token());
    for (int i = 0; i < 4; ++i) {
        ASSERT_OK(register_device(open_value, "open-" + std::to_string(i)));
    }
    EXPECT_EQ(uses(open_id), 4);
}

TEST_F(RegistrationTest, RefusedTokens) {
    EXPECT_CODE(register_device("no-such-token-value-at-all-0000000000000000="),
                Code::permission_denied);

    auto [disabled_id, disabled_value] = create_token(admin_token());
    pm::v1::SetTokenDisabledRequest disable;
    disable.set_id(disabled_id);
    disable.set_disabled(true);
    ASSERT_OK(call<pm::v1::UpdateTokenResponse>("SetTokenDisabled", disable, admin_token()));
    EXPECT_CODE(register_device(disabled_value), Code::permission_denied);

    // An expiry in the past is refused at creation; one that passes makes the token useless.
    pm::v1::CreateTokenRequest create;
    create.set_name("short-lived");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    create.mutable_expires_at()->set_seconds(now - 1);
    EXPECT_CODE(call<pm::v1::CreateTokenResponse>("CreateToken", create, admin_token()),
                Code::invalid_argument);
    create.mutable_expires_at()->set_seconds(now + 2);
    auto expiring = call<pm::v1::CreateTokenResponse>("CreateToken", create, admin_token());
    ASSERT_OK(expiring);
    std::this_thread::sleep_for(3s);
    EXPECT_CODE(register_device(expiring.response.token().value()), Code::permission_denied);
    EXPECT_EQ(uses(expiring.response.token().id()), 0);
}

TEST_F(RegistrationTest, RequestIsValidated) {
    auto [id, value] = create_token(admin_token());
    pm::v1::RegisterRequest request;
    request.set_token(value);
    request.set_hostname("valid");
    request.set_agent_version("2026.02.0");
    request.set_csr(ca::make_agent_request("valid").csr_pem);
    for (auto mutate : std::vector<std::function<void(pm::v1::RegisterRequest&)>>{
             [](auto& r) { r.clear_token(); },
             [](auto& r) { r.clear_hostname(); },
             [](auto& r) { r.set_hostname(std::string(254, 'h')); },
             [](auto& r) { r.clear_agent_version(); },
             [](auto& r) { r.set_agent_version(std::string(33, 'v')); },
             [](auto& r) { r.clear_csr(); },
         }) {
        pm::v1::RegisterRequest bad = request;
        mutate(bad);
        EXPECT_CODE(call<pm::v1::RegisterResponse>("Register", bad), Code::invalid_argument);
    }
    EXPECT_EQ(uses(id), 0);
    auto registered = call<pm::v1::RegisterResponse>("Register", request);
    ASSERT_OK(registered);
    EXPECT_NE(registered.response.ca_cert().find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(RegistrationTest, RefusedCsrDoesNotConsumeTheToken) {
    auto [id, value] = create_token(admin_token(), true, 0);
    EXPECT_CODE(register_with_csr(value, "garbage bytes, not a CSR"), Code::invalid_argument);
    EXPECT_CODE(register_with_csr(value, std::string("\x30\x82\x01\x00\xff\xfe", 6)),
                Code::invalid_argument);
    for (const auto type : {ca::RequestKeyType::rsa_1024, ca::RequestKeyType::ed25519,
                            ca::RequestKeyType::ecdsa_p521}) {
        SCOPED_TRACE(static_cast<int>(type));
        EXPECT_CODE(register_device(value, "weak", type), Code::invalid_argument);
    }
    // A CSR whose signature does not match: the PEM body of one request with bytes flipped.
    std::string tampered = ca::make_agent_request("tampered").csr_pem;
    const auto middle = tampered.size() / 2;
    tampered[middle] = tampered[middle] == 'A' ? 'B' : 'A';
    EXPECT_CODE(register_with_csr(value, tampered), Code::invalid_argument);
    EXPECT_EQ(uses(id), 0);
    // The one use is still there.
    ASSERT_OK(register_device(value, "good"));
    EXPECT_EQ(uses(id), 1);
}

TEST_F(RegistrationTest, AcceptedKeyTypes) {
    auto [id, value] = create_token(admin_token());
    for (const auto type : {ca::RequestKeyType::ecdsa_p256, ca::RequestKeyType::ecdsa_p384,
                            ca::RequestKeyType::rsa_2048}) {
        SCOPED_TRACE(static_cast<int>(type));
        EXPECT_OK(register_device(value, "key-type", type));
    }
}

TEST_F(RegistrationTest, UserTokenAssignsTheDeviceToTheUser) {
    const std::string user = create_user("owner@example.com", "owner-password");
    const std::string bearer = login("owner@example.com", "owner-password");
    auto [token_id, token_value] = create_token(bearer);
    auto registered = register_device(token_value, "laptop");
    ASSERT_OK(registered);
    const std::string device = registered.response.device_id().value();

    pm::v1::GetDeviceRequest get;
    get.set_id(device);
    auto as_admin = call<pm::v1::GetDeviceResponse>("GetDevice", get, admin_token());
    ASSERT_OK(as_admin);
    EXPECT_EQ(as_admin.response.device().assigned_user_id(), user);
    EXPECT_OK(call<pm::v1::GetDeviceResponse>("GetDevice", get, bearer));
    auto listed =
        call<pm::v1::ListDevicesResponse>("ListDevices", pm::v1::ListDevicesRequest{}, bearer);
    ASSERT_OK(listed);
    ASSERT_EQ(listed.response.devices_size(), 1);
    EXPECT_EQ(listed.response.devices(0).id(), device);
    // A user token is one-time.
    EXPECT_CODE(register_device(token_value, "second"), Code::permission_denied);

    // An admin's token assigns nobody, and the user does not see that device.
    auto by_admin = register_device(create_token(admin_token()).second, "server");
    ASSERT_OK(by_admin);
    get.set_id(by_admin.response.device_id().value());
    auto unassigned = call<pm::v1::GetDeviceResponse>("GetDevice", get, admin_token());
    ASSERT_OK(unassigned);
    EXPECT_TRUE(unassigned.response.device().assigned_user_id().empty());
    EXPECT_CODE(call<pm::v1::GetDeviceResponse>("GetDevice", get, bearer), Code::not_found);
}

}  // namespace
}  // namespace pm::testing
