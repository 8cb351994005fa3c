#pragma once
/// @file
/// @brief The agent's check of an action's signature (A.2.7): the CA certificate's public key
/// over `<id>:<type>:<base64(params_canonical)>`, SHA-256, ECDSA or RSA PKCS#1 v1.5. Only
/// SHELL is refused when the check fails; the agent holds only the CA certificate.

#include <memory>
#include <string_view>

#include "pm/v1/actions.pb.h"

namespace pm::ca {
class ActionVerifier;
}  // namespace pm::ca

namespace pm::agentsim {

/// The text a SHELL action is refused with when its signature fails.
inline constexpr std::string_view kUnsignedShellError =
    "refusing to execute unsigned/tampered shell script";

/// Verifies action signatures with one CA certificate's public key. Thread-safe; shared by
/// every agent of the same CA.
class ActionVerifier {
public:
    /// From the CA certificate (PEM). Throws ca::CaError if it cannot be parsed.
    explicit ActionVerifier(std::string_view ca_pem);
    ~ActionVerifier();
    ActionVerifier(const ActionVerifier&) = delete;
    ActionVerifier& operator=(const ActionVerifier&) = delete;
    /// Whether `action.signature` is the CA's signature over the action.
    bool verify(const pm::v1::Action& action) const;
    /// Whether an agent refuses `action` (a SHELL action whose signature fails).
    bool refuses(const pm::v1::Action& action) const;

private:
    std::unique_ptr<ca::ActionVerifier> check_;
};

}  // namespace pm::agentsim
