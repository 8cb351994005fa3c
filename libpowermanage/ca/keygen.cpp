#include "ca/keygen.hpp"

#include <string>

namespace pm::ca::detail {

EvpPkeyPtr generate_ec_key(const char* curve) {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    if (!key) {
        throw_openssl(std::string("cannot generate an EC ") + curve + " key");
    }
    return key;
}

EvpPkeyPtr generate_rsa_key(std::size_t bits) {
    // The variadic argument must be a size_t.
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
    if (!key) {
        throw_openssl("cannot generate an RSA " + std::to_string(bits) + "-bit key");
    }
    return key;
}

EvpPkeyPtr generate_ed25519_key() {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) {
        throw_openssl("cannot generate an Ed25519 key");
    }
    return key;
}

}  // namespace pm::ca::detail
