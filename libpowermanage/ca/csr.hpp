#pragma once
/// @file
/// @brief Reading and checking an agent's PKCS#10 request before the CA signs it.
#include <string>
#include <string_view>
#include <vector>

#include "ca/key_policy.hpp"
#include "ca/openssl_util.hpp"

namespace pm::ca::detail {

/// A request that parsed, whose self-signature verifies and whose key the CA accepts.
struct AgentCsr {
    X509ReqPtr request;                       ///< owns the key
    EVP_PKEY* public_key = nullptr;           ///< the key to certify, owned by `request`
    KeyKind key_kind = KeyKind::unsupported;  ///< never `unsupported`
    std::vector<std::string> dns_names;       ///< the request's DNS SANs, in order
};

/// The largest request read; an agent's is under 1 KB.
inline constexpr std::size_t kMaximumCsrBytes = 64 * 1024;

/// Parses a PEM or DER request and checks it; throws CsrError saying what the client should do.
AgentCsr read_agent_csr(std::string_view csr);

}  // namespace pm::ca::detail
