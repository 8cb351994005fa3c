#pragma once

/// @file
/// @brief The event catalogue of docs/events.md as C++ types: one struct per event type, named
/// as the event type, with one member per `data` key (optional keys as std::optional). Writers,
/// projection tests and readers share these, so a key is spelled in one place only.
///
/// Every member has a default initializer, so writers can name only the keys they set with
/// designated initializers (`DeviceHeartbeat{.hostname = h}`) without -Wmissing-field-initializers.
///
/// Encode and decode them with to_json / from_json (payload.hpp). Enumerations travel as their
/// proto enum numbers (`action_type`, `desired_state`, `mode`), raw proto3 JSON (`params`,
/// `schedule`, `output`, `details`) as JSON objects, and times as RFC 3339 UTC strings.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include <powermanage/eventstore/payload.hpp>

namespace pm::eventstore {

/// A point in time carried in `data`; encoded as an RFC 3339 UTC string.
using Timestamp = std::chrono::system_clock::time_point;

// ---- stream types ---------------------------------------------------------------------------

/// Stream of a console user; id = user ULID.
inline constexpr std::string_view kUserStream = "user";
/// Stream of a registration token; id = token ULID.
inline constexpr std::string_view kTokenStream = "token";
/// Stream of a registered device; id = device ULID.
inline constexpr std::string_view kDeviceStream = "device";
/// Stream of a stored action; id = action ULID.
inline constexpr std::string_view kActionStream = "action";
/// Stream of an ordered set of actions; id = set ULID.
inline constexpr std::string_view kActionSetStream = "action_set";
/// Stream of an ordered set of action sets; id = definition ULID.
inline constexpr std::string_view kDefinitionStream = "definition";
/// Stream of a static or dynamic device group; id = group ULID.
inline constexpr std::string_view kDeviceGroupStream = "device_group";
/// Stream of an assignment of a source to a target; id = assignment ULID.
inline constexpr std::string_view kAssignmentStream = "assignment";
/// Stream of one run of one action on one device; id = execution ULID.
inline constexpr std::string_view kExecutionStream = "execution";
/// The NOTIFY channel that tells gateways executions were created: the payload is execution ids
/// separated by commas, sent after the executions committed. Only a wake-up hint: gateways also
/// read pending executions when an agent connects and when their LISTEN connection returns.
inline constexpr std::string_view kDispatchChannel = "pm_dispatch";
/// Stream of an end user's opt-in/out of an AVAILABLE item; id = selection ULID.
inline constexpr std::string_view kUserSelectionStream = "user_selection";

// ---- user -----------------------------------------------------------------------------------

/// A console user was created.
struct UserCreated {
    static constexpr std::string_view kType = "UserCreated";  ///< its event_type
    static constexpr std::string_view kStream = kUserStream;  ///< its stream type
    /// Login email; unique among live users.
    std::string email{};
    /// Password hash in PHC string format.
    std::string password_hash{};
    /// `admin` or `user`.
    std::string role{};
};
BOOST_DESCRIBE_STRUCT(UserCreated, (), (email, password_hash, role))

/// A user's email was changed.
struct UserEmailChanged {
    static constexpr std::string_view kType = "UserEmailChanged";
    static constexpr std::string_view kStream = kUserStream;
    /// The new email.
    std::string email{};
};
BOOST_DESCRIBE_STRUCT(UserEmailChanged, (), (email))

/// A user's password was changed; their sessions end.
struct UserPasswordChanged {
    static constexpr std::string_view kType = "UserPasswordChanged";
    static constexpr std::string_view kStream = kUserStream;
    /// Hash of the new password.
    std::string password_hash{};
};
BOOST_DESCRIBE_STRUCT(UserPasswordChanged, (), (password_hash))

/// A user's unchanged password was rehashed with stronger parameters at login; sessions stay.
struct UserPasswordRehashed {
    static constexpr std::string_view kType = "UserPasswordRehashed";
    static constexpr std::string_view kStream = kUserStream;
    /// The new hash of the same password.
    std::string password_hash{};
};
BOOST_DESCRIBE_STRUCT(UserPasswordRehashed, (), (password_hash))

/// A user's role was changed; their sessions end.
struct UserRoleChanged {
    static constexpr std::string_view kType = "UserRoleChanged";
    static constexpr std::string_view kStream = kUserStream;
    /// `admin` or `user`.
    std::string role{};
};
BOOST_DESCRIBE_STRUCT(UserRoleChanged, (), (role))

/// A user was disabled; their sessions end.
struct UserDisabled {
    static constexpr std::string_view kType = "UserDisabled";
    static constexpr std::string_view kStream = kUserStream;
};
BOOST_DESCRIBE_STRUCT(UserDisabled, (), ())

/// A disabled user was enabled again.
struct UserEnabled {
    static constexpr std::string_view kType = "UserEnabled";
    static constexpr std::string_view kStream = kUserStream;
};
BOOST_DESCRIBE_STRUCT(UserEnabled, (), ())

/// A user logged in.
struct UserLoggedIn {
    static constexpr std::string_view kType = "UserLoggedIn";
    static constexpr std::string_view kStream = kUserStream;
};
BOOST_DESCRIBE_STRUCT(UserLoggedIn, (), ())

/// A user was (soft) deleted; their sessions end.
struct UserDeleted {
    static constexpr std::string_view kType = "UserDeleted";
    static constexpr std::string_view kStream = kUserStream;
};
BOOST_DESCRIBE_STRUCT(UserDeleted, (), ())

// ---- token ----------------------------------------------------------------------------------

/// A registration token was created.
struct TokenCreated {
    static constexpr std::string_view kType = "TokenCreated";
    static constexpr std::string_view kStream = kTokenStream;
    /// Hex SHA-256 of the token secret; the secret itself is never stored.
    std::string value_hash{};
    /// Display name.
    std::string name{};
    /// Whether the token is spent after one registration.
    bool one_time = false;
    /// Registrations allowed; 0 means unlimited.
    std::int32_t max_uses = 0;
    /// When the token stops working; absent means never.
    std::optional<Timestamp> expires_at{};
    /// User who gets the devices it registers; absent means the creating actor.
    std::optional<std::string> owner_id{};
};
BOOST_DESCRIBE_STRUCT(TokenCreated, (),
                      (value_hash, name, one_time, max_uses, expires_at, owner_id))

/// A token was renamed.
struct TokenRenamed {
    static constexpr std::string_view kType = "TokenRenamed";
    static constexpr std::string_view kStream = kTokenStream;
    /// The new name.
    std::string name{};
};
BOOST_DESCRIBE_STRUCT(TokenRenamed, (), (name))

/// A token registered a device.
struct TokenUsed {
    static constexpr std::string_view kType = "TokenUsed";
    static constexpr std::string_view kStream = kTokenStream;
    /// The device it registered.
    std::string device_id{};
};
BOOST_DESCRIBE_STRUCT(TokenUsed, (), (device_id))

/// A token was disabled.
struct TokenDisabled {
    static constexpr std::string_view kType = "TokenDisabled";
    static constexpr std::string_view kStream = kTokenStream;
};
BOOST_DESCRIBE_STRUCT(TokenDisabled, (), ())

/// A disabled token was enabled again.
struct TokenEnabled {
    static constexpr std::string_view kType = "TokenEnabled";
    static constexpr std::string_view kStream = kTokenStream;
};
BOOST_DESCRIBE_STRUCT(TokenEnabled, (), ())

/// A token was (soft) deleted.
struct TokenDeleted {
    static constexpr std::string_view kType = "TokenDeleted";
    static constexpr std::string_view kStream = kTokenStream;
};
BOOST_DESCRIBE_STRUCT(TokenDeleted, (), ())

// ---- device ---------------------------------------------------------------------------------

/// A device registered (or re-registered) with a token and received its certificate.
struct DeviceRegistered {
    static constexpr std::string_view kType = "DeviceRegistered";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Host name the agent reported.
    std::string hostname{};
    /// Agent version the agent reported.
    std::string agent_version{};
    /// Fingerprint of the issued client certificate.
    std::string cert_fingerprint{};
    /// Serial number of the issued client certificate (text: serials exceed 64 bits).
    std::string cert_serial{};
    /// Expiry of the issued client certificate.
    Timestamp cert_not_after{};
    /// The token it registered with.
    std::string registration_token_id{};
    /// User the device is assigned to (the token's owner), when there is one.
    std::optional<std::string> assigned_user_id{};
    /// Initial labels.
    std::optional<std::map<std::string, std::string>> labels{};
};
BOOST_DESCRIBE_STRUCT(DeviceRegistered, (),
                      (hostname, agent_version, cert_fingerprint, cert_serial, cert_not_after,
                       registration_token_id, assigned_user_id, labels))

/// A device reported it is alive (written at most every few minutes per device).
struct DeviceHeartbeat {
    static constexpr std::string_view kType = "DeviceHeartbeat";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Agent version, when reported.
    std::optional<std::string> agent_version{};
    /// Host name, when reported.
    std::optional<std::string> hostname{};
    /// Seconds since boot.
    std::optional<std::int64_t> uptime_seconds{};
    /// CPU use, 0..100.
    std::optional<double> cpu_percent{};
    /// Memory use, 0..100.
    std::optional<double> memory_percent{};
    /// Disk use, 0..100.
    std::optional<double> disk_percent{};
};
BOOST_DESCRIBE_STRUCT(DeviceHeartbeat, (),
                      (agent_version, hostname, uptime_seconds, cpu_percent, memory_percent,
                       disk_percent))

/// A device's agent connected to a gateway.
struct DeviceConnected {
    static constexpr std::string_view kType = "DeviceConnected";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Agent version the agent reported.
    std::string agent_version{};
    /// Host name the agent reported.
    std::string hostname{};
    /// The gateway it connected to.
    std::optional<std::string> gateway_id{};
};
BOOST_DESCRIBE_STRUCT(DeviceConnected, (), (agent_version, hostname, gateway_id))

/// A device's agent disconnected.
struct DeviceDisconnected {
    static constexpr std::string_view kType = "DeviceDisconnected";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Why, when known.
    std::optional<std::string> reason{};
};
BOOST_DESCRIBE_STRUCT(DeviceDisconnected, (), (reason))

/// A label was set on a device (added or overwritten).
struct DeviceLabelSet {
    static constexpr std::string_view kType = "DeviceLabelSet";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Label key.
    std::string key{};
    /// Label value.
    std::string value{};
};
BOOST_DESCRIBE_STRUCT(DeviceLabelSet, (), (key, value))

/// A label was removed from a device.
struct DeviceLabelRemoved {
    static constexpr std::string_view kType = "DeviceLabelRemoved";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Label key.
    std::string key{};
};
BOOST_DESCRIBE_STRUCT(DeviceLabelRemoved, (), (key))

/// A device was assigned to a user.
struct DeviceAssigned {
    static constexpr std::string_view kType = "DeviceAssigned";
    static constexpr std::string_view kStream = kDeviceStream;
    /// The user.
    std::string user_id{};
};
BOOST_DESCRIBE_STRUCT(DeviceAssigned, (), (user_id))

/// A device's user assignment was removed.
struct DeviceUnassigned {
    static constexpr std::string_view kType = "DeviceUnassigned";
    static constexpr std::string_view kStream = kDeviceStream;
};
BOOST_DESCRIBE_STRUCT(DeviceUnassigned, (), ())

/// A device's sync interval was set.
struct DeviceSyncIntervalSet {
    static constexpr std::string_view kType = "DeviceSyncIntervalSet";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Minutes between syncs.
    std::int32_t sync_interval_minutes = 0;
};
BOOST_DESCRIBE_STRUCT(DeviceSyncIntervalSet, (), (sync_interval_minutes))

/// A device certificate was revoked.
struct DeviceCertificateRevoked {
    static constexpr std::string_view kType = "DeviceCertificateRevoked";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Serial number of the revoked certificate; only the device's current one marks it revoked.
    std::string serial{};
    /// Why, when given.
    std::optional<std::string> reason{};
};
BOOST_DESCRIBE_STRUCT(DeviceCertificateRevoked, (), (serial, reason))

/// A device was (soft) deleted and left all its groups.
struct DeviceDeleted {
    static constexpr std::string_view kType = "DeviceDeleted";
    static constexpr std::string_view kStream = kDeviceStream;
};
BOOST_DESCRIBE_STRUCT(DeviceDeleted, (), ())

/// A security-relevant incident concerning a device was recorded (audit only).
struct SecurityAlert {
    static constexpr std::string_view kType = "SecurityAlert";
    static constexpr std::string_view kStream = kDeviceStream;
    /// Kind of alert.
    std::string alert_type{};
    /// Human-readable description.
    std::string message{};
    /// Alert-specific facts.
    boost::json::object details{};
};
BOOST_DESCRIBE_STRUCT(SecurityAlert, (), (alert_type, message, details))

// ---- action ---------------------------------------------------------------------------------

/// A stored action was created.
struct ActionCreated {
    static constexpr std::string_view kType = "ActionCreated";
    static constexpr std::string_view kStream = kActionStream;
    /// Display name.
    std::string name{};
    /// Free-text description.
    std::string description{};
    /// pm.v1.ActionType number.
    std::int32_t action_type = 0;
    /// pm.v1.DesiredState number.
    std::int32_t desired_state = 0;
    /// Proto3 JSON of the params message matching `action_type`.
    boost::json::object params{};
    /// Execution timeout in seconds.
    std::int32_t timeout_seconds = 0;
    /// Proto3 JSON of a pm.v1.ActionSchedule, when scheduled.
    std::optional<boost::json::object> schedule{};
};
BOOST_DESCRIBE_STRUCT(ActionCreated, (),
                      (name, description, action_type, desired_state, params, timeout_seconds,
                       schedule))

/// An action was renamed.
struct ActionRenamed {
    static constexpr std::string_view kType = "ActionRenamed";
    static constexpr std::string_view kStream = kActionStream;
    /// The new name.
    std::string name{};
};
BOOST_DESCRIBE_STRUCT(ActionRenamed, (), (name))

/// An action's description was updated.
struct ActionDescriptionUpdated {
    static constexpr std::string_view kType = "ActionDescriptionUpdated";
    static constexpr std::string_view kStream = kActionStream;
    /// The new description.
    std::string description{};
};
BOOST_DESCRIBE_STRUCT(ActionDescriptionUpdated, (), (description))

/// An action's params (and optionally timeout, desired state, schedule) were replaced; its
/// signature is void until the next ActionSigned.
struct ActionParamsUpdated {
    static constexpr std::string_view kType = "ActionParamsUpdated";
    static constexpr std::string_view kStream = kActionStream;
    /// Proto3 JSON of the new params message.
    boost::json::object params{};
    /// New timeout in seconds, when changed.
    std::optional<std::int32_t> timeout_seconds{};
    /// New pm.v1.DesiredState number, when changed.
    std::optional<std::int32_t> desired_state{};
    /// New proto3 JSON pm.v1.ActionSchedule, when changed.
    std::optional<boost::json::object> schedule{};
};
BOOST_DESCRIBE_STRUCT(ActionParamsUpdated, (), (params, timeout_seconds, desired_state, schedule))

/// An action was signed with the server CA key.
struct ActionSigned {
    static constexpr std::string_view kType = "ActionSigned";
    static constexpr std::string_view kStream = kActionStream;
    /// Base64 ECDSA signature over `params_canonical`.
    std::string signature{};
    /// Base64 canonical JSON of the params, as signed.
    std::string params_canonical{};
};
BOOST_DESCRIBE_STRUCT(ActionSigned, (), (signature, params_canonical))

/// An action was (soft) deleted and left all its sets.
struct ActionDeleted {
    static constexpr std::string_view kType = "ActionDeleted";
    static constexpr std::string_view kStream = kActionStream;
};
BOOST_DESCRIBE_STRUCT(ActionDeleted, (), ())

// ---- action_set -----------------------------------------------------------------------------

/// An action set was created.
struct ActionSetCreated {
    static constexpr std::string_view kType = "ActionSetCreated";
    static constexpr std::string_view kStream = kActionSetStream;
    /// Display name.
    std::string name{};
    /// Free-text description.
    std::string description{};
};
BOOST_DESCRIBE_STRUCT(ActionSetCreated, (), (name, description))

/// An action set was renamed.
struct ActionSetRenamed {
    static constexpr std::string_view kType = "ActionSetRenamed";
    static constexpr std::string_view kStream = kActionSetStream;
    /// The new name.
    std::string name{};
};
BOOST_DESCRIBE_STRUCT(ActionSetRenamed, (), (name))

/// An action set's description was updated.
struct ActionSetDescriptionUpdated {
    static constexpr std::string_view kType = "ActionSetDescriptionUpdated";
    static constexpr std::string_view kStream = kActionSetStream;
    /// The new description.
    std::string description{};
};
BOOST_DESCRIBE_STRUCT(ActionSetDescriptionUpdated, (), (description))

/// An action was added to an action set.
struct ActionSetMemberAdded {
    static constexpr std::string_view kType = "ActionSetMemberAdded";
    static constexpr std::string_view kStream = kActionSetStream;
    /// The action.
    std::string action_id{};
    /// Position within the set; lower runs first.
    std::int32_t sort_order = 0;
};
BOOST_DESCRIBE_STRUCT(ActionSetMemberAdded, (), (action_id, sort_order))

/// An action was removed from an action set.
struct ActionSetMemberRemoved {
    static constexpr std::string_view kType = "ActionSetMemberRemoved";
    static constexpr std::string_view kStream = kActionSetStream;
    /// The action.
    std::string action_id{};
};
BOOST_DESCRIBE_STRUCT(ActionSetMemberRemoved, (), (action_id))

/// An action set member was moved.
struct ActionSetMemberReordered {
    static constexpr std::string_view kType = "ActionSetMemberReordered";
    static constexpr std::string_view kStream = kActionSetStream;
    /// The action.
    std::string action_id{};
    /// New position within the set.
    std::int32_t sort_order = 0;
};
BOOST_DESCRIBE_STRUCT(ActionSetMemberReordered, (), (action_id, sort_order))

/// An action set was (soft) deleted and emptied.
struct ActionSetDeleted {
    static constexpr std::string_view kType = "ActionSetDeleted";
    static constexpr std::string_view kStream = kActionSetStream;
};
BOOST_DESCRIBE_STRUCT(ActionSetDeleted, (), ())

// ---- definition -----------------------------------------------------------------------------

/// A definition was created.
struct DefinitionCreated {
    static constexpr std::string_view kType = "DefinitionCreated";
    static constexpr std::string_view kStream = kDefinitionStream;
    /// Display name.
    std::string name{};
    /// Free-text description.
    std::string description{};
};
BOOST_DESCRIBE_STRUCT(DefinitionCreated, (), (name, description))

/// A definition was renamed.
struct DefinitionRenamed {
    static constexpr std::string_view kType = "DefinitionRenamed";
    static constexpr std::string_view kStream = kDefinitionStream;
    /// The new name.
    std::string name{};
};
BOOST_DESCRIBE_STRUCT(DefinitionRenamed, (), (name))

/// A definition's description was updated.
struct DefinitionDescriptionUpdated {
    static constexpr std::string_view kType = "DefinitionDescriptionUpdated";
    static constexpr std::string_view kStream = kDefinitionStream;
    /// The new description.
    std::string description{};
};
BOOST_DESCRIBE_STRUCT(DefinitionDescriptionUpdated, (), (description))

/// An action set was added to a definition.
struct DefinitionMemberAdded {
    static constexpr std::string_view kType = "DefinitionMemberAdded";
    static constexpr std::string_view kStream = kDefinitionStream;
    /// The action set.
    std::string action_set_id{};
    /// Position within the definition; lower runs first.
    std::int32_t sort_order = 0;
};
BOOST_DESCRIBE_STRUCT(DefinitionMemberAdded, (), (action_set_id, sort_order))

/// An action set was removed from a definition.
struct DefinitionMemberRemoved {
    static constexpr std::string_view kType = "DefinitionMemberRemoved";
    static constexpr std::string_view kStream = kDefinitionStream;
    /// The action set.
    std::string action_set_id{};
};
BOOST_DESCRIBE_STRUCT(DefinitionMemberRemoved, (), (action_set_id))

/// A definition member was moved.
struct DefinitionMemberReordered {
    static constexpr std::string_view kType = "DefinitionMemberReordered";
    static constexpr std::string_view kStream = kDefinitionStream;
    /// The action set.
    std::string action_set_id{};
    /// New position within the definition.
    std::int32_t sort_order = 0;
};
BOOST_DESCRIBE_STRUCT(DefinitionMemberReordered, (), (action_set_id, sort_order))

/// A definition was (soft) deleted and emptied.
struct DefinitionDeleted {
    static constexpr std::string_view kType = "DefinitionDeleted";
    static constexpr std::string_view kStream = kDefinitionStream;
};
BOOST_DESCRIBE_STRUCT(DefinitionDeleted, (), ())

// ---- device_group ---------------------------------------------------------------------------

/// A device group was created.
struct DeviceGroupCreated {
    static constexpr std::string_view kType = "DeviceGroupCreated";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// Display name.
    std::string name{};
    /// Free-text description.
    std::string description{};
    /// Whether membership is computed from `dynamic_query` instead of kept by hand.
    bool is_dynamic = false;
    /// The membership query of a dynamic group; empty for a static one.
    std::string dynamic_query{};
};
BOOST_DESCRIBE_STRUCT(DeviceGroupCreated, (), (name, description, is_dynamic, dynamic_query))

/// A device group was renamed.
struct DeviceGroupRenamed {
    static constexpr std::string_view kType = "DeviceGroupRenamed";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// The new name.
    std::string name{};
};
BOOST_DESCRIBE_STRUCT(DeviceGroupRenamed, (), (name))

/// A device group's description was updated.
struct DeviceGroupDescriptionUpdated {
    static constexpr std::string_view kType = "DeviceGroupDescriptionUpdated";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// The new description.
    std::string description{};
};
BOOST_DESCRIBE_STRUCT(DeviceGroupDescriptionUpdated, (), (description))

/// A device group's kind or query changed; becoming dynamic drops its static members.
struct DeviceGroupQueryUpdated {
    static constexpr std::string_view kType = "DeviceGroupQueryUpdated";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// Whether membership is computed from `dynamic_query`.
    bool is_dynamic = false;
    /// The new membership query.
    std::string dynamic_query{};
};
BOOST_DESCRIBE_STRUCT(DeviceGroupQueryUpdated, (), (is_dynamic, dynamic_query))

/// A device group's sync interval was set.
struct DeviceGroupSyncIntervalSet {
    static constexpr std::string_view kType = "DeviceGroupSyncIntervalSet";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// Minutes between syncs of the group's devices.
    std::int32_t sync_interval_minutes = 0;
};
BOOST_DESCRIBE_STRUCT(DeviceGroupSyncIntervalSet, (), (sync_interval_minutes))

/// A device was added to a static device group.
struct DeviceGroupMemberAdded {
    static constexpr std::string_view kType = "DeviceGroupMemberAdded";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// The device.
    std::string device_id{};
};
BOOST_DESCRIBE_STRUCT(DeviceGroupMemberAdded, (), (device_id))

/// A device was removed from a static device group.
struct DeviceGroupMemberRemoved {
    static constexpr std::string_view kType = "DeviceGroupMemberRemoved";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// The device.
    std::string device_id{};
};
BOOST_DESCRIBE_STRUCT(DeviceGroupMemberRemoved, (), (device_id))

/// A dynamic device group's query was evaluated and its membership changed.
struct DeviceGroupMembershipEvaluated {
    static constexpr std::string_view kType = "DeviceGroupMembershipEvaluated";
    static constexpr std::string_view kStream = kDeviceGroupStream;
    /// Devices that joined.
    std::vector<std::string> added{};
    /// Devices that left.
    std::vector<std::string> removed{};
};
BOOST_DESCRIBE_STRUCT(DeviceGroupMembershipEvaluated, (), (added, removed))

/// A device group was (soft) deleted and emptied.
struct DeviceGroupDeleted {
    static constexpr std::string_view kType = "DeviceGroupDeleted";
    static constexpr std::string_view kStream = kDeviceGroupStream;
};
BOOST_DESCRIBE_STRUCT(DeviceGroupDeleted, (), ())

// ---- assignment -----------------------------------------------------------------------------

/// An action, action set or definition was assigned to a device or device group.
struct AssignmentCreated {
    static constexpr std::string_view kType = "AssignmentCreated";
    static constexpr std::string_view kStream = kAssignmentStream;
    /// `action`, `action_set` or `definition`.
    std::string source_type{};
    /// The assigned item.
    std::string source_id{};
    /// `device` or `device_group`.
    std::string target_type{};
    /// The device or group.
    std::string target_id{};
    /// pm.v1.AssignmentMode number: 0 present, 1 available, 2 absent.
    std::int32_t mode = 0;
    /// Position among the target's assignments; lower applies first.
    std::int32_t sort_order = 0;
};
BOOST_DESCRIBE_STRUCT(AssignmentCreated, (),
                      (source_type, source_id, target_type, target_id, mode, sort_order))

/// An assignment's mode changed.
struct AssignmentModeChanged {
    static constexpr std::string_view kType = "AssignmentModeChanged";
    static constexpr std::string_view kStream = kAssignmentStream;
    /// pm.v1.AssignmentMode number.
    std::int32_t mode = 0;
};
BOOST_DESCRIBE_STRUCT(AssignmentModeChanged, (), (mode))

/// An assignment was (soft) deleted.
struct AssignmentDeleted {
    static constexpr std::string_view kType = "AssignmentDeleted";
    static constexpr std::string_view kStream = kAssignmentStream;
};
BOOST_DESCRIBE_STRUCT(AssignmentDeleted, (), ())

// ---- execution ------------------------------------------------------------------------------

/// An execution of one action on one device was created, pending dispatch.
struct ExecutionCreated {
    static constexpr std::string_view kType = "ExecutionCreated";
    static constexpr std::string_view kStream = kExecutionStream;
    /// The device to run on.
    std::string device_id{};
    /// The stored action, when it runs one (ad-hoc executions have none).
    std::optional<std::string> action_id{};
    /// pm.v1.ActionType number.
    std::int32_t action_type = 0;
    /// pm.v1.DesiredState number.
    std::int32_t desired_state = 0;
    /// Proto3 JSON of the params message matching `action_type`.
    boost::json::object params{};
    /// Execution timeout in seconds.
    std::int32_t timeout_seconds = 0;
    /// When a still undispatched execution expires; absent means never.
    std::optional<Timestamp> expires_at{};
    /// The exact params bytes the signature covers (what the agent receives as
    /// Action.params_canonical).
    std::optional<std::string> params_canonical{};
    /// Standard base64 of the CA's signature over `<execution id>:<action_type>:<base64 of
    /// params_canonical>` (agent protocol A.2.7); absent when unsigned.
    std::optional<std::string> signature{};
};
BOOST_DESCRIBE_STRUCT(ExecutionCreated, (),
                      (device_id, action_id, action_type, desired_state, params, timeout_seconds,
                       expires_at, params_canonical, signature))

/// An execution was sent to the device's agent.
struct ExecutionDispatched {
    static constexpr std::string_view kType = "ExecutionDispatched";
    static constexpr std::string_view kStream = kExecutionStream;
    /// The device it was sent to.
    std::string device_id{};
    /// The gateway that sent it.
    std::optional<std::string> gateway_id{};
    /// When the gateway handed it to the agent's stream, taken before the send. The event is
    /// recorded after the send, so an agent that answers at once can have its result recorded
    /// first; this time, not the event's, is the execution's `dispatched_at`.
    std::optional<Timestamp> sent_at{};
};
BOOST_DESCRIBE_STRUCT(ExecutionDispatched, (), (device_id, gateway_id, sent_at))

/// The agent started running an execution.
struct ExecutionStarted {
    static constexpr std::string_view kType = "ExecutionStarted";
    static constexpr std::string_view kStream = kExecutionStream;
};
BOOST_DESCRIBE_STRUCT(ExecutionStarted, (), ())

/// An execution finished successfully.
struct ExecutionCompleted {
    static constexpr std::string_view kType = "ExecutionCompleted";
    static constexpr std::string_view kStream = kExecutionStream;
    /// Run time in milliseconds.
    std::int64_t duration_ms = 0;
    /// Agent-side completion time.
    std::optional<Timestamp> completed_at{};
    /// `{"stdout", "stderr", "exit_code"}` as the agent reported them.
    std::optional<boost::json::object> output{};
};
BOOST_DESCRIBE_STRUCT(ExecutionCompleted, (), (duration_ms, completed_at, output))

/// An execution finished with an error.
struct ExecutionFailed {
    static constexpr std::string_view kType = "ExecutionFailed";
    static constexpr std::string_view kStream = kExecutionStream;
    /// What went wrong.
    std::string error{};
    /// Run time in milliseconds.
    std::int64_t duration_ms = 0;
    /// Agent-side completion time.
    std::optional<Timestamp> completed_at{};
    /// `{"stdout", "stderr", "exit_code"}` as the agent reported them.
    std::optional<boost::json::object> output{};
};
BOOST_DESCRIBE_STRUCT(ExecutionFailed, (), (error, duration_ms, completed_at, output))

/// An execution was stopped after its timeout.
struct ExecutionTimedOut {
    static constexpr std::string_view kType = "ExecutionTimedOut";
    static constexpr std::string_view kStream = kExecutionStream;
    /// What the agent reported.
    std::string error{};
    /// Run time in milliseconds.
    std::int64_t duration_ms = 0;
    /// Agent-side completion time.
    std::optional<Timestamp> completed_at{};
    /// `{"stdout", "stderr", "exit_code"}` as the agent reported them.
    std::optional<boost::json::object> output{};
};
BOOST_DESCRIBE_STRUCT(ExecutionTimedOut, (), (error, duration_ms, completed_at, output))

/// An execution was not run.
struct ExecutionSkipped {
    static constexpr std::string_view kType = "ExecutionSkipped";
    static constexpr std::string_view kStream = kExecutionStream;
    /// Why, when given.
    std::optional<std::string> reason{};
};
BOOST_DESCRIBE_STRUCT(ExecutionSkipped, (), (reason))

/// An execution stayed pending too long and will never be sent.
struct ExecutionExpired {
    static constexpr std::string_view kType = "ExecutionExpired";
    static constexpr std::string_view kStream = kExecutionStream;
};
BOOST_DESCRIBE_STRUCT(ExecutionExpired, (), ())

/// A running execution produced a chunk of live output.
struct OutputChunk {
    static constexpr std::string_view kType = "OutputChunk";
    static constexpr std::string_view kStream = kExecutionStream;
    /// `stdout` or `stderr`.
    std::string stream{};
    /// The output text.
    std::string data{};
    /// Position of the chunk within the execution's output.
    std::int64_t sequence = 0;
};
BOOST_DESCRIBE_STRUCT(OutputChunk, (), (stream, data, sequence))

// ---- user_selection -------------------------------------------------------------------------

/// An end user opted in to or out of an AVAILABLE item on a device.
struct UserSelectionChanged {
    static constexpr std::string_view kType = "UserSelectionChanged";
    static constexpr std::string_view kStream = kUserSelectionStream;
    /// The device.
    std::string device_id{};
    /// `action`, `action_set` or `definition`.
    std::string source_type{};
    /// The item.
    std::string source_id{};
    /// Whether the user wants it.
    bool selected = false;
};
BOOST_DESCRIBE_STRUCT(UserSelectionChanged, (), (device_id, source_type, source_id, selected))

// ---- the catalogue as a whole ---------------------------------------------------------------

/// Every payload type, in catalogue order. Everything that enumerates event types derives from
/// this list, so adding an event here is the only step.
using AllEvents = boost::mp11::mp_list<
    // user
    UserCreated, UserEmailChanged, UserPasswordChanged, UserPasswordRehashed, UserRoleChanged,
    UserDisabled, UserEnabled, UserLoggedIn, UserDeleted,
    // token
    TokenCreated, TokenRenamed, TokenUsed, TokenDisabled, TokenEnabled, TokenDeleted,
    // device
    DeviceRegistered, DeviceHeartbeat, DeviceConnected, DeviceDisconnected, DeviceLabelSet,
    DeviceLabelRemoved, DeviceAssigned, DeviceUnassigned, DeviceSyncIntervalSet,
    DeviceCertificateRevoked, DeviceDeleted, SecurityAlert,
    // action
    ActionCreated, ActionRenamed, ActionDescriptionUpdated, ActionParamsUpdated, ActionSigned,
    ActionDeleted,
    // action_set
    ActionSetCreated, ActionSetRenamed, ActionSetDescriptionUpdated, ActionSetMemberAdded,
    ActionSetMemberRemoved, ActionSetMemberReordered, ActionSetDeleted,
    // definition
    DefinitionCreated, DefinitionRenamed, DefinitionDescriptionUpdated, DefinitionMemberAdded,
    DefinitionMemberRemoved, DefinitionMemberReordered, DefinitionDeleted,
    // device_group
    DeviceGroupCreated, DeviceGroupRenamed, DeviceGroupDescriptionUpdated, DeviceGroupQueryUpdated,
    DeviceGroupSyncIntervalSet, DeviceGroupMemberAdded, DeviceGroupMemberRemoved,
    DeviceGroupMembershipEvaluated, DeviceGroupDeleted,
    // assignment
    AssignmentCreated, AssignmentModeChanged, AssignmentDeleted,
    // execution
    ExecutionCreated, ExecutionDispatched, ExecutionStarted, ExecutionCompleted, ExecutionFailed,
    ExecutionTimedOut, ExecutionSkipped, ExecutionExpired, OutputChunk,
    // user_selection
    UserSelectionChanged>;

/// Every stream type, in catalogue order.
std::span<const std::string_view> known_stream_types();

/// Every event type name (each payload's kType), in catalogue order.
std::span<const std::string_view> known_event_types();

/// Whether `type` names an event type of the catalogue.
bool is_known_event_type(std::string_view type);

/// The stream type an event type belongs to; empty if `type` is unknown.
std::string_view stream_of_event_type(std::string_view type);

/// A payload type of this catalogue (listed in AllEvents).
template <class E>
concept CatalogueEvent = EventPayload<E> && boost::mp11::mp_contains<AllEvents, E>::value;

/// Payloads compare member-wise, which keeps test expectations and idempotence checks short.
template <CatalogueEvent E>
bool operator==(const E& a, const E& b) {
    bool equal = true;
    boost::mp11::mp_for_each<boost::describe::describe_members<E, boost::describe::mod_public>>(
        [&](auto member) { equal = equal && a.*member.pointer == b.*member.pointer; });
    return equal;
}

}  // namespace pm::eventstore
