#pragma once
/// @file
/// @brief Registering one agent as a real one does (A.3 steps 1-2): a new ECDSA P-256 key, a
/// CSR with CN = SAN = hostname, and ControlService.Register with the registration token;
/// retried with backoff when the control plane is unavailable or rate-limits.

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include <powermanage/rpc/client.hpp>

#include "fleet_context.hpp"
#include "identity_store.hpp"

namespace pm::agentsim {

/// What registering one agent gave.
struct RegistrationOutcome {
    StoredIdentity identity;  ///< device id, hostname, gateway URL
    IdentityFiles files;      ///< key, certificate, CA
    std::string error;        ///< empty on success
};

/// Registers agents over one connection to the control plane. Use on one strand.
class Registrar {
public:
    /// A client of options.control_url, on `strand`.
    Registrar(const AgentStrand& strand, const FleetOptions& options);
    /// Registers a new agent called `hostname`.
    boost::asio::awaitable<RegistrationOutcome> register_agent(std::string hostname);

private:
    AgentStrand strand_;
    const FleetOptions& options_;
    rpc::Client client_;
};

}  // namespace pm::agentsim
