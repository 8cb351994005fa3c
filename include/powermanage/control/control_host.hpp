#pragma once
/// @file
/// @brief Everything pm-control runs, composed: the database pool and migrations, the event
/// store, the CA (loaded, or created in development mode), the JWT codec, the policy, the
/// bootstrap admin, and an rpc::Server with the ControlService, /health and /ready. A daemon's
/// main only fills ControlHostOptions from its flags; tests and all-in-one hosts use it too.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <powermanage/auth/password.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/control/control_service.hpp>

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

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace pm::control
