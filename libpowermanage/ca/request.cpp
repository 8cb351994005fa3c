// make_agent_request: a request as a Power Manage agent makes it, for simulations and tests.
#include <stdexcept>

#include <openssl/pem.h>

#include <powermanage/ca/request.hpp>

#include "ca/certificate_builder.hpp"
#include "ca/keygen.hpp"
#include "ca/openssl_util.hpp"

namespace pm::ca {

AgentRequest make_agent_request(std::string_view hostname, RequestKeyType key_type) {
    detail::EvpPkeyPtr key;
    const EVP_MD* digest = EVP_sha256();
    switch (key_type) {
        case RequestKeyType::ecdsa_p256:
            key = detail::generate_ec_key("P-256");
            break;
        case RequestKeyType::ecdsa_p384:
            key = detail::generate_ec_key("P-384");
            digest = EVP_sha384();
            break;
        case RequestKeyType::ecdsa_p521:
            key = detail::generate_ec_key("P-521");
            digest = EVP_sha512();
            break;
        case RequestKeyType::rsa_1024:
            key = detail::generate_rsa_key(1024);
            break;
        case RequestKeyType::rsa_2048:
            key = detail::generate_rsa_key(2048);
            break;
        case RequestKeyType::ed25519:
            key = detail::generate_ed25519_key();
            digest = nullptr;  // Ed25519 hashes internally; a digest must not be named
            break;
    }
    if (!key) {
        throw std::runtime_error("unknown request key type");
    }

    detail::X509ReqPtr request(X509_REQ_new());
    if (!request || X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) != 1) {
        detail::throw_openssl("cannot make a certificate request");
    }
    detail::X509NamePtr subject;
    detail::GeneralNamePtr name;
    try {
        subject = detail::make_name({{NID_commonName, hostname}});
        name = detail::dns_general_name(hostname);
    } catch (const std::invalid_argument& error) {
        throw std::runtime_error(error.what());
    }
    const detail::GeneralNamesPtr names(GENERAL_NAMES_new());
    if (!names || !detail::push_general_name(names.get(), name)) {
        detail::throw_openssl("cannot make subjectAltName");
    }
    detail::X509ExtensionPtr san(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    const detail::ExtensionStackPtr extensions = detail::new_extension_stack();
    if (!san || !extensions || !detail::push_extension(extensions.get(), san) ||
        X509_REQ_set_subject_name(request.get(), subject.get()) != 1 ||
        X509_REQ_add_extensions(request.get(), extensions.get()) != 1 ||
        X509_REQ_set_pubkey(request.get(), key.get()) != 1 ||
        X509_REQ_sign(request.get(), key.get(), digest) <= 0) {
        detail::throw_openssl("cannot make a certificate request");
    }

    const detail::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509_REQ(bio.get(), request.get()) != 1) {
        detail::throw_openssl("cannot write a certificate request");
    }
    return {detail::bio_contents(bio.get()), detail::private_key_to_pem(key.get())};
}

}  // namespace pm::ca
