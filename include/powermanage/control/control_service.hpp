#pragma once
/// @file
/// @brief The ControlService of pm.v1: the API of the web console and of operators, and the
/// registration of agents. Commands append events through the event store; queries read the
/// projections inside a transaction acting for the caller, so row-level security backs up the
/// policy. Every request is validated by the contract's rules, authorized by the policy with
/// its conditions checked against the request's target ids, and answered with a Connect code
/// that says what to do.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <powermanage/common/clock.hpp>
#include <powermanage/rpc/interceptors.hpp>
#include <powermanage/rpc/server.hpp>

namespace pm::db {
class ConnectionPool;
}  // namespace pm::db
namespace pm::eventstore {
class EventStore;
}  // namespace pm::eventstore
namespace pm::ca {
class CertificateAuthority;
}  // namespace pm::ca
namespace pm::auth {
class JwtCodec;
class PasswordHasher;
class Policy;
}  // namespace pm::auth

namespace pm::control {

/// Settings of the control plane; the defaults are the reference server's.
struct ControlOptions {
    /// Returned to agents by Register (the gateway they should connect to); may be empty.
    std::string gateway_url;
    std::chrono::seconds access_token_lifetime = std::chrono::minutes(15);     ///< access JWT
    std::chrono::seconds refresh_token_lifetime = std::chrono::hours(24 * 7);  ///< refresh JWT
    /// Lifetime of the agent certificates Register issues.
    std::chrono::seconds certificate_validity = std::chrono::hours(8760);
    /// How long a user's session state (session_version, disabled, role) is trusted before an
    /// access token is checked against the database again. Password changes, disabling, role
    /// changes and deletion made through this process take effect at once; through another
    /// replica, within this time.
    std::chrono::milliseconds session_cache_ttl = std::chrono::seconds(2);
    /// Threads that run the blocking database and hashing work of requests.
    std::size_t worker_threads = 8;
    /// Failed logins per account within `failed_login_window` before the account's logins are
    /// refused for the rest of the window (on top of the per-address limit).
    std::size_t max_failed_logins = 10;
    std::chrono::seconds failed_login_window = std::chrono::minutes(15);  ///< see above
    /// How long a dispatched execution waits for its device to connect before it expires.
    std::chrono::seconds execution_expiry = std::chrono::hours(24);
};

/// The ControlService handlers, the access-token verifier they need and the interceptors to
/// put in front of them. Create one per process; thread-safe.
class ControlService {
public:
    /// Uses (and must not outlive) the pool, the store, the CA, the JWT codec and the hasher.
    ControlService(db::ConnectionPool& pool, eventstore::EventStore& store,
                   const ca::CertificateAuthority& authority, const auth::JwtCodec& jwt,
                   const auth::PasswordHasher& hasher, const auth::Policy& policy,
                   ControlOptions options, const Clock& clock = Clock::system());
    ~ControlService();
    ControlService(const ControlService&) = delete;
    ControlService& operator=(const ControlService&) = delete;

    /// Adds the interceptors (rate limits, authentication, the policy's role check), scoped to
    /// pm.v1.ControlService so that other services on `server` keep their own rules, and the
    /// handlers of every implemented RPC to `server`. Call before server.start().
    void install(rpc::Server& server, const rpc::RateLimitOptions& rate_limits);

    /// The per-address limits of the issue: Login 10/min, RefreshToken 60/min, Register 5/min.
    static rpc::RateLimitOptions default_rate_limits(std::vector<std::string> trusted_proxies);

    /// Checks an access token: signature, expiry, type, and the user's current session (not
    /// deleted, not disabled, same session_version), cached for session_cache_ttl.
    rpc::TokenVerifier token_verifier();

    /// Creates the bootstrap admin unless a live user has that email (then nothing changes
    /// and false is returned). Throws std::invalid_argument for an invalid email or a password
    /// shorter than 8 characters (such an admin could never log in).
    bool ensure_admin(const std::string& email, const std::string& password);

    /// After the server stopped: finishes the blocking work requests queued and stops the
    /// workers, which hold the server's executor until then. Safe to call twice.
    void shutdown();

    /// Full method names of the RPCs this service implements.
    static std::vector<std::string> implemented_methods();

    /// The implementation, defined inside the library (its handlers are free to use it).
    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace pm::control
