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

/// Sessions: login, refresh rotation with reuse detection, logout, the current user. (sessions.cpp)
class Sessions {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Sessions(ControlService::Impl& service) : service_(service) {}

    /// Login.
    pm::v1::LoginResponse login(Call& call, const pm::v1::LoginRequest& request);
    /// RefreshToken.
    pm::v1::RefreshTokenResponse refresh_token(Call& call,
                                               const pm::v1::RefreshTokenRequest& request);
    /// Logout.
    pm::v1::LogoutResponse logout(Call& call, const pm::v1::LogoutRequest& request);
    /// GetCurrentUser.
    pm::v1::GetCurrentUserResponse get_current_user(Call& call,
                                                    const pm::v1::GetCurrentUserRequest& request);

private:
    ControlService::Impl& service_;
};

/// Agent registration: a token, a CSR, a signed certificate. (registration.cpp)
class Registration {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Registration(ControlService::Impl& service) : service_(service) {}

    /// Register.
    pm::v1::RegisterResponse register_device(Call& call, const pm::v1::RegisterRequest& request);

private:
    ControlService::Impl& service_;
};

/// Console users. (users.cpp)
class Users {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Users(ControlService::Impl& service) : service_(service) {}

    /// CreateUser.
    pm::v1::CreateUserResponse create_user(Call& call, const pm::v1::CreateUserRequest& request);
    /// GetUser.
    pm::v1::GetUserResponse get_user(Call& call, const pm::v1::GetUserRequest& request);
    /// ListUsers.
    pm::v1::ListUsersResponse list_users(Call& call, const pm::v1::ListUsersRequest& request);
    /// UpdateUserEmail.
    pm::v1::UpdateUserResponse update_user_email(Call& call,
                                                 const pm::v1::UpdateUserEmailRequest& request);
    /// UpdateUserPassword.
    pm::v1::UpdateUserResponse update_user_password(
        Call& call, const pm::v1::UpdateUserPasswordRequest& request);
    /// UpdateUserRole.
    pm::v1::UpdateUserResponse update_user_role(Call& call,
                                                const pm::v1::UpdateUserRoleRequest& request);
    /// SetUserDisabled.
    pm::v1::UpdateUserResponse set_user_disabled(Call& call,
                                                 const pm::v1::SetUserDisabledRequest& request);
    /// DeleteUser.
    pm::v1::DeleteUserResponse delete_user(Call& call, const pm::v1::DeleteUserRequest& request);

private:
    ControlService::Impl& service_;
};

/// Registered devices: labels, owner, sync interval, deletion. (devices.cpp)
class Devices {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Devices(ControlService::Impl& service) : service_(service) {}

    /// ListDevices.
    pm::v1::ListDevicesResponse list_devices(Call& call, const pm::v1::ListDevicesRequest& request);
    /// GetDevice, awaited on the I/O thread (one read).
    rpc::Task<pm::v1::GetDeviceResponse> get_device(Call& call,
                                                    const pm::v1::GetDeviceRequest& request);
    /// SetDeviceLabel.
    pm::v1::UpdateDeviceResponse set_device_label(Call& call,
                                                  const pm::v1::SetDeviceLabelRequest& request);
    /// RemoveDeviceLabel.
    pm::v1::UpdateDeviceResponse remove_device_label(
        Call& call, const pm::v1::RemoveDeviceLabelRequest& request);
    /// AssignDevice.
    pm::v1::AssignDeviceResponse assign_device(Call& call,
                                               const pm::v1::AssignDeviceRequest& request);
    /// UnassignDevice.
    pm::v1::UnassignDeviceResponse unassign_device(Call& call,
                                                   const pm::v1::UnassignDeviceRequest& request);
    /// SetDeviceSyncInterval.
    pm::v1::UpdateDeviceResponse set_device_sync_interval(
        Call& call, const pm::v1::SetDeviceSyncIntervalRequest& request);
    /// DeleteDevice.
    pm::v1::DeleteDeviceResponse delete_device(Call& call,
                                               const pm::v1::DeleteDeviceRequest& request);

private:
    ControlService::Impl& service_;
};

/// Registration tokens. (tokens.cpp)
class Tokens {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Tokens(ControlService::Impl& service) : service_(service) {}

    /// CreateToken.
    pm::v1::CreateTokenResponse create_token(Call& call, const pm::v1::CreateTokenRequest& request);
    /// GetToken.
    pm::v1::GetTokenResponse get_token(Call& call, const pm::v1::GetTokenRequest& request);
    /// ListTokens.
    pm::v1::ListTokensResponse list_tokens(Call& call, const pm::v1::ListTokensRequest& request);
    /// RenameToken.
    pm::v1::UpdateTokenResponse rename_token(Call& call, const pm::v1::RenameTokenRequest& request);
    /// SetTokenDisabled.
    pm::v1::UpdateTokenResponse set_token_disabled(Call& call,
                                                   const pm::v1::SetTokenDisabledRequest& request);
    /// DeleteToken.
    pm::v1::DeleteTokenResponse delete_token(Call& call, const pm::v1::DeleteTokenRequest& request);

private:
    ControlService::Impl& service_;
};

/// Dispatch of one action, and the executions' records. (executions.cpp)
class Executions {
public:
    /// Uses the service's shared state (pool, store, CA, clock, ids).
    explicit Executions(ControlService::Impl& service) : service_(service) {}

    /// DispatchAction.
    pm::v1::DispatchActionResponse dispatch_action(Call& call,
                                                   const pm::v1::DispatchActionRequest& request);
    /// DispatchToMultiple.
    pm::v1::DispatchToMultipleResponse dispatch_to_multiple(
        Call& call, const pm::v1::DispatchToMultipleRequest& request);
    /// GetExecution.
    pm::v1::GetExecutionResponse get_execution(Call& call,
                                               const pm::v1::GetExecutionRequest& request);
    /// ListExecutions.
    pm::v1::ListExecutionsResponse list_executions(Call& call,
                                                   const pm::v1::ListExecutionsRequest& request);

private:
    ControlService::Impl& service_;
};

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
