#pragma once
/// @file
/// @brief A device's desired configuration resolved from the projections: the one
/// implementation that GetDeviceAssignments, ListAvailableActions, SyncActions and
/// DispatchAssignedActions all use (docs/events.md, "Resolution").
///
/// Rules (the merge table is in docs/events.md, "Resolution"): an action reaches a device
/// through assignments of the action itself, of a set that holds it, or of a definition that
/// holds such a set, each targeting the device directly or a group the device is a member of
/// (static or dynamic; membership is whatever device_group_members_projection holds). Each
/// assignment contributes to every action it reaches: PRESENT gives present, ABSENT gives
/// absent; AVAILABLE gives present if the device's user selected that source, absent if they
/// explicitly opted out (so an agent removes what the user had installed), and nothing if they
/// never chose. Per action, absent beats present; an action with no contribution is left out.
/// Order: each action is placed at its first contributing occurrence by (assignment sort order,
/// assignment creation time and id, definition member order, set member order), ties by action
/// id. Deleted actions, sets, definitions, groups, devices and assignments never appear.
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
    std::string description;                      ///< its description
    std::int32_t action_type = 0;                 ///< pm.v1.ActionType number
    std::int32_t desired_state = 0;               ///< pm.v1.DesiredState number after merging modes
    std::string params_json;                      ///< proto3 JSON of its params
    std::int32_t timeout_seconds = 0;             ///< execution timeout
    std::optional<std::string> signature;         ///< raw signature bytes (ActionSigned), if any
    std::optional<std::string> params_canonical;  ///< the exact bytes the signature covers
    std::optional<std::string> schedule_json;     ///< proto3 JSON of its ActionSchedule, if any
    std::int64_t created_at_us = 0;               ///< creation time, microseconds since the epoch
    std::string created_by;                       ///< id of who created it
};

/// An item (action, set or definition) assigned to the device, directly or through a group.
struct ResolvedItem {
    std::string source_type;  ///< "action", "action_set" or "definition"
    std::string source_id;    ///< its id
    std::string name;         ///< its name
    std::string description;  ///< its description
    /// The strongest mode among the assignments reaching the device: ABSENT, then PRESENT, then
    /// AVAILABLE (pm.v1.AssignmentMode number).
    std::int32_t mode = 0;
    /// Whether an AVAILABLE assignment of it reaches the device (it is in the user's catalogue,
    /// whatever its other assignments say).
    bool available = false;
    /// Whether the device's user opted in (false: opted out or never chose).
    bool selected = false;
    std::int32_t member_count = 0;   ///< for sets and definitions: how many members
    std::int64_t created_at_us = 0;  ///< creation time, microseconds since the epoch
    std::string created_by;          ///< id of who created it
};

/// What a device should have.
struct DeviceConfiguration {
    std::vector<ResolvedAction> actions;  ///< effective actions in order (PRESENT or ABSENT)
    std::vector<ResolvedItem> items;      ///< every live item assigned to the device
    /// Effective sync interval: the smallest non-zero interval of the device's groups (a group's
    /// interval overrides the device's, as the contract says), else the device's own, else 0
    /// (the agent's default).
    std::int32_t sync_interval_minutes = 0;
};

/// What resolve_device() reads: everything, or only the device's effective actions and sync
/// interval (what an agent's SyncActions and a dispatch need; `items` stays empty).
enum class ResolveParts { everything, actions };

/// Resolves `device_id`'s configuration in `tx` with three set-based statements (two for
/// ResolveParts::actions), each prepared once per connection. The
/// transaction must act as the system or an admin: row-level security hides assignments from
/// users and groups from devices, so a user or device actor would get an incomplete answer:
/// for such an actor it throws std::logic_error instead. Callers authorize first (the control
/// plane's policy, the gateway's mTLS identity), then read with
/// db::with_actor(pool, db::Actor::system("resolution"), ...). Returns nullopt if the device
/// does not exist or is deleted (or is invisible to the actor).
std::optional<DeviceConfiguration> resolve_device(db::Transaction& tx, std::string_view device_id,
                                                  ResolveParts parts = ResolveParts::everything);

/// The actions each item holds, in the item's own order (definition member order, then set
/// member order, then id), for previews such as ListAvailableActions; each with desired state
/// PRESENT. The result has one list per entry of `items`, in the same order; deleted things are
/// left out. Same actor requirement as resolve_device().
std::vector<std::vector<ResolvedAction>> item_actions(db::Transaction& tx,
                                                      const std::vector<ResolvedItem>& items);

}  // namespace pm::projection
