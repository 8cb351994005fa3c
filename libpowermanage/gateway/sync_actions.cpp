// SyncActions: what a device should run, bound to the certificate's device. Until assignments
// exist, that is what was dispatched to it and is still open, signed as when it was dispatched.
#include <powermanage/db/transaction.hpp>

#include "gateway/agent_service_impl.hpp"
#include "rpc/text_codec.hpp"

namespace pm::gateway {

pm::v1::SyncActionsResponse AgentService::Impl::sync_actions(const std::string& device_id) {
    pm::v1::SyncActionsResponse response;
    db::with_actor(pool_, db::Actor::device(device_id), [&](db::Transaction& tx) {
        auto device = tx.exec(
            "SELECT sync_interval_minutes FROM devices_projection WHERE id = $1 AND NOT is_deleted",
            {device_id});
        if (device.rows() == 0) {
            throw rpc::RpcError(rpc::Code::permission_denied,
                                "unknown or deleted device " + device_id);
        }
        response.set_sync_interval_minutes(static_cast<std::int32_t>(device.int64(0, 0)));
        auto rows = tx.exec(
            "SELECT id, action_type, desired_state, timeout_seconds, params::text, "
            "translate(encode(signature, 'base64'), E'\\n', ''), params_canonical "
            "FROM executions_projection "
            "WHERE device_id = $1 AND status IN ('pending', 'dispatched') "
            "AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at, id",
            {device_id});
        for (int i = 0; i < rows.rows(); ++i) {
            std::optional<std::string> signature;
            std::optional<std::string> canonical;
            if (!rows.is_null(i, 5) && !rows.is_null(i, 6)) {
                signature = rpc::detail::base64_decode(rows.text(i, 5)).value_or(std::string());
                canonical = std::string(rows.text(i, 6));
            }
            *response.add_actions() =
                action_of(std::string(rows.text(i, 0)), static_cast<int>(rows.int64(i, 1)),
                          static_cast<int>(rows.int64(i, 2)), static_cast<int>(rows.int64(i, 3)),
                          std::string(rows.text(i, 4)), signature, canonical);
        }
    });
    return response;
}

}  // namespace pm::gateway
