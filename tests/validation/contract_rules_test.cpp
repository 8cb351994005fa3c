// The embedded pm.v1 rule table: it loads, covers every line, and validates real requests.

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <powermanage/contract/contract.hpp>
#include <powermanage/validation/validator.hpp>

#include "pm/v1/actions.pb.h"
#include "pm/v1/common.pb.h"
#include "pm/v1/control.pb.h"

namespace pm::validation {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kUlid = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

std::vector<std::string> failures(const google::protobuf::Message& message) {
    std::vector<std::string> out;
    for (const auto& violation : RuleSet::contract().validate(message)) {
        out.push_back(violation.field + ":" + violation.rule);
    }
    return out;
}

std::size_t table_rule_lines() {
    std::ifstream file(PM_CONTRACT_RULES_TSV);
    std::size_t count = 0;
    std::string line;
    while (std::getline(file, line)) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first != std::string::npos && line[first] != '#') {
            ++count;
        }
    }
    return count;
}

pm::v1::CreateActionRequest shell_action() {
    pm::v1::CreateActionRequest request;
    request.set_name("Rotate logs");
    request.set_type(pm::v1::ACTION_TYPE_SHELL);
    request.set_timeout_seconds(60);
    request.mutable_shell()->set_script("logrotate -f /etc/logrotate.conf");
    request.mutable_shell()->set_working_directory("/var/log");
    (*request.mutable_shell()->mutable_environment())["LANG"] = "C.UTF-8";
    return request;
}

TEST(ContractRulesTest, LoadsEveryLineOfTheTable) {
    const std::size_t lines = table_rule_lines();
    EXPECT_GT(lines, 0U);
    EXPECT_EQ(RuleSet::contract().rule_count(), lines);
    EXPECT_EQ(RuleSet::contract().rule_count(), 315U);  // wire-contract.md §4
    EXPECT_EQ(&RuleSet::contract(), &RuleSet::contract());
}

TEST(ContractRulesTest, ValidLoginPasses) {
    pm::v1::LoginRequest request;
    request.set_email("admin@example.com");
    request.set_password("correct horse");
    EXPECT_THAT(RuleSet::contract().validate(request), IsEmpty());
}

TEST(ContractRulesTest, BadLoginReportsBothFields) {
    pm::v1::LoginRequest request;
    request.set_email("not-an-email");
    request.set_password("abc");
    const auto violations = RuleSet::contract().validate(request);
    EXPECT_THAT(
        violations,
        ElementsAre(Violation{"email", "email", "email must be a valid email address"},
                    Violation{"password", "min=8", "password must be at least 8 characters"}));
    EXPECT_EQ(describe(violations),
              "validation failed: email must be a valid email address; password must be at "
              "least 8 characters");
}

TEST(ContractRulesTest, EmptyLoginIsRequired) {
    EXPECT_THAT(failures(pm::v1::LoginRequest()),
                ElementsAre("email:required", "password:required"));
}

TEST(ContractRulesTest, ValidCreateActionPasses) {
    EXPECT_THAT(failures(shell_action()), IsEmpty());
}

TEST(ContractRulesTest, UnsetActionTypeIsRejected) {
    // The type rule is `required,ne=0`: on an enum `required` already rejects 0 and, like
    // validator, the first failing keyword is the one reported.
    auto request = shell_action();
    request.set_type(pm::v1::ACTION_TYPE_UNSPECIFIED);
    EXPECT_THAT(failures(request), ElementsAre("type:required"));

    pm::v1::Action action;
    action.mutable_id()->set_value(kUlid);
    EXPECT_THAT(failures(action), ElementsAre("type:required"));
    action.set_type(pm::v1::ACTION_TYPE_FILE);
    EXPECT_THAT(failures(action), IsEmpty());
}

TEST(ContractRulesTest, NeZeroIsPartOfTheTypeRule) {
    // With `required` stripped, `ne=0` alone rejects the UNSPECIFIED value.
    pm::contract::pool();
    const RuleSet only_ne =
        RuleSet::parse("Action.type\tne=0\n", *google::protobuf::DescriptorPool::generated_pool());
    const auto violations = only_ne.validate(pm::v1::Action());
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0],
              (Violation{"type", "ne=0", "type must not be ACTION_TYPE_UNSPECIFIED"}));
}

TEST(ContractRulesTest, OversizeScriptFailsMax) {
    auto request = shell_action();
    request.mutable_shell()->set_script(std::string(1048577, 'x'));
    EXPECT_THAT(failures(request), ElementsAre("shell.script:max=1048576"));
    request.mutable_shell()->set_script(std::string(1048576, 'x'));
    EXPECT_THAT(failures(request), IsEmpty());
}

TEST(ContractRulesTest, ShellEnvironmentKeysAndValues) {
    auto request = shell_action();
    (*request.mutable_shell()->mutable_environment())[std::string(256, 'K')] = "v";
    (*request.mutable_shell()->mutable_environment())["BIG"] = std::string(4097, 'v');
    const auto found = failures(request);
    ASSERT_EQ(found.size(), 2U);
    EXPECT_EQ(found[0], "shell.environment[BIG]:max=4096");
    EXPECT_EQ(found[1], "shell.environment[" + std::string(256, 'K') + "]:max=255");
}

TEST(ContractRulesTest, GarbageUlidFails) {
    pm::v1::ActionId id;
    id.set_value("garbage");
    EXPECT_THAT(failures(id), ElementsAre("value:ulid"));
    id.set_value(kUlid);
    EXPECT_THAT(failures(id), IsEmpty());

    pm::v1::GetActionRequest get;
    get.set_id("01ARZ3NDEKTSV4RRFFQ69G5FA!");
    EXPECT_THAT(failures(get), ElementsAre("id:ulid"));
}

TEST(ContractRulesTest, InlineActionIsValidatedThroughTheOneof) {
    pm::v1::DispatchActionRequest request;
    request.set_device_id(kUlid);
    request.mutable_inline_action()->set_type(pm::v1::ACTION_TYPE_SHELL);
    request.mutable_inline_action()->mutable_id()->set_value("bad");
    EXPECT_THAT(failures(request), ElementsAre("inline_action.id.value:ulid"));
}

TEST(ContractRulesTest, DeviceIdListDivesIntoElements) {
    pm::v1::DispatchToMultipleRequest request;
    EXPECT_THAT(failures(request), ElementsAre("device_ids:required"));
    request.add_device_ids(kUlid);
    request.add_device_ids("nope");
    request.set_action_id(kUlid);
    EXPECT_THAT(failures(request), ElementsAre("device_ids[1]:ulid"));
}

TEST(ContractRulesTest, RepositoryUrlsRequiredUnlessDisabled) {
    auto request = shell_action();
    request.set_type(pm::v1::ACTION_TYPE_REPOSITORY);
    auto* repository = request.mutable_repository();
    repository->set_name("vendor1");
    repository->mutable_apt();
    EXPECT_THAT(failures(request), ElementsAre("repository.apt.url:required_without=Disabled"));
    repository->mutable_apt()->set_disabled(true);
    EXPECT_THAT(failures(request), IsEmpty());
    repository->mutable_apt()->set_disabled(false);
    repository->mutable_apt()->set_url("https://repo.example.com/apt");
    EXPECT_THAT(failures(request), IsEmpty());
    repository->set_name("vendor-1");
    EXPECT_THAT(failures(request), ElementsAre("repository.name:alphanum"));
}

TEST(ContractRulesTest, EveryContractMessageCanBeValidated) {
    // Default instances of every pm.v1 message: exercises every plan without crashing, and
    // every message with a `required` rule reports at least that.
    std::size_t with_violations = 0;
    for (const auto* file :
         {pm::v1::ActionId::descriptor()->file(), pm::v1::Action::descriptor()->file(),
          pm::v1::LoginRequest::descriptor()->file()}) {
        for (int i = 0; i < file->message_type_count(); ++i) {
            const auto* prototype =
                google::protobuf::MessageFactory::generated_factory()->GetPrototype(
                    file->message_type(i));
            ASSERT_NE(prototype, nullptr);
            with_violations += RuleSet::contract().validate(*prototype).empty() ? 0 : 1;
        }
    }
    EXPECT_GT(with_violations, 50U);
}

}  // namespace
}  // namespace pm::validation
