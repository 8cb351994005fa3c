#pragma once
/// @file
/// @brief Everything pm-control runs, composed: the database pool and migrations, the event
/// store, the CA (loaded, or created in development mode), the JWT codec, the policy, the
/// bootstrap admin, and an rpc::Server with the ControlService, /health and /ready. A daemon's
/// main only fills ControlHostOptions from its flags; tests and all-in-one hosts use it too.
///
/// Sharing. By default the host makes its own I/O threads, pool and event store. An integrator
/// running several hosts in one process (examples/all-in-one) passes its own instead
/// (ControlHostOptions::io_context, pool, event_store); what it passes it owns and stops:
///  - io_context: the server serves on it and starts no I/O threads; the integrator runs it
///    (io_context::run on threads of its own) from before start() until after stop() returns,
///    because stop() waits for the connections to drain on those threads. stop() never stops
///    the io_context. The host's own worker threads (the blocking work of requests, the
///    readiness check, dynamic group upkeep) are still the host's, started and joined by it.
///  - pool, event_store: used, never closed; the host keeps a reference while it exists, so
///    they are released when both the host and the integrator let go.
/// Order at shutdown: host.stop() (and other hosts' stop()), then stop the io_context and join
/// its threads, then destroy the hosts and whatever else uses the pool.
///
/// The integrator's own services and routes go on the same server through server() before
/// start(); the ControlService's authentication is scoped to pm.v1.ControlService, so they
/// keep their own rules.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <powermanage/auth/password.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/control/control_service.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio
namespace pm::ca {
class CertificateAuthority;
}  // namespace pm::ca

namespace pm::control {

/// How to run the control plane.
struct ControlHostOptions {
    std::string listen_address = "0.0.0.0:8081";  ///< host:port of the API
    std::string database_url;                     ///< PostgreSQL URL; required
    std::size_t database_connections = 16;        ///< pool size
    bool migrate = true;  ///< apply the schema migrations at start (under an advisory lock)
    /// HMAC secret of the JWTs, at least 32 bytes. Empty: refused, unless `development`, which
    /// generates one (tokens then die with the process, as is said in the log).
    std::string jwt_secret;
    std::string ca_certificate_file = "/certs/ca.crt";  ///< CA certificate (PEM)
    std::string ca_key_file = "/certs/ca.key";          ///< its private key (PEM)
    /// Development mode: a missing JWT secret is generated, and missing CA files are created
    /// (ECDSA P-256, 10 years) and written where the options say.
    bool development = false;
    std::string admin_email;     ///< bootstrap admin, with admin_password; both or neither
    std::string admin_password;  ///< see admin_email
    std::string policy_file;     ///< JSON policy replacing the default; empty: the default
    bool cors_enabled = true;    ///< answer browsers' preflights
    std::vector<std::string> cors_origins;     ///< allowed origins; empty: any
    std::vector<std::string> trusted_proxies;  ///< whose X-Forwarded-For is believed
    /// Per-address rate limits; nullopt: ControlService::default_rate_limits(trusted_proxies).
    std::optional<rpc::RateLimitOptions> rate_limits;
    /// Argon2id cost of new password hashes (older hashes are upgraded at login).
    auth::PasswordParams password_params;
    std::size_t io_threads = 0;                       ///< 0: one per core
    std::chrono::milliseconds shutdown_grace{10000};  ///< in-flight requests get this long
    ControlOptions control;                           ///< the service's own settings
    /// The web console's built files (issue #12), served at their paths and index.html at
    /// "/" and at the console's own paths (a reloaded deep link), with cache headers and a
    /// strict Content-Security-Policy (docs/operations.md), read once at construction; empty:
    /// no console routes ("/" is 404). The host's server then has a plain fallback.
    std::string console_directory;

    /// Serve on this io_context, run by the caller (see "Sharing" above); null: the host's own
    /// `io_threads` threads.
    std::shared_ptr<boost::asio::io_context> io_context;
    /// Use this pool (made for database_url, which still opens the migration and LISTEN
    /// connections); null: a pool of `database_connections` of the host's own.
    std::shared_ptr<db::ConnectionPool> pool;
    /// Use this event store; it must be built on `pool`, which is then required. Null: one of
    /// the host's own on the pool.
    std::shared_ptr<eventstore::EventStore> event_store;
};

/// The running control plane. Construction does all the checks and fails with a message that
/// says what to fix; start() then only binds.
class ControlHost {
public:
    /// Connects, migrates, loads the CA and the policy, creates the bootstrap admin. Throws
    /// std::runtime_error (or std::invalid_argument for bad options) saying what to fix.
    ControlHost(ControlHostOptions options, Logger& logger);
    ~ControlHost();
    ControlHost(const ControlHost&) = delete;
    ControlHost& operator=(const ControlHost&) = delete;

    /// Binds and serves. Throws std::system_error if the address is taken.
    void start();
    /// The bound port.
    std::uint16_t port() const;
    /// Finishes in-flight requests (up to the grace period), then stops. Safe to call twice.
    void stop();

    /// The CA in use (for hosts that also run a gateway, and for tests).
    const ca::CertificateAuthority& authority() const;
    /// The API server, for the integrator's own services (add_unary, add_stream, each with
    /// its own add_service_interceptor) and plain routes. Add them before start().
    rpc::Server& server();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace pm::control
