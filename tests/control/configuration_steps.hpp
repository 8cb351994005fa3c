#pragma once

// Building a configuration through the control API as the admin: actions, sets, definitions,
// assignments. A mixin over ControlTest or one of its subclasses (GatewayTest), so the
// configured-dispatch tests and the gateway's SyncActions scenario build it the same way.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "control_fixture.hpp"

namespace pm::testing {

/// Adds configuration steps to `Base` (a ControlTest). Each step fails the test if its call
/// fails and returns the new object's id ("" then).
template <class Base>
class ConfigurationSteps : public Base {
protected:
    /// A stored PACKAGE action installing `package`.
    std::string create_package_action(const std::string& name, const std::string& package) {
        pm::v1::CreateActionRequest request;
        request.set_name(name);
        request.set_type(pm::v1::ACTION_TYPE_PACKAGE);
        request.set_timeout_seconds(120);
        request.mutable_package()->set_name(package);
        return create_action(request);
    }
    /// A stored SHELL action running `script`.
    std::string create_shell_action(const std::string& name, const std::string& script) {
        pm::v1::CreateActionRequest request;
        request.set_name(name);
        request.set_type(pm::v1::ACTION_TYPE_SHELL);
        request.set_timeout_seconds(60);
        request.mutable_shell()->set_script(script);
        return create_action(request);
    }
    /// A stored FILE action writing `content` to `path`.
    std::string create_file_action(const std::string& name, const std::string& path,
                                   const std::string& content) {
        pm::v1::CreateActionRequest request;
        request.set_name(name);
        request.set_type(pm::v1::ACTION_TYPE_FILE);
        request.mutable_file()->set_path(path);
        request.mutable_file()->set_content(content);
        request.mutable_file()->set_mode("0644");
        return create_action(request);
    }
    /// CreateAction.
    std::string create_action(const pm::v1::CreateActionRequest& request) {
        auto reply = this->template call<pm::v1::CreateActionResponse>("CreateAction", request,
                                                                       this->admin_token());
        EXPECT_TRUE(reply.ok()) << "CreateAction " << request.name() << ": "
                                << reply.status.message;
        return reply.response.action().id();
    }
    /// A set holding `actions` in that order.
    std::string create_set(const std::string& name, const std::vector<std::string>& actions) {
        pm::v1::CreateActionSetRequest request;
        request.set_name(name);
        auto reply = this->template call<pm::v1::CreateActionSetResponse>(
            "CreateActionSet", request, this->admin_token());
        EXPECT_TRUE(reply.ok()) << "CreateActionSet: " << reply.status.message;
        const std::string id = reply.response.set().id();
        for (std::size_t i = 0; i < actions.size(); ++i) {
            pm::v1::AddActionToSetRequest add;
            add.set_set_id(id);
            add.set_action_id(actions[i]);
            add.set_sort_order(static_cast<std::int32_t>(i));
            auto added = this->template call<pm::v1::AddActionToSetResponse>("AddActionToSet", add,
                                                                             this->admin_token());
            EXPECT_TRUE(added.ok()) << "AddActionToSet: " << added.status.message;
        }
        return id;
    }
    /// A definition holding `sets` in that order.
    std::string create_definition(const std::string& name, const std::vector<std::string>& sets) {
        pm::v1::CreateDefinitionRequest request;
        request.set_name(name);
        auto reply = this->template call<pm::v1::CreateDefinitionResponse>(
            "CreateDefinition", request, this->admin_token());
        EXPECT_TRUE(reply.ok()) << "CreateDefinition: " << reply.status.message;
        const std::string id = reply.response.definition().id();
        for (std::size_t i = 0; i < sets.size(); ++i) {
            pm::v1::AddActionSetToDefinitionRequest add;
            add.set_definition_id(id);
            add.set_action_set_id(sets[i]);
            add.set_sort_order(static_cast<std::int32_t>(i));
            auto added = this->template call<pm::v1::AddActionSetToDefinitionResponse>(
                "AddActionSetToDefinition", add, this->admin_token());
            EXPECT_TRUE(added.ok()) << "AddActionSetToDefinition: " << added.status.message;
        }
        return id;
    }
    /// Assigns (`source_type`, `source_id`) to device `device_id` with `mode`.
    std::string assign_to_device(const std::string& source_type, const std::string& source_id,
                                 const std::string& device_id, pm::v1::AssignmentMode mode) {
        pm::v1::CreateAssignmentRequest request;
        request.set_source_type(source_type);
        request.set_source_id(source_id);
        request.set_target_type("device");
        request.set_target_id(device_id);
        request.set_mode(mode);
        auto reply = this->template call<pm::v1::CreateAssignmentResponse>(
            "CreateAssignment", request, this->admin_token());
        EXPECT_TRUE(reply.ok()) << "CreateAssignment: " << reply.status.message;
        return reply.response.assignment().id();
    }
    /// The pm.v1.DesiredState number stored for execution `id` (ActionExecution has none).
    int desired_state_of_execution(const std::string& id) {
        auto rows =
            this->sql("SELECT desired_state FROM executions_projection WHERE id = $1", {id});
        return rows.rows() == 1 ? static_cast<int>(rows.int64(0, 0)) : -1;
    }
};

}  // namespace pm::testing
