#pragma once
/// @file
/// @brief The pieces every certificate the CA makes is built from: serial, validity, names,
/// extensions, signature, and the IssuedCertificate summary.
#include <chrono>
#include <ctime>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <powermanage/ca/authority.hpp>

#include "ca/openssl_util.hpp"

namespace pm::ca::detail {

/// The signer of a certificate: the CA's certificate and key, borrowed.
struct Issuer {
    const X509* certificate = nullptr;      ///< its subject becomes the issuer name
    EVP_PKEY* key = nullptr;                ///< signs
    const EVP_MD* digest = nullptr;         ///< SHA-256, or SHA-384 for P-384
    std::span<const unsigned char> key_id;  ///< its subject key identifier
    /// When set, a signing context already initialised with `key` and `digest`: each
    /// signature copies it instead of fetching the algorithms again (which takes OpenSSL's
    /// shared store locks). Only read, so any number of threads may copy it at once.
    const EVP_MD_CTX* prepared = nullptr;
};

/// A validity window in whole seconds.
struct Validity {
    std::time_t not_before = 0;  ///< a minute before now, for clocks running a little behind
    std::time_t not_after = 0;   ///< now + validity
};

/// The longest validity accepted (the ASN.1 times and time_t arithmetic stay far from limits).
inline constexpr std::chrono::seconds kMaximumValidity = std::chrono::hours(24 * 366 * 100);

/// From a minute ago until now + `validity`; std::invalid_argument unless 0 < validity <= 100y.
Validity validity_from_now(std::chrono::seconds validity);

/// A name of (NID, UTF-8 value) entries in order; std::invalid_argument for a value OpenSSL
/// refuses (empty, or longer than the attribute allows, e.g. 64 for CN).
X509NamePtr make_name(std::initializer_list<std::pair<int, std::string_view>> entries);

/// A v3 certificate for `public_key` named `subject`, with a random positive 128-bit serial,
/// `validity` and a subject key identifier; extensions and signature are up to the caller.
X509Ptr new_certificate(EVP_PKEY* public_key, const X509_NAME* subject, const Validity& validity);

/// new_certificate() for a key that arrived as a SubjectPublicKeyInfo (a request's): its
/// algorithm and key bits are copied as they are, byte for byte, without decoding the key
/// into an EVP_PKEY and encoding it again (in OpenSSL 3.0 most of the cost of a signature).
X509Ptr new_certificate(const X509_PUBKEY* public_key, const X509_NAME* subject,
                        const Validity& validity);

/// The RFC 5280 method-1 key identifier: SHA-1 of the certificate's subjectPublicKey bits.
std::vector<unsigned char> public_key_id(const X509* certificate);

/// basicConstraints, critical: CA:FALSE, or CA:TRUE with `path_length` (< 0: unlimited).
void add_basic_constraints(X509* certificate, bool is_ca, long path_length = -1);
/// keyUsage, critical, with the given bits (KeyUsage bit numbers: 0 digitalSignature,
/// 2 keyEncipherment, 5 keyCertSign, 6 cRLSign).
void add_key_usage(X509* certificate, std::initializer_list<int> bits);
/// extendedKeyUsage with exactly one purpose (NID_client_auth or NID_server_auth).
void add_extended_key_usage(X509* certificate, int purpose_nid);
/// subjectAltName with `names`, not critical (the subject is not empty).
void add_subject_alt_names(X509* certificate, GENERAL_NAMES* names);

/// A DNS GENERAL_NAME; std::invalid_argument unless `name` is a plausible host name.
GeneralNamePtr dns_general_name(std::string_view name);
/// An IP GENERAL_NAME; std::invalid_argument when `address` is not IPv4 or IPv6 text.
GeneralNamePtr ip_general_name(const std::string& address);
/// Whether `name` is 1..253 characters of letters, digits, '-', '_' and '.'.
bool is_plausible_dns_name(std::string_view name);

/// Sets the issuer name and authority key identifier from `issuer` and signs.
void sign_certificate(X509* certificate, const Issuer& issuer);

/// A signing context for `key` and `digest` (Issuer::prepared), made once per CA.
EvpMdCtxPtr prepare_signing(EVP_PKEY* key, const EVP_MD* digest);

/// PEM, serial, fingerprint and validity of a signed certificate.
IssuedCertificate describe_certificate(X509* certificate, const Validity& validity);

/// SHA-256 of the certificate's DER, lower-case hex.
std::string sha256_fingerprint(X509* certificate);

}  // namespace pm::ca::detail
