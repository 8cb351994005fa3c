#pragma once
/// @file
/// @brief A device's desired configuration resolved from the projections: the one
/// implementation that GetDeviceAssignments, ListAvailableActions, SyncActions and
/// DispatchAssignedActions all use (docs/events.md, "Resolution").
///
/// Rules: an action reaches a device through assignments of the action itself, of a set that
/// holds it, or of a definition that holds such a set, each targeting the device directly or a
/// group the device is a member of (static or dynamic; membership is whatever
/// device_group_members_projection holds). Modes merge per action: ABSENT beats PRESENT;
/// AVAILABLE counts only where the device's user selected that source (then it is PRESENT);
/// AVAILABLE and rejected (or never selected) contributes nothing; an item AVAILABLE and
/// rejected while also ABSENT is ABSENT. Order: assignment sort order, then definition member
/// order, then set member order, then id, with each action placed at its first occurrence.
/// Deleted actions, sets, definitions, groups and assignments never appear.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <powermanage/db/transaction.hpp>

namespace pm::projection {

/// One action of a device's resolved configuration.
struct ResolvedAction {
    std::string action_id;                        ///< the stored action
    std::string name;                             ///< its name
    std::int32_t action_type = 0;                 ///< pm.v1.ActionType number
    std::int32_t desired_state = 0;               ///< pm.v1.DesiredState number after merging modes
    std::string params_json;                      ///< proto3 JSON of its params
    std::int32_t timeout_seconds = 0;             ///< execution timeout
    std::optional<std::string> signature;         ///< raw signature bytes (ActionSigned), if any
    std::optional<std::string> params_canonical;  ///< the exact bytes the signature covers
};

/// An item (action, set or definition) assigned to the device, directly or through a group.
struct ResolvedItem {
    std::string source_type;  ///< "action", "action_set" or "definition"
    std::string source_id;    ///< its id
    std::string name;         ///< its name
    std::string description;  ///< its description
    std::int32_t mode = 0;    ///< the strongest mode among the assignments reaching the device
    bool selected = false;    ///< for AVAILABLE items: whether the device's user opted in
};

/// What a device should have.
struct DeviceConfiguration {
    std::vector<ResolvedAction> actions;  ///< effective actions in order (PRESENT or ABSENT)
    std::vector<ResolvedItem> items;      ///< every item assigned to the device
    /// Effective sync interval: the device's own if set, else the smallest non-zero interval of
    /// its groups, else 0 (the agent's default).
    std::int32_t sync_interval_minutes = 0;
};

/// Resolves `device_id`'s configuration in `tx` (whose actor must see the device and the
/// configuration objects; the control plane and the gateway read as the system or an admin
/// after their own authorization). Returns nullopt if the device does not exist or is deleted.
std::optional<DeviceConfiguration> resolve_device(db::Transaction& tx, std::string_view device_id);

}  // namespace pm::projection
