#pragma once
/// @file
/// @brief The agent's side of registration: a key pair and a PKCS#10 request, as a Power
/// Manage agent makes them (ECDSA P-256, CN = hostname, DNS SAN = hostname). Used by the
/// simulated agents, the tests and the benchmarks.
#include <string>
#include <string_view>

namespace pm::ca {

/// The key types a request can be made with (some only to test refusals).
enum class RequestKeyType { ecdsa_p256, ecdsa_p384, ecdsa_p521, rsa_1024, rsa_2048, ed25519 };

/// A private key and a certificate request signed with it.
struct AgentRequest {
    std::string csr_pem;          ///< PKCS#10, PEM
    std::string private_key_pem;  ///< PKCS#8, PEM
};

/// A new key of `key_type` and a request for it with CN = `hostname` and a DNS SAN =
/// `hostname`. Throws std::runtime_error if OpenSSL fails.
AgentRequest make_agent_request(std::string_view hostname,
                                RequestKeyType key_type = RequestKeyType::ecdsa_p256);

}  // namespace pm::ca
