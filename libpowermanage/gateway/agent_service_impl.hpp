#pragma once
/// @file
/// @brief The state behind gateway::AgentService: the stream handler (stream_handler.cpp), what
/// agents report (agent_reports.cpp), delivery of executions (dispatcher.cpp), presence
/// (presence.cpp) and SyncActions (sync_actions.cpp).
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/listener.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/gateway/agent_service.hpp>
#include <powermanage/gateway/connection_manager.hpp>
#include <powermanage/rpc/blocking_pool.hpp>

#include "pm/v1/agent.pb.h"

namespace pm::gateway {

/// An execution waiting for its device, as the dispatcher sends it.
struct PendingExecution {
    std::string id;
    std::string device_id;
    std::shared_ptr<const pm::v1::ServerMessage> message;  ///< the ActionDispatch
    bool pending = true;                                   ///< not yet recorded as dispatched
};

/// Why Hello was refused, or nothing.
struct Admission {
    bool admitted = false;
    rpc::Code code = rpc::Code::permission_denied;
    std::string reason;
};

class AgentService::Impl : public std::enable_shared_from_this<Impl> {
public:
    Impl(db::ConnectionPool& pool, eventstore::EventStore& store, ConnectionManager& connections,
         AgentServiceOptions options, Logger& logger, const Clock& clock);

    // ---- stream_handler.cpp ----
    rpc::Task<rpc::Status> serve_stream(rpc::CallContext& ctx, rpc::ServerStream& stream);
    /// Logs why the gateway could not `what` for this agent and closes its stream with
    /// `unavailable` (when the session still lives), so that it reconnects instead of living
    /// on with its reports lost.
    void close_unrecorded(const std::shared_ptr<QueuedSession>& session,
                          const std::string& device_id, std::string_view what,
                          std::exception_ptr error);

    // ---- sync_actions.cpp ----
    pm::v1::SyncActionsResponse sync_actions(const std::string& device_id);

    // ---- agent_reports.cpp (blocking; on the workers) ----
    Admission admit(const std::string& device_id, const std::string& certificate_serial);
    void record_connected(const std::string& device_id, const pm::v1::Hello& hello);
    void record_disconnected(const std::string& device_id, const std::string& reason);
    void record_result(const std::string& device_id, const pm::v1::ActionResult& result);
    bool record_output(const std::string& device_id, const pm::v1::OutputChunk& chunk);
    void record_alert(const std::string& device_id, const pm::v1::SecurityAlert& alert);

    // ---- dispatcher.cpp (blocking; on the workers) ----
    /// Pending executions of these devices (not expired), oldest first.
    std::vector<PendingExecution> pending_for_devices(const std::vector<std::string>& devices);
    /// These executions, if still pending.
    std::vector<PendingExecution> pending_by_ids(const std::vector<std::string>& ids);
    /// Routes each to its device's stream (if this gateway holds it) and records the ones that
    /// were handed over as dispatched.
    void deliver(std::vector<PendingExecution> executions);
    /// Handles a NOTIFY payload: comma-separated execution ids.
    void on_hint(const std::string& payload);
    /// Looks for pending work of every connected device and expires old executions.
    void sweep();
    /// Forgets what was sent on a stream that ended.
    void forget_session(std::uint64_t session_id);

    // ---- presence.cpp ----
    /// The agent sent something: it is alive now.
    void touch(const std::string& device_id, const pm::v1::Heartbeat* heartbeat);
    /// Writes the last_seen_at of every agent seen since the previous flush, in one statement,
    /// and the throttled DeviceHeartbeat events.
    void flush_presence();

    // ---- agent_service.cpp ----
    void housekeeping_loop();

    db::ConnectionPool& pool_;
    eventstore::EventStore& store_;
    ConnectionManager& connections_;
    AgentServiceOptions options_;
    Logger& logger_;
    const Clock& clock_;
    UlidGenerator ids_;
    rpc::BlockingPool workers_;
    std::unique_ptr<db::Listener> listener_;

    struct Presence {
        Clock::TimePoint last_seen{};
        Clock::TimePoint last_event{};
        bool dirty = false;
        std::optional<pm::v1::Heartbeat> heartbeat;  // the latest metrics, for the next event
    };
    std::mutex presence_mutex_;
    std::unordered_map<std::string, Presence> presence_;

    // Executions already handed to a stream, by session, so that a hint and a sweep racing for
    // the same execution send it once per stream.
    std::mutex sent_mutex_;
    std::unordered_map<std::uint64_t, std::unordered_set<std::string>> sent_;

    std::mutex stop_mutex_;
    std::condition_variable stop_wake_;
    bool stopping_ = false;
    std::thread housekeeper_;

    std::atomic<std::uint64_t> hellos_refused_{0};
    std::atomic<std::uint64_t> dispatched_{0};
    std::atomic<std::uint64_t> results_{0};
    std::atomic<std::uint64_t> chunks_dropped_{0};
    std::atomic<std::uint64_t> hints_{0};
    std::atomic<std::uint64_t> streams_closed_unavailable_{0};
};

/// Builds the pm.v1.Action an agent receives. `id` becomes Action.id, the id the signature
/// covers: the execution id for stream dispatches (so that results name the execution), the
/// stored action id for SyncActions. `signature` (raw bytes) and `params_canonical` (the exact
/// signed bytes) are sent only together.
pm::v1::Action action_of(const std::string& id, int action_type, int desired_state,
                         int timeout_seconds, const std::string& params_json,
                         const std::optional<std::string>& signature,
                         const std::optional<std::string>& params_canonical);

}  // namespace pm::gateway
