#include "action_check.hpp"

#include <stdexcept>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <powermanage/ca/authority.hpp>

namespace pm::agent {

struct ActionCheck::Key {
    EVP_PKEY* key = nullptr;
    ~Key() { EVP_PKEY_free(key); }
};

ActionCheck::ActionCheck(std::string_view ca_certificate_pem) : key_(std::make_unique<Key>()) {
    BIO* bio =
        BIO_new_mem_buf(ca_certificate_pem.data(), static_cast<int>(ca_certificate_pem.size()));
    X509* certificate =
        bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (certificate != nullptr) {
        key_->key = X509_get_pubkey(certificate);
        X509_free(certificate);
    }
    ERR_clear_error();
    if (key_->key == nullptr) {
        throw std::runtime_error(
            "the CA certificate in the state folder has no usable public key; remove the state "
            "folder and enrol again");
    }
}

ActionCheck::~ActionCheck() = default;

bool ActionCheck::signed_by_ca(const pm::v1::Action& action) const {
    const std::string& signature = action.signature();
    if (signature.empty()) {
        return false;
    }
    const std::string input = ca::CertificateAuthority::action_signing_input(
        action.id().value(), static_cast<int>(action.type()), action.params_canonical());
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    bool valid = false;
    if (context != nullptr &&
        EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key_->key) == 1) {
        valid =
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
    }
    EVP_MD_CTX_free(context);
    ERR_clear_error();
    return valid;
}

}  // namespace pm::agent
