#pragma once
/// @file
/// @brief AgentService of pm.v1 on a gateway: the agents' live streams (Stream) and their pull
/// of assigned work (SyncActions), and the delivery of dispatched executions to the agents this
/// gateway holds.
///
/// Identity: the device id is the client certificate's CN (the rpc::Server's identity mapper
/// puts it in CallContext::peer_identity); Hello.device_id and SyncActions.device_id must equal
/// it, and a device that is unknown, deleted, or whose certificate serial is revoked is refused.
///
/// Delivery: an execution exists in the database before anyone is told about it. Gateways hear
/// of new executions through NOTIFY on eventstore::kDispatchChannel (ids only), and also look
/// for pending executions when an agent connects, when their LISTEN connection comes back, and
/// on a timer, so a lost hint delays an execution but never loses it. Each delivered execution
/// is recorded as ExecutionDispatched; delivery is at least once, keyed by the execution id.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/rpc/server.hpp>

namespace pm::db {
class ConnectionPool;
}  // namespace pm::db
namespace pm::eventstore {
class EventStore;
}  // namespace pm::eventstore

namespace pm::gateway {

class ConnectionManager;

/// How the gateway treats its agents.
struct AgentServiceOptions {
    /// This gateway's name in ExecutionDispatched and DeviceConnected events.
    std::string gateway_id = "gateway";
    /// Sent in Welcome.
    std::string server_version = "libpowermanage";
    /// Sent in Welcome: how often agents send a heartbeat.
    std::chrono::seconds heartbeat_interval{30};
    /// A stream whose agent sent nothing for this many heartbeat intervals is closed.
    int missed_heartbeats_allowed = 3;
    /// The first message (a Hello) must arrive within this.
    std::chrono::seconds hello_timeout{10};
    /// Agents' last_seen_at is written in one batch this often (not one write per heartbeat).
    std::chrono::seconds presence_flush_interval{10};
    /// A DeviceHeartbeat event (with the agent's metrics) at most this often per device.
    std::chrono::seconds heartbeat_event_interval = std::chrono::minutes(5);
    /// How often pending executions are looked for without a hint, and expired ones expired.
    std::chrono::seconds sweep_interval{30};
    /// Largest OutputChunk.data accepted; larger chunks are cut to this and marked.
    std::size_t max_output_chunk_bytes = 64 * 1024;
    /// OutputChunks per second per stream, sustained (bursts of 4 s worth); beyond, dropped.
    std::uint32_t output_chunks_per_second = 50;
    /// Largest stdout or stderr in an ActionResult kept (the contract's 1 MiB).
    std::size_t max_result_output_bytes = 1 << 20;
    /// Threads that do the agents' database work (admission, results, output, delivery).
    /// Each holds at most one pooled connection while it works, so more threads than pooled
    /// connections only wait for one; 0 means one per pooled connection.
    std::size_t database_workers = 0;
    /// Development only (h2c without certificates): trust Hello.device_id. Never in production.
    bool trust_hello_device_id = false;
};

/// Counters for /health, /metrics and tests.
struct AgentServiceStats {
    std::size_t connected = 0;                ///< live streams
    std::uint64_t hellos_refused = 0;         ///< streams refused at Hello
    std::uint64_t dispatched = 0;             ///< executions handed to a stream
    std::uint64_t results = 0;                ///< ActionResults recorded
    std::uint64_t output_chunks_dropped = 0;  ///< over the rate or for unknown executions
    std::uint64_t hints = 0;                  ///< dispatch notifications received
    /// Streams closed because what the agent reported (or its pending work) could not be
    /// read or recorded: the database was unreachable.
    std::uint64_t streams_closed_unavailable = 0;
};

/// The AgentService handlers and the dispatcher. Create one per gateway process.
class AgentService {
public:
    /// Uses (and must not outlive) the pool, the store and the connection manager.
    AgentService(db::ConnectionPool& pool, eventstore::EventStore& store,
                 ConnectionManager& connections, AgentServiceOptions options, Logger& logger,
                 const Clock& clock = Clock::system());
    ~AgentService();
    AgentService(const AgentService&) = delete;
    AgentService& operator=(const AgentService&) = delete;

    /// Adds Stream and SyncActions to `server`.
    void install(rpc::Server& server);

    /// Starts the LISTEN connection (to `database_url`), the presence writer and the sweep on
    /// `executor`. Call after the server started.
    void start(boost::asio::any_io_executor executor, const std::string& database_url);
    /// Stops them and closes every stream with Error{"shutdown"}. Then stop the server, and
    /// call finish().
    void stop();
    /// After the server stopped: finishes the work the streams queued and writes presence a
    /// last time. Safe to call twice; the destructor calls it.
    void finish();

    /// Whether the LISTEN connection is up (for /ready).
    bool listening() const;
    /// Counters.
    AgentServiceStats stats() const;

private:
    class Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace pm::gateway
