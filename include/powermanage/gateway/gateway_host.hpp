#pragma once
/// @file
/// @brief Everything pm-gateway runs, composed: the database pool and event store, the
/// connection manager, the AgentService with its LISTEN connection, an rpc::Server for the
/// agents (HTTP/2 over TLS 1.3 with required client certificates), and a small cleartext server
/// for /health, /ready and /metrics (agents' TLS needs a client certificate, probes do not).
///
/// Sharing. By default the host makes its own I/O threads (and a small context of its own for
/// the LISTEN connection that wakes the dispatcher), pool and event store. An integrator passes
/// its own instead (GatewayHostOptions::io_context, pool, event_store), with the same rules as
/// ControlHost's (control_host.hpp): the integrator runs the io_context from before start()
/// until after stop() returns; both servers and the LISTEN connection then live on it; stop()
/// never stops it nor closes the pool; the host's own worker threads (the agents' blocking
/// work, the presence writer and sweeps) are still started and joined by the host. Shutdown:
/// host.stop(), then stop the io_context and join its threads, then destroy the host.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <powermanage/common/log.hpp>
#include <powermanage/gateway/agent_service.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace pm::gateway {

class ConnectionManager;

/// How to run a gateway.
struct GatewayHostOptions {
    std::string listen_address = "0.0.0.0:8080";  ///< agents connect here
    /// /health, /ready and /metrics in cleartext; empty: served on listen_address only.
    std::string health_address = "127.0.0.1:8082";
    std::string database_url;               ///< PostgreSQL URL; required
    std::size_t database_connections = 16;  ///< pool size
    std::string tls_certificate_file;       ///< the gateway's certificate (PEM), from the fleet CA
    std::string tls_key_file;               ///< its key
    std::string tls_ca_file;                ///< the fleet CA: agents' certificates must chain to it
    /// Development only: cleartext HTTP/2 (h2c) without client certificates, trusting
    /// Hello.device_id. Refused unless set explicitly.
    bool insecure_h2c = false;
    std::size_t io_threads = 0;                       ///< 0: one per core
    std::size_t max_connections = 20000;              ///< open agent connections
    std::chrono::milliseconds shutdown_grace{30000};  ///< streams get this long on stop()
    AgentServiceOptions agents;                       ///< how agents are served

    /// Serve (and LISTEN) on this io_context, run by the caller (see "Sharing" above); null:
    /// the host's own `io_threads` threads.
    std::shared_ptr<boost::asio::io_context> io_context;
    /// Use this pool (made for database_url, which still opens the LISTEN connection); null: a
    /// pool of `database_connections` of the host's own.
    std::shared_ptr<db::ConnectionPool> pool;
    /// Use this event store; it must be built on `pool`, which is then required. Null: one of
    /// the host's own on the pool.
    std::shared_ptr<eventstore::EventStore> event_store;
};

/// The running gateway. Construction checks everything and says what to fix; start() binds.
class GatewayHost {
public:
    /// Connects, checks the schema is current, loads the TLS files. Throws std::runtime_error
    /// or std::invalid_argument saying what to fix.
    GatewayHost(GatewayHostOptions options, Logger& logger);
    ~GatewayHost();
    GatewayHost(const GatewayHost&) = delete;
    GatewayHost& operator=(const GatewayHost&) = delete;

    /// Binds, serves, and starts listening for dispatches.
    void start();
    /// The bound agent port.
    std::uint16_t port() const;
    /// The bound health port (0 if none).
    std::uint16_t health_port() const;
    /// Closes every agent stream with Error{"shutdown"}, stops serving. Safe to call twice.
    void stop();

    /// The agent connections.
    ConnectionManager& connections();
    /// The service (stats, listening()).
    AgentService& service();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace pm::gateway
