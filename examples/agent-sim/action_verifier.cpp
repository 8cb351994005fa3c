#include "action_verifier.hpp"

#include <stdexcept>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <powermanage/ca/authority.hpp>

namespace pm::agentsim {

struct ActionVerifier::Key {
    EVP_PKEY* key = nullptr;
    ~Key() { EVP_PKEY_free(key); }
};

ActionVerifier::ActionVerifier(std::string_view ca_pem) : key_(std::make_unique<Key>()) {
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    X509* certificate =
        bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (certificate == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("cannot parse the CA certificate");
    }
    key_->key = X509_get_pubkey(certificate);
    X509_free(certificate);
    if (key_->key == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("the CA certificate has no usable public key");
    }
}

ActionVerifier::~ActionVerifier() = default;

bool ActionVerifier::verify(const pm::v1::Action& action) const {
    const auto& signature = action.signature();
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

bool ActionVerifier::refuses(const pm::v1::Action& action) const {
    return action.type() == pm::v1::ACTION_TYPE_SHELL && !verify(action);
}

}  // namespace pm::agentsim
