// Action signatures (agent protocol A.2.7): the CA signs each stored action so that an agent
// can check, with the CA certificate it pinned at registration, that the action is the server's.
#include <cstdint>
#include <string>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <powermanage/ca/action_verifier.hpp>
#include <powermanage/ca/authority.hpp>
#include <powermanage/common/base64.hpp>

#include "ca/authority_state.hpp"

namespace pm::ca {
namespace {

const unsigned char* bytes_of(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

// The agent's check: `public_key` (the CA certificate's) over the action's signing input.
bool verify_with(EVP_PKEY* public_key, std::string_view action_id, int action_type,
                 std::string_view params_canonical, std::string_view signature) {
    if (signature.empty()) {
        return false;
    }
    const std::string input =
        CertificateAuthority::action_signing_input(action_id, action_type, params_canonical);
    const detail::EvpMdCtxPtr context(EVP_MD_CTX_new());
    if (!context || public_key == nullptr ||
        EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, public_key) != 1) {
        detail::throw_openssl("cannot verify an action signature");
    }
    const bool valid = EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(),
                                        bytes_of(input), input.size()) == 1;
    ERR_clear_error();  // a refused signature leaves errors queued on this thread
    return valid;
}

}  // namespace

std::string CertificateAuthority::action_signing_input(std::string_view action_id, int action_type,
                                                       std::string_view params_canonical) {
    std::string input;
    input.reserve(action_id.size() + 16 + (params_canonical.size() + 2) / 3 * 4);
    input += action_id;
    input += ':';
    input += std::to_string(action_type);
    input += ':';
    // Standard padded base64, as Go's base64.StdEncoding writes it (the agent's side).
    input += pm::base64_encode(params_canonical);
    return input;
}

std::string CertificateAuthority::sign_action(std::string_view action_id, int action_type,
                                              std::string_view params_canonical) const {
    const std::string input = action_signing_input(action_id, action_type, params_canonical);
    // A context per call: the key is shared by all threads, a context never is. With SHA-256
    // and default parameters an EC key makes a DER ECDSA-Sig-Value and an RSA key PKCS#1 v1.5.
    const detail::EvpMdCtxPtr context(EVP_MD_CTX_new());
    std::size_t length = 0;
    if (!context ||
        EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, state_->key.get()) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length, bytes_of(input), input.size()) != 1) {
        detail::throw_openssl("cannot sign an action");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       bytes_of(input), input.size()) != 1) {
        detail::throw_openssl("cannot sign an action");
    }
    signature.resize(length);  // ECDSA signatures are shorter than the maximum most times
    return signature;
}

bool CertificateAuthority::verify_action(std::string_view action_id, int action_type,
                                         std::string_view params_canonical,
                                         std::string_view signature) const {
    // The certificate's key, not our private key: this is what the agent has.
    return verify_with(X509_get0_pubkey(state_->certificate.get()), action_id, action_type,
                       params_canonical, signature);
}

struct ActionVerifier::Key {
    detail::EvpPkeyPtr key;
};

ActionVerifier::ActionVerifier(std::string_view ca_certificate_pem)
    : key_(std::make_unique<Key>()) {
    const detail::BioPtr bio = detail::memory_bio(ca_certificate_pem);
    const detail::X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (certificate) {
        key_->key.reset(X509_get_pubkey(certificate.get()));
    }
    ERR_clear_error();
    if (!certificate) {
        throw CaError("the CA certificate is not a PEM certificate");
    }
    if (!key_->key) {
        throw CaError("the CA certificate has no usable public key");
    }
}

ActionVerifier::~ActionVerifier() = default;
ActionVerifier::ActionVerifier(ActionVerifier&&) noexcept = default;
ActionVerifier& ActionVerifier::operator=(ActionVerifier&&) noexcept = default;

bool ActionVerifier::verify(std::string_view action_id, int action_type,
                            std::string_view params_canonical, std::string_view signature) const {
    return verify_with(key_->key.get(), action_id, action_type, params_canonical, signature);
}

}  // namespace pm::ca
