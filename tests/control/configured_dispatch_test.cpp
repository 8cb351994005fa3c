// DispatchActionSet and DispatchDefinition: one execution per member action, in member order,
// PRESENT, signed for its execution id; what is missing or deleted answers not_found; an empty
// set dispatches nothing. DispatchAssignedActions: resolved desired states (ABSENT stays ABSENT);
// its full run, where an agent completes the executions, is the gateway's SyncActions scenario
// (tests/gateway/sync_scenario_test.cpp).
#include <gtest/gtest.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/common/base64.hpp>

#include "configuration_steps.hpp"
#include "control_fixture.hpp"

namespace pm::testing {
namespace {

class ConfiguredDispatchTest : public ConfigurationSteps<ControlTest> {
protected:
    Reply<pm::v1::DispatchActionSetResponse> dispatch_set(const std::string& device,
                                                          const std::string& set) {
        pm::v1::DispatchActionSetRequest request;
        request.set_device_id(device);
        request.set_action_set_id(set);
        return call<pm::v1::DispatchActionSetResponse>("DispatchActionSet", request, admin_token());
    }
    Reply<pm::v1::DispatchDefinitionResponse> dispatch_definition(const std::string& device,
                                                                  const std::string& definition) {
        pm::v1::DispatchDefinitionRequest request;
        request.set_device_id(device);
        request.set_definition_id(definition);
        return call<pm::v1::DispatchDefinitionResponse>("DispatchDefinition", request,
                                                        admin_token());
    }
    template <class Executions>
    static std::vector<std::string> action_ids(const Executions& executions) {
        std::vector<std::string> ids;
        for (const auto& e : executions) {
            ids.push_back(e.action_id());
        }
        return ids;
    }
};

TEST_F(ConfiguredDispatchTest, ASetDispatchesItsActionsInMemberOrderPresentAndSigned) {
    const auto device = new_device();
    const auto shell = create_shell_action("hello", "echo hello");
    const auto package = create_package_action("htop", "htop");
    const auto set = create_set("tools", {shell, package});
    auto reply = dispatch_set(device, set);
    ASSERT_OK(reply);
    ASSERT_EQ(action_ids(reply.response.executions()), (std::vector<std::string>{shell, package}));
    std::vector<std::string> execution_ids;
    for (const auto& e : reply.response.executions()) {
        EXPECT_EQ(e.device_id(), device);
        EXPECT_EQ(e.status(), pm::v1::EXECUTION_STATUS_PENDING);
        EXPECT_EQ(desired_state_of_execution(e.id()), pm::v1::DESIRED_STATE_PRESENT);
        execution_ids.push_back(e.id());
    }
    EXPECT_EQ(reply.response.executions(0).type(), pm::v1::ACTION_TYPE_SHELL);
    EXPECT_EQ(reply.response.executions(1).type(), pm::v1::ACTION_TYPE_PACKAGE);
    // Each is signed for its own execution id, as the agent verifies it.
    for (const auto& id : execution_ids) {
        auto rows =
            sql("SELECT action_type, params_canonical, translate(encode(signature, 'base64'), "
                "E'\\n', '') FROM executions_projection WHERE id = $1",
                {id});
        ASSERT_EQ(rows.rows(), 1);
        ASSERT_FALSE(rows.is_null(0, 2)) << id << " is not signed";
        const auto signature = pm::base64_decode(rows.text(0, 2));
        ASSERT_TRUE(signature.has_value());
        EXPECT_TRUE(host_->authority().verify_action(id, static_cast<int>(rows.int64(0, 0)),
                                                     rows.text(0, 1), *signature))
            << id;
    }
}

TEST_F(ConfiguredDispatchTest, ADefinitionDispatchesEachActionOnceInSetThenMemberOrder) {
    const auto device = new_device();
    const auto a = create_package_action("a", "pkg-a");
    const auto b = create_shell_action("b", "echo b");
    const auto c = create_file_action("c", "/etc/c.conf", "c=1");
    const auto first = create_set("first", {c, a});
    const auto second = create_set("second", {b, a});
    const auto definition = create_definition("desk", {first, second});
    auto reply = dispatch_definition(device, definition);
    ASSERT_OK(reply);
    // `a` is in both sets: it runs once, at its first place.
    EXPECT_EQ(action_ids(reply.response.executions()), (std::vector<std::string>{c, a, b}));
    auto count = sql("SELECT count(*) FROM executions_projection WHERE device_id = $1", {device});
    EXPECT_EQ(count.int64(0, 0), 3);
}

TEST_F(ConfiguredDispatchTest, MissingOrDeletedTargetsAnswerNotFoundAndDispatchNothing) {
    const auto device = new_device();
    const auto action = create_package_action("p", "pkg");
    const auto set = create_set("s", {action});
    const auto definition = create_definition("d", {set});
    const std::string unknown = "01HZZZZZZZZZZZZZZZZZZZZZZZ";
    EXPECT_CODE(dispatch_set(unknown, set), rpc::Code::not_found);
    EXPECT_CODE(dispatch_set(device, unknown), rpc::Code::not_found);
    EXPECT_CODE(dispatch_definition(unknown, definition), rpc::Code::not_found);
    EXPECT_CODE(dispatch_definition(device, unknown), rpc::Code::not_found);

    pm::v1::DeleteActionSetRequest delete_set;
    delete_set.set_id(set);
    ASSERT_OK(call<pm::v1::DeleteActionSetResponse>("DeleteActionSet", delete_set, admin_token()));
    auto deleted = dispatch_set(device, set);
    EXPECT_CODE(deleted, rpc::Code::not_found);
    EXPECT_NE(deleted.status.message.find(set), std::string::npos) << deleted.status.message;

    pm::v1::DeleteDeviceRequest delete_device;
    delete_device.set_id(device);
    ASSERT_OK(call<pm::v1::DeleteDeviceResponse>("DeleteDevice", delete_device, admin_token()));
    EXPECT_CODE(dispatch_definition(device, definition), rpc::Code::not_found);
    auto count = sql("SELECT count(*) FROM executions_projection");
    EXPECT_EQ(count.int64(0, 0), 0);
}

TEST_F(ConfiguredDispatchTest, AnEmptySetOrDefinitionDispatchesNothing) {
    const auto device = new_device();
    const auto set = create_set("empty", {});
    const auto definition = create_definition("empty-def", {set});
    auto by_set = dispatch_set(device, set);
    ASSERT_OK(by_set);
    EXPECT_EQ(by_set.response.executions_size(), 0);
    auto by_definition = dispatch_definition(device, definition);
    ASSERT_OK(by_definition);
    EXPECT_EQ(by_definition.response.executions_size(), 0);
}

TEST_F(ConfiguredDispatchTest,
       AssignedActionsOfAnUnknownDeviceAreNotFoundAndNothingAssignedIsEmpty) {
    pm::v1::DispatchAssignedActionsRequest request;
    request.set_device_id("01HZZZZZZZZZZZZZZZZZZZZZZZ");
    auto unknown = call<pm::v1::DispatchAssignedActionsResponse>("DispatchAssignedActions", request,
                                                                 admin_token());
    EXPECT_CODE(unknown, rpc::Code::not_found);
    request.set_device_id(new_device());
    create_set("unassigned", {create_package_action("p", "pkg")});
    auto nothing = call<pm::v1::DispatchAssignedActionsResponse>("DispatchAssignedActions", request,
                                                                 admin_token());
    ASSERT_OK(nothing);
    EXPECT_EQ(nothing.response.executions_size(), 0);
}

TEST_F(ConfiguredDispatchTest, AbsentAssignmentsAreDispatchedAbsent) {
    const auto device = new_device();
    const auto keep = create_package_action("keep", "htop");
    const auto remove = create_package_action("remove", "telnet");
    assign_to_device("action_set", create_set("base", {keep, remove}), device,
                     pm::v1::ASSIGNMENT_MODE_PRESENT);
    assign_to_device("action", remove, device, pm::v1::ASSIGNMENT_MODE_ABSENT);
    pm::v1::DispatchAssignedActionsRequest request;
    request.set_device_id(device);
    auto reply = call<pm::v1::DispatchAssignedActionsResponse>("DispatchAssignedActions", request,
                                                               admin_token());
    ASSERT_OK(reply);
    ASSERT_EQ(reply.response.executions_size(), 2);
    for (const auto& e : reply.response.executions()) {
        EXPECT_EQ(desired_state_of_execution(e.id()), e.action_id() == remove
                                                          ? pm::v1::DESIRED_STATE_ABSENT
                                                          : pm::v1::DESIRED_STATE_PRESENT)
            << e.action_id();
    }
}

TEST_F(ConfiguredDispatchTest, OnlyAdminsDispatchConfiguredActions) {
    const auto device = new_device();
    const auto set = create_set("s", {create_package_action("p", "pkg")});
    create_user("user@example.com", "a long enough password");
    const auto user = login("user@example.com", "a long enough password");
    pm::v1::DispatchActionSetRequest request;
    request.set_device_id(device);
    request.set_action_set_id(set);
    auto reply = call<pm::v1::DispatchActionSetResponse>("DispatchActionSet", request, user);
    EXPECT_CODE(reply, rpc::Code::permission_denied);
    auto count = sql("SELECT count(*) FROM executions_projection");
    EXPECT_EQ(count.int64(0, 0), 0);
}

}  // namespace
}  // namespace pm::testing
