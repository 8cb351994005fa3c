#pragma once
/// @file
/// @brief The check an agent makes before it runs anything: is this action signed by the fleet
/// CA? (agent protocol A.2.7: SHA-256 over `<id>:<type>:<base64(params_canonical)>`, DER ECDSA
/// or RSA PKCS#1 v1.5, checked with the public key of the CA certificate from registration.)
#include <memory>
#include <string_view>

#include "pm/v1/actions.pb.h"

namespace pm::agent {

/// The CA's public key, parsed once.
class ActionCheck {
public:
    /// From the CA certificate (PEM). Throws std::runtime_error if it has no usable key.
    explicit ActionCheck(std::string_view ca_certificate_pem);
    ~ActionCheck();
    ActionCheck(const ActionCheck&) = delete;
    ActionCheck& operator=(const ActionCheck&) = delete;

    /// Whether the action carries the CA's signature over its id, type and params_canonical.
    /// False for a missing signature.
    bool signed_by_ca(const pm::v1::Action& action) const;

private:
    struct Key;
    std::unique_ptr<Key> key_;
};

}  // namespace pm::agent
