// CertificateAuthority::sign_agent_request: an agent's client certificate.
#include <powermanage/ca/authority.hpp>

#include "ca/authority_state.hpp"
#include "ca/certificate_builder.hpp"
#include "ca/csr.hpp"

namespace pm::ca {

IssuedCertificate CertificateAuthority::sign_agent_request(std::string_view csr,
                                                           std::string_view device_id,
                                                           std::chrono::seconds validity) const {
    // Our own arguments first: a bad device id or validity is the caller's error, not the
    // client's, and must not be reported as a CsrError.
    const detail::Validity window = detail::validity_from_now(validity);
    const detail::X509NamePtr subject = detail::make_name({{NID_organizationName, "power-manage"},
                                                           {NID_serialNumber, device_id},
                                                           {NID_commonName, device_id}});
    const detail::AgentCsr request = detail::read_agent_csr(csr);

    // The request's SubjectPublicKeyInfo goes into the certificate as it is: the key was
    // decoded once to check the policy and the request's signature, and is not encoded again.
    const detail::X509Ptr certificate = detail::new_certificate(
        X509_REQ_get_X509_PUBKEY(request.request.get()), subject.get(), window);
    detail::add_basic_constraints(certificate.get(), false);
    if (request.key_kind == detail::KeyKind::rsa) {
        detail::add_key_usage(certificate.get(),
                              {0 /* digitalSignature */, 2 /* keyEncipherment */});
    } else {
        detail::add_key_usage(certificate.get(), {0 /* digitalSignature */});
    }
    detail::add_extended_key_usage(certificate.get(), NID_client_auth);
    // Only the host name is taken from the request: everything else it asks for (other SAN
    // types, usages, constraints) is the CA's to decide.
    if (!request.dns_names.empty()) {
        const detail::GeneralNamesPtr names(GENERAL_NAMES_new());
        if (!names) {
            detail::throw_openssl("cannot allocate subjectAltName");
        }
        for (const std::string& dns : request.dns_names) {
            detail::GeneralNamePtr name = detail::dns_general_name(dns);
            if (!detail::push_general_name(names.get(), name)) {
                detail::throw_openssl("cannot build subjectAltName");
            }
        }
        detail::add_subject_alt_names(certificate.get(), names.get());
    }
    detail::sign_certificate(certificate.get(), state_->issuer());
    return detail::describe_certificate(certificate.get(), window);
}

}  // namespace pm::ca
