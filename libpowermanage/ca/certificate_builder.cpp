#include "ca/certificate_builder.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

namespace pm::ca::detail {
namespace {

using Asn1Ia5StringPtr = Owned<ASN1_IA5STRING, ASN1_IA5STRING_free>;

constexpr std::size_t kSerialBytes = 16;
constexpr std::chrono::seconds kClockSkewAllowance{60};

void add_extension(X509* certificate, int nid, void* value, bool critical, const char* name) {
    if (X509_add1_ext_i2d(certificate, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
        throw_openssl(std::string("cannot add the ") + name + " extension");
    }
}

void set_random_serial(X509* certificate) {
    std::array<unsigned char, kSerialBytes> bytes{};
    BignumPtr serial;
    do {
        if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
            throw_openssl("cannot draw a certificate serial (check that /dev/urandom is readable)");
        }
        // A positive INTEGER of at most 16 bytes: RFC 5280 allows 20, and some parsers read
        // a set top bit as a negative number.
        bytes[0] &= 0x7F;
        serial.reset(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
        if (!serial) {
            throw_openssl("cannot make a certificate serial");
        }
    } while (BN_is_zero(serial.get()));
    if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) == nullptr) {
        throw_openssl("cannot set a certificate serial");
    }
}

std::string serial_hex(const X509* certificate) {
    const BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
    if (!serial) {
        throw_openssl("cannot read a certificate serial");
    }
    char* hex = BN_bn2hex(serial.get());
    if (hex == nullptr) {
        throw_openssl("cannot print a certificate serial");
    }
    std::string text(hex);
    OPENSSL_free(hex);
    // BN_bn2hex prints whole bytes, so a serial whose first byte is below 0x10 starts with 0.
    const std::size_t first = std::min(text.find_first_not_of('0'), text.size() - 1);
    return text.substr(first);
}

X509Ptr unsigned_certificate(const X509_NAME* subject, const Validity& validity) {
    X509Ptr certificate(X509_new());
    if (!certificate) {
        throw_openssl("cannot allocate a certificate");
    }
    if (X509_set_version(certificate.get(), X509_VERSION_3) != 1 ||
        X509_set_subject_name(certificate.get(), subject) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(certificate.get()), validity.not_before) == nullptr ||
        ASN1_TIME_set(X509_getm_notAfter(certificate.get()), validity.not_after) == nullptr) {
        throw_openssl("cannot fill in a certificate");
    }
    set_random_serial(certificate.get());
    return certificate;
}

void add_key_identifier(X509* certificate) {
    const std::vector<unsigned char> key_id = public_key_id(certificate);
    const Asn1OctetStringPtr identifier(ASN1_OCTET_STRING_new());
    if (!identifier || ASN1_OCTET_STRING_set(identifier.get(), key_id.data(),
                                             static_cast<int>(key_id.size())) != 1) {
        throw_openssl("cannot make a subject key identifier");
    }
    add_extension(certificate, NID_subject_key_identifier, identifier.get(), false,
                  "subjectKeyIdentifier");
}

// The AlgorithmIdentifier's parameters of a key the CA accepts: absent (Ed25519), NULL
// (RSA), a named curve's OID (EC), or, for what the key policy refuses later anyway, a string.
void* copy_parameter(int type, const void* value) {
    switch (type) {
        case V_ASN1_UNDEF:
        case V_ASN1_NULL:
            return nullptr;
        case V_ASN1_OBJECT:
            return OBJ_dup(static_cast<const ASN1_OBJECT*>(value));
        case V_ASN1_BOOLEAN:
            throw std::invalid_argument(
                "the public key's algorithm parameters are a BOOLEAN, which no key type has; "
                "generate the key again");
        default:
            return ASN1_STRING_dup(static_cast<const ASN1_STRING*>(value));
    }
}

void free_parameter(int type, void* value) {
    if (type == V_ASN1_OBJECT) {
        ASN1_OBJECT_free(static_cast<ASN1_OBJECT*>(value));
    } else {
        ASN1_STRING_free(static_cast<ASN1_STRING*>(value));
    }
}

void copy_public_key(X509_PUBKEY* to, const X509_PUBKEY* from) {
    ASN1_OBJECT* algorithm = nullptr;
    const unsigned char* bits = nullptr;
    int length = 0;
    X509_ALGOR* identifier = nullptr;
    if (X509_PUBKEY_get0_param(&algorithm, &bits, &length, &identifier, from) != 1 ||
        bits == nullptr || length <= 0) {
        throw_openssl("cannot read the request's public key");
    }
    int parameter_type = V_ASN1_UNDEF;
    const void* parameter = nullptr;
    X509_ALGOR_get0(nullptr, &parameter_type, &parameter, identifier);
    void* parameter_copy = copy_parameter(parameter_type, parameter);
    ASN1_OBJECT* algorithm_copy = OBJ_dup(algorithm);
    auto* bits_copy =
        static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<std::size_t>(length)));
    if (algorithm_copy == nullptr || (parameter != nullptr && parameter_copy == nullptr) ||
        bits_copy == nullptr) {
        free_parameter(parameter_type, parameter_copy);
        ASN1_OBJECT_free(algorithm_copy);
        OPENSSL_free(bits_copy);
        throw_openssl("cannot copy the request's public key");
    }
    // set0: `to` owns the copies from here on.
    if (X509_PUBKEY_set0_param(to, algorithm_copy, parameter_type, parameter_copy, bits_copy,
                               length) != 1) {
        throw_openssl("cannot set a certificate's public key");
    }
}

}  // namespace

Validity validity_from_now(std::chrono::seconds validity) {
    if (validity <= std::chrono::seconds::zero() || validity > kMaximumValidity) {
        throw std::invalid_argument("a certificate validity must be between 1 second and 100 " +
                                    std::string("years, not ") + std::to_string(validity.count()) +
                                    " seconds");
    }
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    return {now - kClockSkewAllowance.count(), now + validity.count()};
}

X509NamePtr make_name(std::initializer_list<std::pair<int, std::string_view>> entries) {
    X509NamePtr name(X509_NAME_new());
    if (!name) {
        throw_openssl("cannot allocate a name");
    }
    for (const auto& [nid, value] : entries) {
        if (value.empty() || value.find('\0') != std::string_view::npos ||
            value.size() > static_cast<std::size_t>(INT_MAX) ||
            X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), -1, 0) != 1) {
            ERR_clear_error();
            throw std::invalid_argument(std::string("\"") + std::string(value) +
                                        "\" cannot be a certificate's " + OBJ_nid2ln(nid) +
                                        " (it must be 1 to 64 characters without NUL)");
        }
    }
    return name;
}

X509Ptr new_certificate(EVP_PKEY* public_key, const X509_NAME* subject, const Validity& validity) {
    X509Ptr certificate = unsigned_certificate(subject, validity);
    if (X509_set_pubkey(certificate.get(), public_key) != 1) {
        throw_openssl("cannot set a certificate's public key");
    }
    add_key_identifier(certificate.get());
    return certificate;
}

X509Ptr new_certificate(const X509_PUBKEY* public_key, const X509_NAME* subject,
                        const Validity& validity) {
    X509Ptr certificate = unsigned_certificate(subject, validity);
    copy_public_key(X509_get_X509_PUBKEY(certificate.get()), public_key);
    add_key_identifier(certificate.get());
    return certificate;
}

std::vector<unsigned char> public_key_id(const X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_pubkey_digest(certificate, EVP_sha1(), digest, &length) != 1) {
        throw_openssl("cannot hash a public key");
    }
    return {digest, digest + length};
}

void add_basic_constraints(X509* certificate, bool is_ca, long path_length) {
    const BasicConstraintsPtr constraints(BASIC_CONSTRAINTS_new());
    if (!constraints) {
        throw_openssl("cannot allocate basicConstraints");
    }
    constraints->ca = is_ca ? 0xFF : 0;
    if (is_ca && path_length >= 0) {
        constraints->pathlen = ASN1_INTEGER_new();
        if (constraints->pathlen == nullptr ||
            ASN1_INTEGER_set(constraints->pathlen, path_length) != 1) {
            throw_openssl("cannot set the path length");
        }
    }
    add_extension(certificate, NID_basic_constraints, constraints.get(), true, "basicConstraints");
}

void add_key_usage(X509* certificate, std::initializer_list<int> bits) {
    const Asn1BitStringPtr usage(ASN1_BIT_STRING_new());
    if (!usage) {
        throw_openssl("cannot allocate keyUsage");
    }
    for (const int bit : bits) {
        if (ASN1_BIT_STRING_set_bit(usage.get(), bit, 1) != 1) {
            throw_openssl("cannot set a keyUsage bit");
        }
    }
    add_extension(certificate, NID_key_usage, usage.get(), true, "keyUsage");
}

void add_extended_key_usage(X509* certificate, int purpose_nid) {
    const ExtendedKeyUsagePtr usages(EXTENDED_KEY_USAGE_new());
    // OBJ_nid2obj returns a static object, which the stack's free leaves alone.
    if (!usages || !push_key_usage(usages.get(), OBJ_nid2obj(purpose_nid))) {
        throw_openssl("cannot make extendedKeyUsage");
    }
    add_extension(certificate, NID_ext_key_usage, usages.get(), false, "extendedKeyUsage");
}

void add_subject_alt_names(X509* certificate, GENERAL_NAMES* names) {
    add_extension(certificate, NID_subject_alt_name, names, false, "subjectAltName");
}

bool is_plausible_dns_name(std::string_view name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

GeneralNamePtr dns_general_name(std::string_view name) {
    if (!is_plausible_dns_name(name)) {
        throw std::invalid_argument("\"" + std::string(name) +
                                    "\" is not a DNS name (1 to 253 letters, digits, '-', '_' "
                                    "and '.')");
    }
    GeneralNamePtr general(GENERAL_NAME_new());
    Asn1Ia5StringPtr text(ASN1_IA5STRING_new());
    if (!general || !text ||
        ASN1_STRING_set(text.get(), name.data(), static_cast<int>(name.size())) != 1) {
        throw_openssl("cannot make a DNS name");
    }
    GENERAL_NAME_set0_value(general.get(), GEN_DNS, text.release());
    return general;
}

GeneralNamePtr ip_general_name(const std::string& address) {
    Asn1OctetStringPtr bytes(a2i_IPADDRESS(address.c_str()));
    if (!bytes) {
        ERR_clear_error();
        throw std::invalid_argument("\"" + address + "\" is not an IPv4 or IPv6 address");
    }
    GeneralNamePtr general(GENERAL_NAME_new());
    if (!general) {
        throw_openssl("cannot make an IP address name");
    }
    GENERAL_NAME_set0_value(general.get(), GEN_IPADD, bytes.release());
    return general;
}

void sign_certificate(X509* certificate, const Issuer& issuer) {
    if (X509_set_issuer_name(certificate, X509_get_subject_name(issuer.certificate)) != 1) {
        throw_openssl("cannot set the issuer name");
    }
    const AuthorityKeyIdPtr authority(AUTHORITY_KEYID_new());
    if (!authority) {
        throw_openssl("cannot allocate authorityKeyIdentifier");
    }
    authority->keyid = ASN1_OCTET_STRING_new();
    if (authority->keyid == nullptr ||
        ASN1_OCTET_STRING_set(authority->keyid, issuer.key_id.data(),
                              static_cast<int>(issuer.key_id.size())) != 1) {
        throw_openssl("cannot make authorityKeyIdentifier");
    }
    add_extension(certificate, NID_authority_key_identifier, authority.get(), false,
                  "authorityKeyIdentifier");
    if (issuer.prepared == nullptr) {
        if (X509_sign(certificate, issuer.key, issuer.digest) <= 0) {
            throw_openssl("cannot sign the certificate");
        }
        return;
    }
    const EvpMdCtxPtr context(EVP_MD_CTX_new());
    if (!context || EVP_MD_CTX_copy_ex(context.get(), issuer.prepared) != 1 ||
        X509_sign_ctx(certificate, context.get()) <= 0) {
        throw_openssl("cannot sign the certificate");
    }
}

EvpMdCtxPtr prepare_signing(EVP_PKEY* key, const EVP_MD* digest) {
    EvpMdCtxPtr context(EVP_MD_CTX_new());
    if (!context || EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key) != 1) {
        throw_openssl("cannot prepare the CA key for signing");
    }
    return context;
}

std::string sha256_fingerprint(X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) {
        throw_openssl("cannot hash a certificate");
    }
    return lower_hex(digest, length);
}

IssuedCertificate describe_certificate(X509* certificate, const Validity& validity) {
    IssuedCertificate issued;
    issued.pem = certificate_to_pem(certificate);
    issued.serial_hex = serial_hex(certificate);
    issued.sha256_fingerprint = sha256_fingerprint(certificate);
    issued.not_before = std::chrono::system_clock::from_time_t(validity.not_before);
    issued.not_after = std::chrono::system_clock::from_time_t(validity.not_after);
    return issued;
}

}  // namespace pm::ca::detail
