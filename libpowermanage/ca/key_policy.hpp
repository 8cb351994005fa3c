#pragma once
/// @file
/// @brief Which keys the CA signs for and signs with: ECDSA P-256/P-384 and RSA >= 2048 bits.
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace pm::ca::detail {

/// The key families the CA accepts; everything else is `unsupported`.
enum class KeyKind { ecdsa_p256, ecdsa_p384, rsa, unsupported };

/// What a key is, in words for an error message ("ECDSA P-256", "RSA 1024 bits", "Ed25519").
struct KeyAssessment {
    KeyKind kind = KeyKind::unsupported;  ///< `unsupported` also for RSA < 2048 bits
    std::string description;              ///< what the key is
};

/// The smallest RSA key accepted.
inline constexpr int kMinimumRsaBits = 2048;
/// The accepted keys, for messages.
inline constexpr std::string_view kAcceptedKeys =
    "ECDSA P-256 (or P-384) or RSA of at least 2048 bits";

/// Classifies `key`.
KeyAssessment assess_key(const EVP_PKEY* key);

/// The digest the CA signs certificates with: SHA-384 for a P-384 key, otherwise SHA-256.
const EVP_MD* certificate_digest(KeyKind kind);

}  // namespace pm::ca::detail
