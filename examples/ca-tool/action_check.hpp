#pragma once
/// @file
/// @brief Checking an action signature with the CA certificate alone, as an agent does: the
/// tool's verify-action needs no private key, so it can run wherever the certificate is.
#include <string_view>

namespace pm::catool {

/// Whether `signature` (raw bytes) is the signature of the CA in `ca_certificate_pem` over
/// the action's signing input (pm::ca::CertificateAuthority::action_signing_input). Throws
/// std::runtime_error when the certificate cannot be parsed or has no usable key.
bool signature_matches(std::string_view ca_certificate_pem, std::string_view action_id,
                       int action_type, std::string_view params_canonical,
                       std::string_view signature);

}  // namespace pm::catool
