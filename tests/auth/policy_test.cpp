#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <powermanage/auth/policy.hpp>

namespace pm::auth {
namespace {

using ::testing::HasSubstr;

// What the default policy must say for users and devices, written out independently of
// default_policy.json; every method missing here must be denied.
using Expected = std::map<std::pair<std::string, std::string>, Permission>;

const Expected& expected_rules() {
    static const Expected rules = {
        {{"GetCurrentUser", "user"}, {Condition::always, ""}},
        {{"GetUser", "user"}, {Condition::self, "id"}},
        {{"UpdateUserPassword", "user"}, {Condition::self, "id"}},
        {{"CreateToken", "user"}, {Condition::always, ""}},
        {{"ListTokens", "user"}, {Condition::scoped, ""}},
        {{"GetToken", "user"}, {Condition::own_token, "id"}},
        {{"RenameToken", "user"}, {Condition::own_token, "id"}},
        {{"SetTokenDisabled", "user"}, {Condition::own_token, "id"}},
        {{"DeleteToken", "user"}, {Condition::own_token, "id"}},
        {{"ListDevices", "user"}, {Condition::scoped, ""}},
        {{"GetDevice", "user"}, {Condition::assigned_device, "id"}},
        {{"SetUserSelection", "user"}, {Condition::assigned_device, "device_id"}},
        {{"ListAvailableActions", "user"}, {Condition::assigned_device, "device_id"}},
        {{"GetDeviceAssignments", "user"}, {Condition::assigned_device, "device_id"}},
        {{"ListExecutions", "user"}, {Condition::scoped, ""}},
        {{"GetExecution", "user"}, {Condition::own_execution, "id"}},
        {{"GetDevice", "device"}, {Condition::self, "id"}},
        {{"GetDeviceAssignments", "device"}, {Condition::self, "device_id"}},
        {{"ListDefinitions", "device"}, {Condition::always, ""}},
        {{"GetDefinition", "device"}, {Condition::always, ""}},
        {{"ListExecutions", "device"}, {Condition::scoped, ""}},
        {{"GetExecution", "device"}, {Condition::own_execution, "id"}},
    };
    return rules;
}

TEST(PolicyTest, ControlServiceHas78Methods) {
    const auto methods = control_service_methods();
    EXPECT_EQ(methods.size(), 78U);
    EXPECT_EQ(methods.front(), "Register");
    EXPECT_EQ(methods.back(), "ListExecutions");
    for (const auto& [key, permission] : expected_rules()) {
        EXPECT_NE(std::find(methods.begin(), methods.end(), key.first), methods.end()) << key.first;
    }
}

TEST(PolicyTest, DefaultPolicyFullMatrix) {
    const Policy policy = Policy::default_policy();
    std::size_t allowed = 0;
    for (const auto& method : control_service_methods()) {
        const auto admin = policy.lookup(method, "admin");
        ASSERT_TRUE(admin.has_value()) << method;
        EXPECT_EQ(admin->condition, Condition::always) << method;
        EXPECT_EQ(admin->field, "") << method;
        for (const std::string role : {"user", "device"}) {
            const auto got = policy.lookup(method, role);
            const auto want = expected_rules().find({method, role});
            if (want == expected_rules().end()) {
                EXPECT_FALSE(got.has_value()) << method << " for " << role << " must be denied";
                continue;
            }
            ++allowed;
            ASSERT_TRUE(got.has_value()) << method << " for " << role;
            EXPECT_EQ(to_string(got->condition), to_string(want->second.condition))
                << method << " for " << role;
            EXPECT_EQ(got->field, want->second.field) << method << " for " << role;
        }
    }
    EXPECT_EQ(allowed, expected_rules().size());
}

TEST(PolicyTest, UnknownRolesAndMethodsAreDenied) {
    const Policy policy = Policy::default_policy();
    EXPECT_FALSE(policy.lookup("GetUser", "root").has_value());
    EXPECT_FALSE(policy.lookup("GetUser", "").has_value());
    EXPECT_FALSE(policy.lookup("NoSuchMethod", "user").has_value());
    // The admin wildcard covers any name, known or not: the router rejects unknown ones first.
    EXPECT_TRUE(policy.lookup("NoSuchMethod", "admin").has_value());
}

TEST(PolicyTest, ConditionNames) {
    EXPECT_EQ(to_string(Condition::always), "always");
    EXPECT_EQ(to_string(Condition::self), "self");
    EXPECT_EQ(to_string(Condition::assigned_device), "assigned_device");
    EXPECT_EQ(to_string(Condition::own_token), "own_token");
    EXPECT_EQ(to_string(Condition::own_execution), "own_execution");
    EXPECT_EQ(to_string(Condition::scoped), "scoped");
    EXPECT_EQ(Policy::roles(), (std::vector<std::string>{"admin", "user", "device"}));
}

TEST(PolicyTest, ExactRuleBeatsWildcard) {
    const Policy policy = Policy::from_json(R"({"version": 1, "rules": [
        {"method": "*", "role": "user", "allow": "scoped"},
        {"method": "GetUser", "role": "user", "allow": "self", "field": "id"},
        {"method": "GetDevice", "role": "device", "allow": "self", "field": "id"}]})",
                                            control_service_methods());
    const auto exact = policy.lookup("GetUser", "user");
    ASSERT_TRUE(exact.has_value());
    EXPECT_EQ(exact->condition, Condition::self);
    EXPECT_EQ(exact->field, "id");
    const auto wildcard = policy.lookup("ListUsers", "user");
    ASSERT_TRUE(wildcard.has_value());
    EXPECT_EQ(wildcard->condition, Condition::scoped);
    // A wildcard applies only to its own role.
    EXPECT_FALSE(policy.lookup("ListUsers", "device").has_value());
    EXPECT_FALSE(policy.lookup("ListUsers", "admin").has_value());
}

TEST(PolicyTest, EmptyRulesDenyEverything) {
    const Policy policy = Policy::from_json(R"({"version":1,"rules":[]})", {"GetUser"});
    EXPECT_FALSE(policy.lookup("GetUser", "admin").has_value());
}

// from_json's message for `json`, or "" if it did not throw std::invalid_argument.
std::string error_for(const std::string& json) {
    try {
        static_cast<void>(Policy::from_json(json, control_service_methods()));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

std::string with_rules(const std::string& rules) {
    return R"({"version": 1, "rules": [{"method": "*", "role": "admin", "allow": "always"},)" +
           rules + "]}";
}

TEST(PolicyTest, FromJsonErrors) {
    // Document level.
    EXPECT_THAT(error_for("not json"), HasSubstr("not valid JSON"));
    EXPECT_THAT(error_for("[]"), HasSubstr("must be a JSON object"));
    EXPECT_THAT(error_for(R"("policy")"), HasSubstr("must be a JSON object"));
    EXPECT_THAT(error_for(R"({"rules": []})"), HasSubstr("\"version\": 1"));
    EXPECT_THAT(error_for(R"({"version": 2, "rules": []})"), HasSubstr("\"version\": 1"));
    EXPECT_THAT(error_for(R"({"version": "1", "rules": []})"), HasSubstr("\"version\": 1"));
    EXPECT_THAT(error_for(R"({"version": 1})"), HasSubstr("\"rules\" must be an array"));
    EXPECT_THAT(error_for(R"({"version": 1, "rules": {}})"), HasSubstr("\"rules\" must be"));
    EXPECT_THAT(error_for(R"({"version": 1, "rules": [], "extra": 1})"),
                HasSubstr("unknown top-level key \"extra\""));

    // Rule level: the message names the rule's index and method.
    const auto rule_error = [](const std::string& rule) { return error_for(with_rules(rule)); };
    EXPECT_THAT(rule_error(R"({"method": "GetUsr", "role": "user", "allow": "always"})"),
                HasSubstr("policy rule 1 (method GetUsr): unknown method \"GetUsr\""));
    EXPECT_THAT(rule_error(R"({"method": "GetUser", "role": "root", "allow": "always"})"),
                HasSubstr("policy rule 1 (method GetUser): unknown role \"root\""));
    EXPECT_THAT(rule_error(R"({"method": "GetUser", "role": "user", "allow": "sometimes"})"),
                HasSubstr("policy rule 1 (method GetUser): unknown condition \"sometimes\""));
    for (const char* condition : {"self", "assigned_device", "own_token", "own_execution"}) {
        EXPECT_THAT(rule_error(std::string(R"({"method": "GetUser", "role": "user", "allow": ")") +
                               condition + "\"}"),
                    HasSubstr("policy rule 1 (method GetUser): condition \"" +
                              std::string(condition) + "\" needs \"field\""));
    }
    EXPECT_THAT(
        rule_error(
            R"({"method": "GetToken", "role": "user", "allow": "own_token", "field": "token_id"})"),
        HasSubstr("policy rule 1 (method GetToken): field \"token_id\" is not a field of "
                  "pm.v1.GetTokenRequest"));
    EXPECT_THAT(
        rule_error(R"({"method": "SetTokenDisabled", "role": "user", "allow": "own_token", )"
                   R"("field": "disabled"})"),
        HasSubstr("is not a single string"));
    EXPECT_THAT(rule_error(R"({"method": "*", "role": "user", "allow": "self", "field": "id"})"),
                HasSubstr("policy rule 1 (method *): field \"id\" is not a field of"));
    EXPECT_THAT(
        rule_error(
            R"({"method": "ListDevices", "role": "user", "allow": "scoped", "field": "id"})"),
        HasSubstr("policy rule 1 (method ListDevices): condition \"scoped\" takes no \"field\""));
    EXPECT_THAT(error_for(with_rules(
                    R"({"method": "GetUser", "role": "user", "allow": "always"},)"
                    R"({"method": "GetUser", "role": "user", "allow": "self", "field": "id"})")),
                HasSubstr("policy rule 2 (method GetUser): a second rule for role user"));
    EXPECT_THAT(rule_error(R"({"method": "*", "role": "admin", "allow": "scoped"})"),
                HasSubstr("policy rule 1 (method *): a second rule for role admin"));
    EXPECT_THAT(rule_error(R"({"role": "user", "allow": "always"})"),
                HasSubstr("policy rule 1: \"method\" is missing"));
    EXPECT_THAT(rule_error(R"({"method": "GetUser", "allow": "always"})"),
                HasSubstr("policy rule 1 (method GetUser): \"role\" is missing"));
    EXPECT_THAT(rule_error(R"({"method": "GetUser", "role": "user"})"),
                HasSubstr("policy rule 1 (method GetUser): \"allow\" is missing"));
    EXPECT_THAT(
        rule_error(R"({"method": "GetUser", "role": "user", "allow": "always", "feild": "id"})"),
        HasSubstr("policy rule 1: unknown key \"feild\""));
    EXPECT_THAT(rule_error(R"({"method": 5, "role": "user", "allow": "always"})"),
                HasSubstr("policy rule 1: \"method\" must be a string"));
    EXPECT_THAT(rule_error(R"("GetUser")"), HasSubstr("policy rule 1: must be a JSON object"));
}

TEST(PolicyTest, MethodsAreLimitedToTheKnownOnes) {
    EXPECT_THROW(
        Policy::from_json(
            R"({"version":1,"rules":[{"method":"GetUser","role":"user","allow":"always"}]})",
            {"ListUsers"}),
        std::invalid_argument);
}

TEST(PolicyTest, FromFileNamesTheFile) {
    const std::string path = ::testing::TempDir() + "pm_auth_policy_test.json";
    {
        std::ofstream out(path);
        out << R"({"version": 1, "rules": [)"
            << R"({"method": "Nope", "role": "user", "allow": "always"}]})";
    }
    try {
        static_cast<void>(Policy::from_file(path, control_service_methods()));
        ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_THAT(e.what(), HasSubstr("policy file " + path + ": policy rule 0 (method Nope)"));
    }
    {
        std::ofstream out(path);
        out << R"({"version": 1, "rules": [)"
            << R"({"method": "GetUser", "role": "user", "allow": "self", "field": "id"}]})";
    }
    const Policy policy = Policy::from_file(path, control_service_methods());
    EXPECT_EQ(policy.lookup("GetUser", "user")->field, "id");
    std::remove(path.c_str());
    EXPECT_THROW(Policy::from_file(path, control_service_methods()), std::invalid_argument);
}

}  // namespace
}  // namespace pm::auth
