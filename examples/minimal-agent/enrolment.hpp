#pragma once
/// @file
/// @brief The agent's identity and how it gets one. The state folder holds `key.pem` (mode
/// 0600), `cert.pem`, `ca.pem` and `identity` (device id and gateway URL); `identity` is
/// written last, by rename, so a folder either has a complete identity or none.
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace pm::agent {

/// Who this agent is, once enrolled.
struct Identity {
    std::string device_id;            ///< the certificate's CN, chosen by the control plane
    std::string gateway_url;          ///< where to open the agent stream
    std::filesystem::path key_file;   ///< the agent's private key
    std::filesystem::path cert_file;  ///< its certificate, signed by the fleet CA
    std::filesystem::path ca_file;    ///< the fleet CA: the gateway's issuer and action signer
};

/// The identity stored in `state_dir`, or nullopt when the folder holds none yet.
std::optional<Identity> load_identity(const std::filesystem::path& state_dir);

/// How to enrol.
struct EnrolmentRequest {
    std::string control_url;    ///< e.g. http://127.0.0.1:8081
    std::string control_ca;     ///< CA file to trust for an https control URL; empty = system
    std::string token;          ///< the registration token an operator created
    std::string hostname;       ///< sent as the CSR's CN and SAN and in Register
    std::string agent_version;  ///< sent in Register
    std::chrono::milliseconds timeout{30000};  ///< for the Register call
};

/// Thrown when the control plane refuses to enrol this agent for good (a wrong or used-up
/// token, a malformed request): retrying would not help.
class EnrolmentRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One Register call (a new P-256 key and CSR, the token; agent protocol A.1), and on success
/// the identity saved in `state_dir`. Throws EnrolmentRefused for a refusal, and
/// std::runtime_error for failures worth retrying (control plane unreachable, rate-limited).
boost::asio::awaitable<Identity> enrol(boost::asio::any_io_executor executor,
                                       const EnrolmentRequest& request,
                                       const std::filesystem::path& state_dir);

}  // namespace pm::agent
