#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <powermanage/ca/authority.hpp>

#include "boundary.hpp"

struct pm_ca {
    pm::ca::CertificateAuthority authority;
};

namespace {

using pm::capi::Failure;

// An issued certificate: the C view first, the strings it points into after.
struct OwnedCertificate : pm_certificate {
    std::string pem_text, serial_text, fingerprint_text;
};

std::int64_t to_unix(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::chrono::seconds validity(std::int64_t seconds) {
    if (seconds <= 0) {
        throw Failure(PM_ERR_INVALID_ARGUMENT,
                      "validity_seconds must be positive, got " + std::to_string(seconds));
    }
    return std::chrono::seconds(seconds);
}

pm::ca::KeyType key_type(pm_ca_key_type type) {
    switch (type) {
        case PM_CA_KEY_ECDSA_P256:
            return pm::ca::KeyType::ecdsa_p256;
        case PM_CA_KEY_ECDSA_P384:
            return pm::ca::KeyType::ecdsa_p384;
        case PM_CA_KEY_RSA_3072:
            return pm::ca::KeyType::rsa_3072;
    }
    throw Failure(PM_ERR_INVALID_ARGUMENT, "key type " + std::to_string(static_cast<int>(type)) +
                                               " is not a pm_ca_key_type");
}

std::string_view bytes(const void* data, std::size_t size, const char* name) {
    if (data == nullptr && size != 0) {
        throw Failure(PM_ERR_INVALID_ARGUMENT,
                      std::string(name) + " is NULL but its size is " + std::to_string(size));
    }
    return size == 0 ? std::string_view() : std::string_view(static_cast<const char*>(data), size);
}

}  // namespace

extern "C" {

pm_status pm_ca_create(const char* common_name, pm_ca_key_type type, int64_t validity_seconds,
                       pm_ca** out, pm_error** error) {
    return pm::capi::guarded("pm_ca_create", error, [&] {
        pm::capi::require(common_name, "common_name");
        pm::capi::require(out, "out");
        *out = new pm_ca{pm::ca::CertificateAuthority::create(common_name, key_type(type),
                                                              validity(validity_seconds))};
    });
}

pm_status pm_ca_from_pem(const char* certificate_pem, const char* key_pem, pm_ca** out,
                         pm_error** error) {
    return pm::capi::guarded("pm_ca_from_pem", error, [&] {
        pm::capi::require(certificate_pem, "certificate_pem");
        pm::capi::require(key_pem, "key_pem");
        pm::capi::require(out, "out");
        *out = new pm_ca{pm::ca::CertificateAuthority::from_pem(certificate_pem, key_pem)};
    });
}

void pm_ca_free(pm_ca* ca) {
    delete ca;
}

pm_status pm_ca_certificate_pem(const pm_ca* ca, char** out, pm_error** error) {
    return pm::capi::guarded("pm_ca_certificate_pem", error, [&] {
        pm::capi::require(ca, "ca");
        pm::capi::require(out, "out");
        *out = pm::capi::copy_string(ca->authority.certificate_pem());
    });
}

pm_status pm_ca_private_key_pem(const pm_ca* ca, char** out, pm_error** error) {
    return pm::capi::guarded("pm_ca_private_key_pem", error, [&] {
        pm::capi::require(ca, "ca");
        pm::capi::require(out, "out");
        *out = pm::capi::copy_string(ca->authority.private_key_pem());
    });
}

void pm_certificate_free(pm_certificate* certificate) {
    // Every pm_certificate this library hands out is an OwnedCertificate.
    delete static_cast<OwnedCertificate*>(certificate);
}

pm_status pm_ca_sign_csr(const pm_ca* ca, const void* csr, size_t csr_size, const char* device_id,
                         int64_t validity_seconds, pm_certificate** out, pm_error** error) {
    return pm::capi::guarded("pm_ca_sign_csr", error, [&] {
        pm::capi::require(ca, "ca");
        pm::capi::require(device_id, "device_id");
        pm::capi::require(out, "out");
        auto issued = ca->authority.sign_agent_request(bytes(csr, csr_size, "csr"), device_id,
                                                       validity(validity_seconds));
        auto owned = std::make_unique<OwnedCertificate>();
        owned->pem_text = std::move(issued.pem);
        owned->serial_text = std::move(issued.serial_hex);
        owned->fingerprint_text = std::move(issued.sha256_fingerprint);
        owned->pem = owned->pem_text.c_str();
        owned->serial_hex = owned->serial_text.c_str();
        owned->sha256_fingerprint = owned->fingerprint_text.c_str();
        owned->not_before = to_unix(issued.not_before);
        owned->not_after = to_unix(issued.not_after);
        *out = owned.release();
    });
}

pm_status pm_ca_sign_action(const pm_ca* ca, const char* action_id, int action_type,
                            const void* params, size_t params_size, void** signature,
                            size_t* signature_size, pm_error** error) {
    return pm::capi::guarded("pm_ca_sign_action", error, [&] {
        pm::capi::require(ca, "ca");
        pm::capi::require(action_id, "action_id");
        pm::capi::require(signature, "signature");
        pm::capi::require(signature_size, "signature_size");
        const std::string signed_bytes =
            ca->authority.sign_action(action_id, action_type, bytes(params, params_size, "params"));
        *signature = pm::capi::copy_bytes(signed_bytes.data(), signed_bytes.size());
        *signature_size = signed_bytes.size();
    });
}

pm_status pm_ca_verify_action(const pm_ca* ca, const char* action_id, int action_type,
                              const void* params, size_t params_size, const void* signature,
                              size_t signature_size, pm_error** error) {
    return pm::capi::guarded("pm_ca_verify_action", error, [&] {
        pm::capi::require(ca, "ca");
        pm::capi::require(action_id, "action_id");
        if (!ca->authority.verify_action(action_id, action_type,
                                         bytes(params, params_size, "params"),
                                         bytes(signature, signature_size, "signature"))) {
            throw Failure(PM_ERR_BAD_SIGNATURE, "the signature does not match action '" +
                                                    std::string(action_id) +
                                                    "' (tampered, or signed by another CA)");
        }
    });
}

}  // extern "C"
