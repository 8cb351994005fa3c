#pragma once
// Independent OpenSSL readers for what the CA produces, and CAs shared by the tests (an RSA
// 3072 key takes a while to generate, so each kind is made once per test program).
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <powermanage/ca/authority.hpp>

namespace pm::ca::testing {

struct X509Free {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
using Certificate = std::unique_ptr<X509, X509Free>;
struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, PkeyFree>;

/// The first certificate of `pem`; fails the test (returns null) if there is none.
Certificate parse_certificate(const std::string& pem);
/// The private key of `pem`.
Key parse_private_key(const std::string& pem);
/// UTF-8 values of the subject's entries with `nid`, in order.
std::vector<std::string> subject_entries(const X509* certificate, int nid);
/// The subject alternative names of type DNS.
std::vector<std::string> dns_names(const X509* certificate);
/// The IP subject alternative names as text ("10.0.0.1", "::1" as OpenSSL prints it).
std::vector<std::string> ip_addresses(const X509* certificate);
/// Number of subject alternative names of any type.
int alt_name_count(const X509* certificate);
/// The extended key usage NIDs, in order.
std::vector<int> extended_key_usages(const X509* certificate);
/// Whether basicConstraints is present, critical, and has CA set; nullopt-like -1 if absent.
int basic_constraints_ca(const X509* certificate, bool* critical, long* path_length);
/// keyUsage bits as OpenSSL reports them (KU_DIGITAL_SIGNATURE, ...); 0 if absent.
unsigned long key_usage(X509* certificate);
/// The ASN.1 time as a time_t (UTC).
std::time_t to_time_t(const ASN1_TIME* time);
/// Whether `certificate` is signed by `issuer`'s key and chains to it as a trust anchor.
bool verifies_with(X509* certificate, X509* issuer);
/// A DER copy of the first CSR in `pem`.
std::string csr_der(const std::string& pem);
/// The key PEM re-written in the traditional format ("EC PRIVATE KEY", "RSA PRIVATE KEY").
std::string traditional_key_pem(const std::string& pkcs8_pem);
/// The key PEM encrypted with AES-256-CBC and `passphrase` (PKCS#8 "ENCRYPTED PRIVATE KEY").
std::string encrypted_key_pem(const std::string& pkcs8_pem, const std::string& passphrase);
/// EVP_DigestVerify with SHA-256 and the certificate's public key, written independently of
/// the CA's verify_action.
bool digest_verify(const std::string& certificate_pem, const std::string& message,
                   const std::string& signature);
/// Lower-case hex SHA-256 of the certificate's DER.
std::string der_sha256(X509* certificate);

/// CAs made once per test program.
const CertificateAuthority& p256_ca();
const CertificateAuthority& p384_ca();
const CertificateAuthority& rsa_ca();

}  // namespace pm::ca::testing
