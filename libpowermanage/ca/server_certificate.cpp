// CertificateAuthority::issue_server_certificate: the gateway's TLS server certificate.
#include <stdexcept>

#include <powermanage/ca/authority.hpp>

#include "ca/authority_state.hpp"
#include "ca/certificate_builder.hpp"
#include "ca/keygen.hpp"

namespace pm::ca {

ServerCredentials CertificateAuthority::issue_server_certificate(
    const std::vector<std::string>& dns_names, const std::vector<std::string>& ip_addresses,
    std::chrono::seconds validity) const {
    if (dns_names.empty() && ip_addresses.empty()) {
        throw std::invalid_argument(
            "a server certificate needs at least one DNS name or IP address");
    }
    const detail::Validity window = detail::validity_from_now(validity);
    // Names are checked (and may throw) before the comparatively slow key generation.
    const detail::GeneralNamesPtr names(GENERAL_NAMES_new());
    if (!names) {
        detail::throw_openssl("cannot allocate subjectAltName");
    }
    for (const std::string& dns : dns_names) {
        detail::GeneralNamePtr name = detail::dns_general_name(dns);
        if (!detail::push_general_name(names.get(), name)) {
            detail::throw_openssl("cannot build subjectAltName");
        }
    }
    for (const std::string& address : ip_addresses) {
        detail::GeneralNamePtr name = detail::ip_general_name(address);
        if (!detail::push_general_name(names.get(), name)) {
            detail::throw_openssl("cannot build subjectAltName");
        }
    }
    // Clients match the SANs; the CN is for people reading the certificate. A CN holds at most
    // 64 characters, so a longer first name is left out of it rather than refused.
    const std::string& first = dns_names.empty() ? ip_addresses.front() : dns_names.front();
    const detail::X509NamePtr subject =
        first.size() <= 64
            ? detail::make_name({{NID_organizationName, "power-manage"}, {NID_commonName, first}})
            : detail::make_name({{NID_organizationName, "power-manage"}});

    const detail::EvpPkeyPtr key = detail::generate_ec_key("P-256");
    const detail::X509Ptr certificate = detail::new_certificate(key.get(), subject.get(), window);
    detail::add_basic_constraints(certificate.get(), false);
    detail::add_key_usage(certificate.get(), {0 /* digitalSignature */});
    detail::add_extended_key_usage(certificate.get(), NID_server_auth);
    detail::add_subject_alt_names(certificate.get(), names.get());
    detail::sign_certificate(certificate.get(), state_->issuer());

    ServerCredentials credentials;
    credentials.certificate = detail::describe_certificate(certificate.get(), window);
    credentials.private_key_pem = detail::private_key_to_pem(key.get());
    return credentials;
}

}  // namespace pm::ca
