#include "support/test_pki.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace pm::testing {
namespace {

struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test PKI: ") + what + " failed");
    }
}

Key new_key() {
    // EVP_EC_gen() would do, but it is a macro that casts away const.
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
    check(ctx != nullptr, "EVP_PKEY_CTX_new_from_name");
    check(EVP_PKEY_keygen_init(ctx.get()) == 1, "EVP_PKEY_keygen_init");
    check(EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") == 1, "EVP_PKEY_CTX_set_group_name");
    EVP_PKEY* key = nullptr;
    check(EVP_PKEY_keygen(ctx.get(), &key) == 1, "EVP_PKEY_keygen");
    return Key(key);
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(extension != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, extension, -1) == 1, "X509_add_ext");
    X509_EXTENSION_free(extension);
}

// Subject CN=`cn`, signed by `issuer_key` (the issuer is `issuer`, or the certificate itself).
Cert new_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
              const char* extended_usage, const char* alt_names) {
    Cert cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    check(RAND_bytes(serial, sizeof(serial)) == 1, "RAND_bytes");
    serial[0] &= 0x7F;  // positive
    BIGNUM* number = BN_bin2bn(serial, sizeof(serial), nullptr);
    BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
    BN_free(number);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 60 * 60);
    check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509* signer = issuer != nullptr ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) {
        add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    }
    if (ca) {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), signer, NID_ext_key_usage, extended_usage);
    }
    if (alt_names != nullptr) {
        add_extension(cert.get(), signer, NID_subject_alt_name, alt_names);
    }
    check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

void write_cert(const std::filesystem::path& path, X509* cert) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "w"));
    check(file != nullptr, "fopen");
    check(PEM_write_X509(file.get(), cert) == 1, "PEM_write_X509");
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "w"));
    check(file != nullptr, "fopen");
    check(PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_PrivateKey");
}

}  // namespace

TestPki::TestPki(std::string client_cn) : client_cn_(std::move(client_cn)) {
    std::string pattern = (std::filesystem::temp_directory_path() / "pm-pki.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    }
    dir_ = pattern;

    const auto ca_key = new_key();
    const auto ca =
        new_cert("pm test CA", ca_key.get(), nullptr, ca_key.get(), true, nullptr, nullptr);
    const auto other_ca_key = new_key();
    const auto other_ca = new_cert("pm test other CA", other_ca_key.get(), nullptr,
                                   other_ca_key.get(), true, nullptr, nullptr);
    const auto server_key = new_key();
    const auto server = new_cert("localhost", server_key.get(), ca.get(), ca_key.get(), false,
                                 "serverAuth", "IP:127.0.0.1,DNS:localhost");
    const auto client_key = new_key();
    const auto client = new_cert(client_cn_, client_key.get(), ca.get(), ca_key.get(), false,
                                 "clientAuth", nullptr);
    const auto stranger_key = new_key();
    const auto stranger = new_cert(client_cn_, stranger_key.get(), other_ca.get(),
                                   other_ca_key.get(), false, "clientAuth", nullptr);

    write_cert(dir_ / "ca.pem", ca.get());
    write_cert(dir_ / "other-ca.pem", other_ca.get());
    write_cert(dir_ / "server.pem", server.get());
    write_key(dir_ / "server.key", server_key.get());
    write_cert(dir_ / "client.pem", client.get());
    write_key(dir_ / "client.key", client_key.get());
    write_cert(dir_ / "stranger.pem", stranger.get());
    write_key(dir_ / "stranger.key", stranger_key.get());
}

TestPki::~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

}  // namespace pm::testing
