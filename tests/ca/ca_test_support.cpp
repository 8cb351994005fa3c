#include "ca_test_support.hpp"

#include <cstdint>
#include <cstdio>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

// OpenSSL's stack and BIO macros cast in C style.
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"

namespace pm::ca::testing {
namespace {

struct BioFree {
    void operator()(BIO* bio) const { BIO_free_all(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio input(const std::string& text) {
    return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string contents(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

GENERAL_NAMES* alt_names(const X509* certificate) {
    return static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
}

}  // namespace

Certificate parse_certificate(const std::string& pem) {
    const Bio bio = input(pem);
    Certificate certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    EXPECT_TRUE(certificate) << pem;
    return certificate;
}

Key parse_private_key(const std::string& pem) {
    const Bio bio = input(pem);
    Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    EXPECT_TRUE(key);
    return key;
}

std::vector<std::string> subject_entries(const X509* certificate, int nid) {
    std::vector<std::string> values;
    const X509_NAME* name = X509_get_subject_name(certificate);
    for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
         i = X509_NAME_get_index_by_NID(name, nid, i)) {
        unsigned char* utf8 = nullptr;
        const int length =
            ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
        values.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
        OPENSSL_free(utf8);
    }
    return values;
}

std::vector<std::string> dns_names(const X509* certificate) {
    std::vector<std::string> names;
    GENERAL_NAMES* all = alt_names(certificate);
    for (int i = 0; i < sk_GENERAL_NAME_num(all); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(all, i);
        if (name->type == GEN_DNS) {
            names.emplace_back(
                reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
        }
    }
    GENERAL_NAMES_free(all);
    return names;
}

std::vector<std::string> ip_addresses(const X509* certificate) {
    std::vector<std::string> addresses;
    GENERAL_NAMES* all = alt_names(certificate);
    for (int i = 0; i < sk_GENERAL_NAME_num(all); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(all, i);
        if (name->type == GEN_IPADD) {
            const unsigned char* bytes = ASN1_STRING_get0_data(name->d.iPAddress);
            const int length = ASN1_STRING_length(name->d.iPAddress);
            char buffer[64];
            if (length == 4) {
                std::snprintf(buffer, sizeof(buffer), "%d.%d.%d.%d", bytes[0], bytes[1], bytes[2],
                              bytes[3]);
                addresses.emplace_back(buffer);
            } else {
                std::string hex;
                for (int j = 0; j < length; ++j) {
                    std::snprintf(buffer, sizeof(buffer), "%02x", bytes[j]);
                    hex += buffer;
                }
                addresses.push_back(hex);
            }
        }
    }
    GENERAL_NAMES_free(all);
    return addresses;
}

int alt_name_count(const X509* certificate) {
    GENERAL_NAMES* all = alt_names(certificate);
    const int count = all == nullptr ? 0 : sk_GENERAL_NAME_num(all);
    GENERAL_NAMES_free(all);
    return count;
}

std::vector<int> extended_key_usages(const X509* certificate) {
    std::vector<int> usages;
    auto* all = static_cast<EXTENDED_KEY_USAGE*>(
        X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr));
    for (int i = 0; i < sk_ASN1_OBJECT_num(all); ++i) {
        usages.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(all, i)));
    }
    EXTENDED_KEY_USAGE_free(all);
    return usages;
}

int basic_constraints_ca(const X509* certificate, bool* critical, long* path_length) {
    int crit = -1;
    auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(certificate, NID_basic_constraints, &crit, nullptr));
    if (constraints == nullptr) {
        return -1;
    }
    *critical = crit == 1;
    *path_length = constraints->pathlen == nullptr ? -1 : ASN1_INTEGER_get(constraints->pathlen);
    const int ca = constraints->ca ? 1 : 0;
    BASIC_CONSTRAINTS_free(constraints);
    return ca;
}

unsigned long key_usage(X509* certificate) {
    const uint32_t usage = X509_get_key_usage(certificate);
    return usage == UINT32_MAX ? 0 : usage;
}

std::time_t to_time_t(const ASN1_TIME* time) {
    std::tm parts{};
    EXPECT_EQ(ASN1_TIME_to_tm(time, &parts), 1);
    return timegm(&parts);
}

bool verifies_with(X509* certificate, X509* issuer) {
    if (X509_verify(certificate, X509_get0_pubkey(issuer)) != 1) {
        ERR_clear_error();
        return false;
    }
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, issuer);
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    X509_STORE_CTX_init(context, store, certificate, nullptr);
    const bool valid = X509_verify_cert(context) == 1;
    if (!valid) {
        ADD_FAILURE() << X509_verify_cert_error_string(X509_STORE_CTX_get_error(context));
    }
    X509_STORE_CTX_free(context);
    X509_STORE_free(store);
    return valid;
}

std::string csr_der(const std::string& pem) {
    const Bio bio = input(pem);
    X509_REQ* request = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
    EXPECT_NE(request, nullptr);
    unsigned char* der = nullptr;
    const int length = i2d_X509_REQ(request, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    X509_REQ_free(request);
    return out;
}

std::string traditional_key_pem(const std::string& pkcs8_pem) {
    const Key key = parse_private_key(pkcs8_pem);
    const Bio out(BIO_new(BIO_s_mem()));
    EXPECT_EQ(PEM_write_bio_PrivateKey_traditional(out.get(), key.get(), nullptr, nullptr, 0,
                                                   nullptr, nullptr),
              1);
    return contents(out.get());
}

std::string encrypted_key_pem(const std::string& pkcs8_pem, const std::string& passphrase) {
    const Key key = parse_private_key(pkcs8_pem);
    const Bio out(BIO_new(BIO_s_mem()));
    EXPECT_EQ(PEM_write_bio_PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(),
                                       reinterpret_cast<const unsigned char*>(passphrase.data()),
                                       static_cast<int>(passphrase.size()), nullptr, nullptr),
              1);
    return contents(out.get());
}

bool digest_verify(const std::string& certificate_pem, const std::string& message,
                   const std::string& signature) {
    const Certificate certificate = parse_certificate(certificate_pem);
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    EXPECT_EQ(EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr,
                                   X509_get0_pubkey(certificate.get())),
              1);
    const int result = EVP_DigestVerify(
        context, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
        reinterpret_cast<const unsigned char*>(message.data()), message.size());
    EVP_MD_CTX_free(context);
    ERR_clear_error();
    return result == 1;
}

std::string der_sha256(X509* certificate) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(certificate, &der);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    EVP_Digest(der, static_cast<std::size_t>(length), digest, &digest_length, EVP_sha256(),
               nullptr);
    OPENSSL_free(der);
    std::string hex;
    char buffer[3];
    for (unsigned int i = 0; i < digest_length; ++i) {
        std::snprintf(buffer, sizeof(buffer), "%02x", digest[i]);
        hex += buffer;
    }
    return hex;
}

const CertificateAuthority& p256_ca() {
    static const CertificateAuthority ca = CertificateAuthority::create(
        "Test P-256 CA", KeyType::ecdsa_p256, std::chrono::hours(24 * 365));
    return ca;
}

const CertificateAuthority& p384_ca() {
    static const CertificateAuthority ca = CertificateAuthority::create(
        "Test P-384 CA", KeyType::ecdsa_p384, std::chrono::hours(24 * 365));
    return ca;
}

const CertificateAuthority& rsa_ca() {
    static const CertificateAuthority ca = CertificateAuthority::create(
        "Test RSA CA", KeyType::rsa_3072, std::chrono::hours(24 * 365));
    return ca;
}

}  // namespace pm::ca::testing
