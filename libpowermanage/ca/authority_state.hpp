#pragma once
/// @file
/// @brief What a CertificateAuthority holds, shared by the files that implement it.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <powermanage/ca/authority.hpp>

#include "ca/certificate_builder.hpp"
#include "ca/key_policy.hpp"
#include "ca/openssl_util.hpp"

namespace pm::ca {
namespace detail {

/// A loaded CA. Written once when the CA is loaded and only read afterwards, so any number of
/// threads may use it: OpenSSL 3 certificates and keys are safe to read and sign with
/// concurrently as long as each operation has its own context.
struct CaMaterial {
    X509Ptr certificate;                      ///< the CA certificate
    EvpPkeyPtr key;                           ///< its private key
    KeyKind key_kind = KeyKind::unsupported;  ///< never `unsupported`
    std::vector<unsigned char> key_id;        ///< subject key identifier, for AKIs
    std::string certificate_pem;              ///< certificate_pem(), made once
    EvpMdCtxPtr signing;                      ///< Issuer::prepared for `key`, made once

    /// The CA as the signer of a new certificate.
    Issuer issuer() const {
        return {certificate.get(), key.get(), certificate_digest(key_kind), key_id, signing.get()};
    }
};

/// Reads and checks a CA; `certificate_label` and `key_label` name the inputs in CaError
/// messages ("the CA certificate file \"ca.pem\"").
CaMaterial load_ca(std::string_view certificate_pem, std::string_view key_pem,
                   const std::string& certificate_label, const std::string& key_label);

}  // namespace detail

/// The CA's material; a named type of its own so the header can keep it opaque.
/// (A constructor, not aggregate initialization: clang 14 lacks parenthesized aggregate init.)
struct CertificateAuthority::State : detail::CaMaterial {
    explicit State(detail::CaMaterial material) : detail::CaMaterial(std::move(material)) {}
};

}  // namespace pm::ca
