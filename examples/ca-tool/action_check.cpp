#include "action_check.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <powermanage/ca/authority.hpp>

namespace pm::catool {
namespace {

struct FreeKey {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, FreeKey>;

KeyPtr public_key_of(std::string_view certificate_pem) {
    BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
    X509* certificate =
        bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (certificate == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("the CA certificate is not a PEM certificate");
    }
    KeyPtr key(X509_get_pubkey(certificate));
    X509_free(certificate);
    if (!key) {
        ERR_clear_error();
        throw std::runtime_error("the CA certificate has no usable public key");
    }
    return key;
}

}  // namespace

bool signature_matches(std::string_view ca_certificate_pem, std::string_view action_id,
                       int action_type, std::string_view params_canonical,
                       std::string_view signature) {
    const KeyPtr key = public_key_of(ca_certificate_pem);
    const std::string input =
        ca::CertificateAuthority::action_signing_input(action_id, action_type, params_canonical);
    // SHA-256 with the key's default scheme: DER ECDSA for EC keys, PKCS#1 v1.5 for RSA, which
    // is what the CA signs with.
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    bool valid = false;
    if (context != nullptr &&
        EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key.get()) == 1) {
        valid =
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
    }
    EVP_MD_CTX_free(context);
    ERR_clear_error();
    return valid;
}

}  // namespace pm::catool
