#pragma once
/// @file
/// @brief New key pairs, through the OpenSSL 3 EVP_PKEY_Q_keygen interface.
#include "ca/openssl_util.hpp"

namespace pm::ca::detail {

/// A new EC key on `curve` ("P-256", "P-384", "P-521").
EvpPkeyPtr generate_ec_key(const char* curve);
/// A new RSA key of `bits` bits.
EvpPkeyPtr generate_rsa_key(std::size_t bits);
/// A new Ed25519 key.
EvpPkeyPtr generate_ed25519_key();

}  // namespace pm::ca::detail
