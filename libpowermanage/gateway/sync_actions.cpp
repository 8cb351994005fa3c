// SyncActions: the device's resolved configuration (projection::resolve_device, the same
// resolution the control plane's GetDeviceAssignments and DispatchAssignedActions use), bound
// to the certificate's device (agent_service.cpp checks the binding before this runs). Each
// action goes out under its stored id with the signature and canonical params its ActionSigned
// recorded, so the agent verifies `<action id>:<type>:<base64(params_canonical)>` exactly as
// for the reference, and with its schedule; executions dispatched on the stream are signed for
// their own ids instead.
#include <google/protobuf/util/json_util.h>

#include <powermanage/db/transaction.hpp>
#include <powermanage/projection/resolution.hpp>

#include "gateway/agent_service_impl.hpp"

namespace pm::gateway {

pm::v1::SyncActionsResponse AgentService::Impl::sync_actions(const std::string& device_id) {
    pm::v1::SyncActionsResponse response;
    // Read as the gateway: the device's identity was checked against its certificate, and the
    // resolution needs actions, sets and groups that no device-scoped view shows.
    db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
        const auto configuration =
            projection::resolve_device(tx, device_id, projection::ResolveParts::actions);
        if (!configuration) {
            throw rpc::RpcError(rpc::Code::permission_denied,
                                "unknown or deleted device " + device_id +
                                    "; register the agent again to obtain a new identity");
        }
        response.set_sync_interval_minutes(configuration->sync_interval_minutes);
        response.mutable_actions()->Reserve(static_cast<int>(configuration->actions.size()));
        for (const auto& action : configuration->actions) {
            auto* out = response.add_actions();
            *out = action_of(action.action_id, action.action_type, action.desired_state,
                             action.timeout_seconds, action.params_json, action.signature,
                             action.params_canonical);
            // The agent runs scheduled actions on its own between syncs. An empty object is
            // how UpdateActionParams clears a schedule; one that no longer parses goes out
            // without it rather than failing the device's whole sync.
            if (action.schedule_json && !action.schedule_json->empty() &&
                *action.schedule_json != "{}") {
                pm::v1::ActionSchedule schedule;
                if (google::protobuf::util::JsonStringToMessage(*action.schedule_json, &schedule)
                        .ok()) {
                    *out->mutable_schedule() = std::move(schedule);
                }
            }
        }
    });
    return response;
}

}  // namespace pm::gateway
