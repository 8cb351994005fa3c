// Every ControlService method, called over real HTTP by each role and anonymously with an
// empty request: permission_denied exactly where the default policy has no rule, and
// unauthenticated for anonymous callers of every non-public method. Calls the policy allows
// fail later (validation, not_found, unimplemented); only the role check is asserted here.
#include <map>
#include <memory>
#include <set>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <powermanage/auth/policy.hpp>
#include <powermanage/common/ulid.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;

const std::set<std::string> kPublic = {"Login", "RefreshToken", "Logout", "Register"};

// The default policy's allowances besides admin's "everything", written out so that an
// unintended change of default_policy.json fails here even though the expectations below are
// computed from the policy itself.
const std::set<std::string> kUserAllowed = {
    "GetCurrentUser",
    "GetUser",
    "UpdateUserPassword",
    "CreateToken",
    "ListTokens",
    "GetToken",
    "RenameToken",
    "SetTokenDisabled",
    "DeleteToken",
    "ListDevices",
    "GetDevice",
    "SetUserSelection",
    "ListAvailableActions",
    "GetDeviceAssignments",
    "ListExecutions",
    "GetExecution",
};
const std::set<std::string> kDeviceAllowed = {
    "GetDevice",     "GetDeviceAssignments", "ListDefinitions",
    "GetDefinition", "ListExecutions",       "GetExecution",
};

class PolicyMatrixTest : public ControlTest {
protected:
    rpc::Status call_empty(const google::protobuf::MethodDescriptor& method,
                           const std::string& bearer) {
        auto* factory = google::protobuf::MessageFactory::generated_factory();
        std::unique_ptr<google::protobuf::Message> request(
            factory->GetPrototype(method.input_type())->New());
        std::unique_ptr<google::protobuf::Message> response(
            factory->GetPrototype(method.output_type())->New());
        rpc::Headers headers;
        if (!bearer.empty()) {
            headers.add("authorization", "Bearer " + bearer);
        }
        return run_on(io_, client_->unary(method.full_name(), *request, *response, headers));
    }
};

TEST_F(PolicyMatrixTest, DefaultPolicyTable) {
    const auto policy = auth::Policy::default_policy();
    const auto methods = auth::control_service_methods();
    ASSERT_EQ(methods.size(), 78u);
    std::set<std::string> user_allowed;
    std::set<std::string> device_allowed;
    for (const auto& method : methods) {
        EXPECT_TRUE(policy.lookup(method, "admin").has_value()) << method;
        if (policy.lookup(method, "user")) {
            user_allowed.insert(method);
        }
        if (policy.lookup(method, "device")) {
            device_allowed.insert(method);
        }
    }
    EXPECT_EQ(user_allowed, kUserAllowed);
    EXPECT_EQ(device_allowed, kDeviceAllowed);
}

TEST_F(PolicyMatrixTest, EveryMethodEveryRole) {
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        "pm.v1.ControlService");
    ASSERT_NE(service, nullptr);
    const auto policy = auth::Policy::default_policy();
    create_user("matrix@example.com", "matrix-password");
    const std::map<std::string, std::string> bearers = {
        {"admin", admin_token()},
        {"user", login("matrix@example.com", "matrix-password")},
        {"device", device_token(new_ulid())},
    };

    std::set<std::string> implemented;
    for (const auto& full : control::ControlService::implemented_methods()) {
        implemented.insert(full.substr(full.rfind('.') + 1));
    }
    // Every ControlService RPC has a handler; a new method without one fails here first.
    EXPECT_EQ(implemented.size(), 78u);
    std::set<std::string> named;
    for (const auto& method : auth::control_service_methods()) {
        named.insert(method);
    }
    ASSERT_EQ(service->method_count(), 78);
    for (int i = 0; i < service->method_count(); ++i) {
        const auto& method = *service->method(i);
        const std::string name = method.name();
        SCOPED_TRACE(name);
        EXPECT_TRUE(named.contains(name));
        const bool is_public = kPublic.contains(name);

        const auto anonymous = call_empty(method, {});
        if (is_public) {
            EXPECT_NE(anonymous.code, Code::unauthenticated) << anonymous.message;
            EXPECT_NE(anonymous.code, Code::permission_denied) << anonymous.message;
        } else {
            EXPECT_EQ(rpc::code_name(anonymous.code), rpc::code_name(Code::unauthenticated))
                << anonymous.message;
        }

        for (const auto& [role, bearer] : bearers) {
            SCOPED_TRACE(role);
            const auto status = call_empty(method, bearer);
            const bool denied = !is_public && !policy.lookup(name, role).has_value();
            const bool table_denied =
                !is_public && role != "admin" &&
                !(role == "user" ? kUserAllowed : kDeviceAllowed).contains(name);
            EXPECT_EQ(denied, table_denied);
            EXPECT_EQ(status.code == Code::permission_denied, denied)
                << rpc::code_name(status.code) << ": " << status.message;
            EXPECT_NE(status.code, Code::unauthenticated) << status.message;
            EXPECT_NE(status.code, Code::internal) << status.message;
            // Allowed calls of RPCs without a handler yet pass the policy and then say so.
            if (!denied && !implemented.contains(name)) {
                EXPECT_EQ(rpc::code_name(status.code), rpc::code_name(Code::unimplemented))
                    << status.message;
            }
        }
    }
}

}  // namespace
}  // namespace pm::testing
