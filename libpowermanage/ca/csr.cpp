#include "ca/csr.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <powermanage/ca/authority.hpp>

#include "ca/certificate_builder.hpp"

namespace pm::ca::detail {
namespace {

using Reason = CsrError::Reason;

X509ReqPtr parse_request(std::string_view csr) {
    if (csr.empty()) {
        throw CsrError(Reason::malformed,
                       "the certificate request is empty; send a PKCS#10 "
                       "request in PEM (-----BEGIN CERTIFICATE REQUEST-----) "
                       "or DER");
    }
    if (csr.size() > kMaximumCsrBytes) {
        throw CsrError(Reason::malformed, "the certificate request is " +
                                              std::to_string(csr.size()) +
                                              " bytes; a PKCS#10 request is at most 64 KiB");
    }
    X509ReqPtr request;
    if (csr.find("-----BEGIN") != std::string_view::npos) {
        const BioPtr bio = memory_bio(csr);
        // Reads "CERTIFICATE REQUEST" and the older "NEW CERTIFICATE REQUEST", skipping other
        // PEM blocks before it.
        request.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
    } else {
        const auto* der = reinterpret_cast<const unsigned char*>(csr.data());
        const unsigned char* end = der;
        request.reset(d2i_X509_REQ(nullptr, &end, static_cast<long>(csr.size())));
        // Trailing bytes mean this was not one DER request but something that starts like one.
        if (request && end != der + csr.size()) {
            request.reset();
        }
    }
    if (!request) {
        ERR_clear_error();
        throw CsrError(Reason::malformed,
                       "the certificate request is not a PKCS#10 request in PEM "
                       "(-----BEGIN CERTIFICATE REQUEST-----) or DER; generate it again");
    }
    return request;
}

std::vector<std::string> requested_dns_names(X509_REQ* request) {
    const ExtensionStackPtr extensions(X509_REQ_get_extensions(request));
    // No extensionRequest attribute yields an empty or null stack: no names, which is fine.
    if (!extensions) {
        ERR_clear_error();
        return {};
    }
    int critical = -1;
    const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509V3_get_d2i(extensions.get(), NID_subject_alt_name, &critical, nullptr)));
    if (!names) {
        ERR_clear_error();
        if (critical == -1) {
            return {};
        }
        throw CsrError(Reason::malformed,
                       critical == -2
                           ? "the certificate request has more than one subjectAltName extension; "
                             "request one with the host name as its DNS name"
                           : "the certificate request's subjectAltName cannot be parsed; request "
                             "the host name as a DNS name");
    }
    std::vector<std::string> dns_names;
    for (int i = 0; i < general_name_count(names.get()); ++i) {
        const GENERAL_NAME* name = general_name_at(names.get(), i);
        if (name->type != GEN_DNS) {
            continue;  // only the host name is certified; addresses, URIs, e-mail are dropped
        }
        const ASN1_IA5STRING* text = name->d.dNSName;
        std::string dns(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                        static_cast<std::size_t>(ASN1_STRING_length(text)));
        if (!is_plausible_dns_name(dns)) {
            throw CsrError(Reason::malformed,
                           "the certificate request's DNS name \"" + dns +
                               "\" is not a host name (1 to 253 letters, digits, '-', '_' and "
                               "'.'); request the machine's host name");
        }
        dns_names.push_back(std::move(dns));
    }
    return dns_names;
}

}  // namespace

AgentCsr read_agent_csr(std::string_view csr) {
    AgentCsr parsed;
    parsed.request = parse_request(csr);
    parsed.public_key = X509_REQ_get0_pubkey(parsed.request.get());
    if (parsed.public_key == nullptr) {
        ERR_clear_error();
        throw CsrError(Reason::malformed,
                       "the certificate request's public key cannot be parsed; generate a new "
                       "ECDSA P-256 key and request");
    }
    // The key is checked first: for a key we would refuse anyway, a signature check is wasted
    // work and "use another key" is the more useful answer.
    const KeyAssessment key = assess_key(parsed.public_key);
    if (key.kind == KeyKind::unsupported) {
        throw CsrError(Reason::unsupported_key, "the CSR's key is " + key.description + "; use " +
                                                    std::string(kAcceptedKeys));
    }
    parsed.key_kind = key.kind;
    // X509_REQ_verify: 1 verifies, 0 does not, < 0 could not be checked (unknown algorithm).
    if (X509_REQ_verify(parsed.request.get(), X509_REQ_get0_pubkey(parsed.request.get())) != 1) {
        ERR_clear_error();
        throw CsrError(Reason::bad_signature,
                       "the CSR's signature does not verify with its own public key; the request "
                       "was altered or signed with another key, so generate it again with the "
                       "key it names");
    }
    parsed.dns_names = requested_dns_names(parsed.request.get());
    return parsed;
}

}  // namespace pm::ca::detail
