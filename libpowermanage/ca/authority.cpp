// Loading, creating and exporting a CA; signing lives in agent_certificate.cpp,
// server_certificate.cpp and action_signature.cpp.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <powermanage/ca/authority.hpp>

#include "ca/authority_state.hpp"
#include "ca/keygen.hpp"

namespace pm::ca {
namespace detail {
namespace {

// Asked for a passphrase means the key is encrypted: note it and make the read fail, since a
// server has nobody to type one.
int refuse_passphrase(char*, int, int, void* asked) {
    *static_cast<bool*>(asked) = true;
    return -1;
}

X509Ptr read_certificate(std::string_view pem, const std::string& label) {
    if (pem.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) {
        throw CaError(label + " is not a PEM certificate (no -----BEGIN CERTIFICATE----- line)");
    }
    const BioPtr bio = memory_bio(pem);
    X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!certificate) {
        throw CaError(label + " cannot be parsed as a PEM certificate: " + take_openssl_errors());
    }
    return certificate;
}

EvpPkeyPtr read_private_key(std::string_view pem, const std::string& label) {
    if (pem.find("-----BEGIN") == std::string_view::npos) {
        throw CaError(label + " is not a PEM private key (no -----BEGIN line)");
    }
    const BioPtr bio = memory_bio(pem);
    bool asked_for_passphrase = false;
    EvpPkeyPtr key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, &asked_for_passphrase));
    if (!key) {
        const std::string errors = take_openssl_errors();
        if (asked_for_passphrase) {
            throw CaError(label +
                          " is encrypted; give the CA an unencrypted key (e.g. `openssl pkey -in "
                          "encrypted.pem -out plain.pem`) and protect the file with its "
                          "permissions instead");
        }
        throw CaError(label +
                      " cannot be parsed as a PEM private key (PKCS#8, SEC1 EC or PKCS#1 "
                      "RSA): " +
                      errors);
    }
    return key;
}

std::string read_file(const std::string& path, const std::string& label) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw CaError("cannot open " + label + ": " + std::strerror(errno));
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad()) {
        throw CaError("cannot read " + label + ": " + std::strerror(errno));
    }
    return std::move(contents).str();
}

}  // namespace

CaMaterial load_ca(std::string_view certificate_pem, std::string_view key_pem,
                   const std::string& certificate_label, const std::string& key_label) {
    CaMaterial ca;
    ca.certificate = read_certificate(certificate_pem, certificate_label);
    ca.key = read_private_key(key_pem, key_label);
    const KeyAssessment key = assess_key(ca.key.get());
    if (key.kind == KeyKind::unsupported) {
        throw CaError(key_label + " is " + key.description + "; a CA key must be " +
                      std::string(kAcceptedKeys));
    }
    ca.key_kind = key.kind;
    if (X509_check_private_key(ca.certificate.get(), ca.key.get()) != 1) {
        ERR_clear_error();
        throw CaError(key_label + " does not belong to " + certificate_label +
                      " (the certificate's public key is not this key's)");
    }
    // 1 is exactly "basicConstraints CA:TRUE (and keyCertSign if there is a keyUsage)"; the
    // other non-zero answers are v1 roots and certificates without basicConstraints.
    if (X509_check_ca(ca.certificate.get()) != 1) {
        throw CaError(certificate_label +
                      " is not a CA certificate: it needs basicConstraints CA:TRUE (and "
                      "keyCertSign if it has a keyUsage)");
    }
    if (const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(ca.certificate.get())) {
        const unsigned char* bytes = ASN1_STRING_get0_data(id);
        ca.key_id.assign(bytes, bytes + ASN1_STRING_length(id));
    } else {
        ca.key_id = public_key_id(ca.certificate.get());
    }
    ca.certificate_pem = certificate_to_pem(ca.certificate.get());
    ca.signing = prepare_signing(ca.key.get(), certificate_digest(ca.key_kind));
    return ca;
}

}  // namespace detail

CertificateAuthority::CertificateAuthority(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;
CertificateAuthority::~CertificateAuthority() = default;

CertificateAuthority CertificateAuthority::from_pem(std::string_view certificate_pem,
                                                    std::string_view key_pem) {
    return CertificateAuthority(std::make_unique<State>(
        detail::load_ca(certificate_pem, key_pem, "the CA certificate", "the CA key")));
}

CertificateAuthority CertificateAuthority::from_files(const std::string& certificate_file,
                                                      const std::string& key_file) {
    const std::string certificate_label = "the CA certificate file \"" + certificate_file + "\"";
    const std::string key_label = "the CA key file \"" + key_file + "\"";
    const std::string certificate_pem = detail::read_file(certificate_file, certificate_label);
    const std::string key_pem = detail::read_file(key_file, key_label);
    return CertificateAuthority(std::make_unique<State>(
        detail::load_ca(certificate_pem, key_pem, certificate_label, key_label)));
}

CertificateAuthority CertificateAuthority::create(std::string_view common_name, KeyType key_type,
                                                  std::chrono::seconds validity) {
    detail::EvpPkeyPtr key;
    switch (key_type) {
        case KeyType::ecdsa_p256:
            key = detail::generate_ec_key("P-256");
            break;
        case KeyType::ecdsa_p384:
            key = detail::generate_ec_key("P-384");
            break;
        case KeyType::rsa_3072:
            key = detail::generate_rsa_key(3072);
            break;
    }
    if (!key) {
        throw std::invalid_argument("unknown CA key type");
    }
    const detail::Validity window = detail::validity_from_now(validity);
    const detail::X509NamePtr subject =
        detail::make_name({{NID_organizationName, "power-manage"}, {NID_commonName, common_name}});
    const detail::X509Ptr certificate = detail::new_certificate(key.get(), subject.get(), window);
    detail::add_basic_constraints(certificate.get(), true, 0);
    detail::add_key_usage(certificate.get(), {5 /* keyCertSign */, 6 /* cRLSign */});
    const std::vector<unsigned char> key_id = detail::public_key_id(certificate.get());
    const detail::KeyKind kind = detail::assess_key(key.get()).kind;
    detail::sign_certificate(certificate.get(), {certificate.get(), key.get(),
                                                 detail::certificate_digest(kind), key_id});
    // Through PEM and load_ca, so a created CA is exactly what from_pem() of its files gives.
    return CertificateAuthority(std::make_unique<State>(detail::load_ca(
        detail::certificate_to_pem(certificate.get()), detail::private_key_to_pem(key.get()),
        "the new CA certificate", "the new CA key")));
}

std::string CertificateAuthority::certificate_pem() const {
    return state_->certificate_pem;
}

std::string CertificateAuthority::private_key_pem() const {
    return detail::private_key_to_pem(state_->key.get());
}

std::string certificate_fingerprint(std::string_view certificate_pem) {
    const detail::X509Ptr certificate =
        detail::read_certificate(certificate_pem, "the certificate");
    return detail::sha256_fingerprint(certificate.get());
}

}  // namespace pm::ca
