#pragma once
/// @file
/// @brief Checking action signatures with the CA certificate alone, as an agent does (agent
/// protocol A.2.7: SHA-256 over `<id>:<type>:<base64(params_canonical)>`, DER ECDSA or RSA
/// PKCS#1 v1.5). Agents, tools and tests hold the certificate, never the CA's private key.
#include <memory>
#include <string_view>

namespace pm::ca {

/// The CA certificate's public key, parsed once. Thread-safe: verify() may run on every thread
/// at once.
class ActionVerifier {
public:
    /// From the CA certificate (PEM). Throws CaError when it is not a PEM certificate or has
    /// no usable public key.
    explicit ActionVerifier(std::string_view ca_certificate_pem);
    ~ActionVerifier();
    ActionVerifier(ActionVerifier&&) noexcept;             ///< moves the key
    ActionVerifier& operator=(ActionVerifier&&) noexcept;  ///< moves the key

    /// Whether `signature` (raw bytes) is the CA's signature over the action's id, type and
    /// params_canonical (CertificateAuthority::action_signing_input). False for an empty or
    /// malformed signature.
    bool verify(std::string_view action_id, int action_type, std::string_view params_canonical,
                std::string_view signature) const;

private:
    struct Key;
    std::unique_ptr<Key> key_;
};

}  // namespace pm::ca
