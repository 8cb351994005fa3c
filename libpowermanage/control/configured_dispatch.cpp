// Dispatch of what is configured: a device's resolved actions, a set, a definition. Each
// request checks, creates and reads back in ONE transaction acting for the caller: one
// execution per (device, action), all appended together, with the gateways' hint delivered at
// the commit. Unlike the reference (server-behavior.md 4.4), a missing device, set or
// definition answers not_found instead of an empty list, and DispatchAssignedActions sends
// each action with its resolved desired state (ABSENT assignments remove) instead of PRESENT
// for everything.
//
// Nothing to run is not an error: a device with nothing resolved, or an empty set or
// definition, answers an empty list of executions, the same as the device's next SyncActions
// would (the caller sees from the empty list that nothing was dispatched).
#include <string>
#include <unordered_set>
#include <vector>

#include <powermanage/eventstore/events.hpp>
#include <powermanage/projection/resolution.hpp>

#include "control/dispatch.hpp"
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

// Throws not_found unless `device_id` is a live device the caller sees.
void require_device(db::Transaction& tx, const std::string& device_id) {
    if (!live_version(tx, "devices_projection", es::kDeviceStream, device_id)) {
        fail(rpc::Code::not_found, "device " + device_id + " not found");
    }
}

// The live actions of these (set id, action id) member rows as PRESENT runnables for
// `device_id`, each action once, at its first occurrence.
std::vector<DispatchItem> items_of_members(const db::Result& rows, const std::string& device_id) {
    std::vector<DispatchItem> items;
    std::unordered_set<std::string> seen;
    for (int i = 0; i < rows.rows(); ++i) {
        std::string action_id(rows.text(i, 0));
        if (!seen.insert(action_id).second) {
            continue;
        }
        Runnable r;
        r.action_id = std::move(action_id);
        r.action_type = static_cast<std::int32_t>(rows.int64(i, 1));
        // Desired state belongs to assignments, not to actions (the contract reserves
        // ManagedAction's former desired_state field): running a set means installing it.
        r.desired_state = pm::v1::DESIRED_STATE_PRESENT;
        r.params = boost::json::parse(rows.text(i, 2)).as_object();
        r.timeout_seconds = static_cast<std::int32_t>(rows.int64(i, 3));
        items.push_back({device_id, std::move(r)});
    }
    return items;
}

// Creates the executions `collect(tx)` returns and reads them back, in one transaction.
template <class Response, class Collect>
Response dispatch(ControlService::Impl& service, const Call& call, Collect&& collect) {
    Response response;
    const auto created = service.read(call, [&](db::Transaction& tx) {
        const std::vector<DispatchItem> items = collect(tx);
        auto result = append_executions(service, call, tx, items);
        load_executions(tx, result.ids, response.mutable_executions());
        return result;
    });
    announce(service, created);
    return response;
}

// Columns of an action for items_of_members(), from actions_projection `a`.
constexpr const char* kMemberActionColumns =
    "a.id, a.action_type, a.params::text, a.timeout_seconds";

}  // namespace

pm::v1::DispatchAssignedActionsResponse ConfiguredDispatch::dispatch_assigned_actions(
    Call& call, const pm::v1::DispatchAssignedActionsRequest& request) {
    return dispatch<pm::v1::DispatchAssignedActionsResponse>(
        service_, call, [&](db::Transaction& tx) {
            require_device(tx, request.device_id());
            const auto configuration = projection::resolve_device(
                tx, request.device_id(), projection::ResolveParts::actions);
            if (!configuration) {
                fail(rpc::Code::not_found, "device " + request.device_id() + " not found");
            }
            std::vector<DispatchItem> items;
            items.reserve(configuration->actions.size());
            for (const auto& action : configuration->actions) {
                Runnable r;
                r.action_id = action.action_id;
                r.action_type = action.action_type;
                // ABSENT stays ABSENT: dispatching what is assigned enforces it, removals
                // included (the reference sent PRESENT for everything).
                r.desired_state = action.desired_state;
                r.params = boost::json::parse(action.params_json).as_object();
                r.timeout_seconds = action.timeout_seconds;
                items.push_back({request.device_id(), std::move(r)});
            }
            return items;
        });
}

pm::v1::DispatchActionSetResponse ConfiguredDispatch::dispatch_action_set(
    Call& call, const pm::v1::DispatchActionSetRequest& request) {
    return dispatch<pm::v1::DispatchActionSetResponse>(service_, call, [&](db::Transaction& tx) {
        require_device(tx, request.device_id());
        if (!live_version(tx, "action_sets_projection", es::kActionSetStream,
                          request.action_set_id())) {
            fail(rpc::Code::not_found, "action set " + request.action_set_id() + " not found");
        }
        auto rows = tx.exec(std::string("SELECT ") + kMemberActionColumns +
                                " FROM action_set_members_projection m "
                                "JOIN actions_projection a ON a.id = m.action_id "
                                "WHERE m.set_id = $1 AND NOT a.is_deleted "
                                "ORDER BY m.sort_order, a.id",
                            {request.action_set_id()});
        return items_of_members(rows, request.device_id());
    });
}

pm::v1::DispatchDefinitionResponse ConfiguredDispatch::dispatch_definition(
    Call& call, const pm::v1::DispatchDefinitionRequest& request) {
    return dispatch<pm::v1::DispatchDefinitionResponse>(service_, call, [&](db::Transaction& tx) {
        require_device(tx, request.device_id());
        if (!live_version(tx, "definitions_projection", es::kDefinitionStream,
                          request.definition_id())) {
            fail(rpc::Code::not_found, "definition " + request.definition_id() + " not found");
        }
        // Sets in definition order, actions in set order; an action in two sets runs once, at
        // its first place.
        auto rows = tx.exec(std::string("SELECT ") + kMemberActionColumns +
                                " FROM definition_members_projection d "
                                "JOIN action_sets_projection s ON s.id = d.action_set_id "
                                "JOIN action_set_members_projection m ON m.set_id = s.id "
                                "JOIN actions_projection a ON a.id = m.action_id "
                                "WHERE d.definition_id = $1 AND NOT s.is_deleted "
                                "AND NOT a.is_deleted "
                                "ORDER BY d.sort_order, s.id, m.sort_order, a.id",
                            {request.definition_id()});
        return items_of_members(rows, request.device_id());
    });
}

}  // namespace pm::control
