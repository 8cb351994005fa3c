#pragma once
/// @file
/// @brief The ControlService's handler types, one per domain (each implemented in its own file
/// of this folder and registered in handler_table.cpp). A handler is a plain synchronous
/// function run on the worker pool: it throws rpc::RpcError with the code and message the
/// caller gets. Validation by the contract's rules and the policy's conditions have run before
/// it is called.
#include "control/service_impl.hpp"
#include "pm/v1/control.pb.h"

namespace pm::control {

/// Stored actions: create, read, rename, describe, change params (re-signed), delete. (actions.cpp)
class Actions {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Actions(ControlService::Impl& service) : service_(service) {}

    /// CreateAction.
    pm::v1::CreateActionResponse create_action(Call& call,
                                               const pm::v1::CreateActionRequest& request);
    /// GetAction.
    pm::v1::GetActionResponse get_action(Call& call, const pm::v1::GetActionRequest& request);
    /// ListActions.
    pm::v1::ListActionsResponse list_actions(Call& call, const pm::v1::ListActionsRequest& request);
    /// RenameAction.
    pm::v1::UpdateActionResponse rename_action(Call& call,
                                               const pm::v1::RenameActionRequest& request);
    /// UpdateActionDescription.
    pm::v1::UpdateActionResponse update_action_description(
        Call& call, const pm::v1::UpdateActionDescriptionRequest& request);
    /// UpdateActionParams.
    pm::v1::UpdateActionResponse update_action_params(
        Call& call, const pm::v1::UpdateActionParamsRequest& request);
    /// DeleteAction.
    pm::v1::DeleteActionResponse delete_action(Call& call,
                                               const pm::v1::DeleteActionRequest& request);

private:
    ControlService::Impl& service_;
};

/// Action sets: ordered lists of actions. (action_sets.cpp)
class ActionSets {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit ActionSets(ControlService::Impl& service) : service_(service) {}

    /// CreateActionSet.
    pm::v1::CreateActionSetResponse create_action_set(
        Call& call, const pm::v1::CreateActionSetRequest& request);
    /// GetActionSet.
    pm::v1::GetActionSetResponse get_action_set(Call& call,
                                                const pm::v1::GetActionSetRequest& request);
    /// ListActionSets.
    pm::v1::ListActionSetsResponse list_action_sets(Call& call,
                                                    const pm::v1::ListActionSetsRequest& request);
    /// RenameActionSet.
    pm::v1::UpdateActionSetResponse rename_action_set(
        Call& call, const pm::v1::RenameActionSetRequest& request);
    /// UpdateActionSetDescription.
    pm::v1::UpdateActionSetResponse update_action_set_description(
        Call& call, const pm::v1::UpdateActionSetDescriptionRequest& request);
    /// DeleteActionSet.
    pm::v1::DeleteActionSetResponse delete_action_set(
        Call& call, const pm::v1::DeleteActionSetRequest& request);
    /// AddActionToSet.
    pm::v1::AddActionToSetResponse add_action_to_set(Call& call,
                                                     const pm::v1::AddActionToSetRequest& request);
    /// RemoveActionFromSet.
    pm::v1::RemoveActionFromSetResponse remove_action_from_set(
        Call& call, const pm::v1::RemoveActionFromSetRequest& request);
    /// ReorderActionInSet.
    pm::v1::ReorderActionInSetResponse reorder_action_in_set(
        Call& call, const pm::v1::ReorderActionInSetRequest& request);

private:
    ControlService::Impl& service_;
};

/// Definitions: ordered lists of action sets. (definitions.cpp)
class Definitions {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Definitions(ControlService::Impl& service) : service_(service) {}

    /// CreateDefinition.
    pm::v1::CreateDefinitionResponse create_definition(
        Call& call, const pm::v1::CreateDefinitionRequest& request);
    /// GetDefinition.
    pm::v1::GetDefinitionResponse get_definition(Call& call,
                                                 const pm::v1::GetDefinitionRequest& request);
    /// ListDefinitions.
    pm::v1::ListDefinitionsResponse list_definitions(Call& call,
                                                     const pm::v1::ListDefinitionsRequest& request);
    /// RenameDefinition.
    pm::v1::UpdateDefinitionResponse rename_definition(
        Call& call, const pm::v1::RenameDefinitionRequest& request);
    /// UpdateDefinitionDescription.
    pm::v1::UpdateDefinitionResponse update_definition_description(
        Call& call, const pm::v1::UpdateDefinitionDescriptionRequest& request);
    /// DeleteDefinition.
    pm::v1::DeleteDefinitionResponse delete_definition(
        Call& call, const pm::v1::DeleteDefinitionRequest& request);
    /// AddActionSetToDefinition.
    pm::v1::AddActionSetToDefinitionResponse add_action_set_to_definition(
        Call& call, const pm::v1::AddActionSetToDefinitionRequest& request);
    /// RemoveActionSetFromDefinition.
    pm::v1::RemoveActionSetFromDefinitionResponse remove_action_set_from_definition(
        Call& call, const pm::v1::RemoveActionSetFromDefinitionRequest& request);
    /// ReorderActionSetInDefinition.
    pm::v1::ReorderActionSetInDefinitionResponse reorder_action_set_in_definition(
        Call& call, const pm::v1::ReorderActionSetInDefinitionRequest& request);

private:
    ControlService::Impl& service_;
};

/// Assignments of actions, sets and definitions to devices and groups, and a device's resolved
/// configuration. (assignments.cpp)
class Assignments {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Assignments(ControlService::Impl& service) : service_(service) {}

    /// CreateAssignment.
    pm::v1::CreateAssignmentResponse create_assignment(
        Call& call, const pm::v1::CreateAssignmentRequest& request);
    /// DeleteAssignment.
    pm::v1::DeleteAssignmentResponse delete_assignment(
        Call& call, const pm::v1::DeleteAssignmentRequest& request);
    /// ListAssignments.
    pm::v1::ListAssignmentsResponse list_assignments(Call& call,
                                                     const pm::v1::ListAssignmentsRequest& request);
    /// GetDeviceAssignments.
    pm::v1::GetDeviceAssignmentsResponse get_device_assignments(
        Call& call, const pm::v1::GetDeviceAssignmentsRequest& request);

private:
    ControlService::Impl& service_;
};

/// End users' choices among the AVAILABLE items of their devices. (selections.cpp)
class Selections {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Selections(ControlService::Impl& service) : service_(service) {}

    /// SetUserSelection.
    pm::v1::SetUserSelectionResponse set_user_selection(
        Call& call, const pm::v1::SetUserSelectionRequest& request);
    /// ListAvailableActions.
    pm::v1::ListAvailableActionsResponse list_available_actions(
        Call& call, const pm::v1::ListAvailableActionsRequest& request);

private:
    ControlService::Impl& service_;
};

/// Dispatch of what is configured: a device's resolved actions, a set, a definition.
/// (configured_dispatch.cpp)
class ConfiguredDispatch {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit ConfiguredDispatch(ControlService::Impl& service) : service_(service) {}

    /// DispatchAssignedActions.
    pm::v1::DispatchAssignedActionsResponse dispatch_assigned_actions(
        Call& call, const pm::v1::DispatchAssignedActionsRequest& request);
    /// DispatchActionSet.
    pm::v1::DispatchActionSetResponse dispatch_action_set(
        Call& call, const pm::v1::DispatchActionSetRequest& request);
    /// DispatchDefinition.
    pm::v1::DispatchDefinitionResponse dispatch_definition(
        Call& call, const pm::v1::DispatchDefinitionRequest& request);

private:
    ControlService::Impl& service_;
};

/// Device groups, static and dynamic, and dispatch to a group. (device_groups.cpp)
class DeviceGroups {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit DeviceGroups(ControlService::Impl& service) : service_(service) {}

    /// CreateDeviceGroup.
    pm::v1::CreateDeviceGroupResponse create_device_group(
        Call& call, const pm::v1::CreateDeviceGroupRequest& request);
    /// GetDeviceGroup.
    pm::v1::GetDeviceGroupResponse get_device_group(Call& call,
                                                    const pm::v1::GetDeviceGroupRequest& request);
    /// ListDeviceGroups.
    pm::v1::ListDeviceGroupsResponse list_device_groups(
        Call& call, const pm::v1::ListDeviceGroupsRequest& request);
    /// RenameDeviceGroup.
    pm::v1::UpdateDeviceGroupResponse rename_device_group(
        Call& call, const pm::v1::RenameDeviceGroupRequest& request);
    /// UpdateDeviceGroupDescription.
    pm::v1::UpdateDeviceGroupResponse update_device_group_description(
        Call& call, const pm::v1::UpdateDeviceGroupDescriptionRequest& request);
    /// UpdateDeviceGroupQuery.
    pm::v1::UpdateDeviceGroupQueryResponse update_device_group_query(
        Call& call, const pm::v1::UpdateDeviceGroupQueryRequest& request);
    /// DeleteDeviceGroup.
    pm::v1::DeleteDeviceGroupResponse delete_device_group(
        Call& call, const pm::v1::DeleteDeviceGroupRequest& request);
    /// AddDeviceToGroup.
    pm::v1::AddDeviceToGroupResponse add_device_to_group(
        Call& call, const pm::v1::AddDeviceToGroupRequest& request);
    /// RemoveDeviceFromGroup.
    pm::v1::RemoveDeviceFromGroupResponse remove_device_from_group(
        Call& call, const pm::v1::RemoveDeviceFromGroupRequest& request);
    /// ValidateDynamicQuery.
    pm::v1::ValidateDynamicQueryResponse validate_dynamic_query(
        Call& call, const pm::v1::ValidateDynamicQueryRequest& request);
    /// EvaluateDynamicGroup.
    pm::v1::EvaluateDynamicGroupResponse evaluate_dynamic_group(
        Call& call, const pm::v1::EvaluateDynamicGroupRequest& request);
    /// SetDeviceGroupSyncInterval.
    pm::v1::UpdateDeviceGroupResponse set_device_group_sync_interval(
        Call& call, const pm::v1::SetDeviceGroupSyncIntervalRequest& request);
    /// DispatchToGroup.
    pm::v1::DispatchToGroupResponse dispatch_to_group(
        Call& call, const pm::v1::DispatchToGroupRequest& request);

private:
    ControlService::Impl& service_;
};

}  // namespace pm::control
