#include "ca/key_policy.hpp"

#include <string>

namespace pm::ca::detail {
namespace {

std::string ec_curve_name(const EVP_PKEY* key) {
    char name[80] = {};
    std::size_t length = 0;
    // Fails for explicit curve parameters, which we refuse like any unknown curve.
    if (EVP_PKEY_get_group_name(key, name, sizeof(name), &length) != 1) {
        return {};
    }
    return std::string(name, length);
}

}  // namespace

KeyAssessment assess_key(const EVP_PKEY* key) {
    if (key == nullptr) {
        return {KeyKind::unsupported, "missing"};
    }
    // RSA-PSS keys are "RSA-PSS", not "RSA": they cannot make PKCS#1 v1.5 signatures.
    if (EVP_PKEY_is_a(key, "RSA")) {
        const int bits = EVP_PKEY_get_bits(key);
        std::string description = "RSA " + std::to_string(bits) + " bits";
        return {bits >= kMinimumRsaBits ? KeyKind::rsa : KeyKind::unsupported,
                std::move(description)};
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        const std::string curve = ec_curve_name(key);
        if (curve == "prime256v1" || curve == "P-256") {
            return {KeyKind::ecdsa_p256, "ECDSA P-256"};
        }
        if (curve == "secp384r1" || curve == "P-384") {
            return {KeyKind::ecdsa_p384, "ECDSA P-384"};
        }
        if (curve == "secp521r1" || curve == "P-521") {
            return {KeyKind::unsupported, "ECDSA P-521"};
        }
        return {KeyKind::unsupported,
                curve.empty() ? "EC with explicit curve parameters" : "EC on curve " + curve};
    }
    if (EVP_PKEY_is_a(key, "ED25519")) {
        return {KeyKind::unsupported, "Ed25519"};
    }
    if (EVP_PKEY_is_a(key, "ED448")) {
        return {KeyKind::unsupported, "Ed448"};
    }
    const char* type = EVP_PKEY_get0_type_name(key);
    return {KeyKind::unsupported, type != nullptr ? std::string(type) : "of an unknown type"};
}

const EVP_MD* certificate_digest(KeyKind kind) {
    return kind == KeyKind::ecdsa_p384 ? EVP_sha384() : EVP_sha256();
}

}  // namespace pm::ca::detail
