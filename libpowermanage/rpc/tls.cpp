#include "rpc/tls.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace pm::rpc::detail {
namespace {

namespace ssl = boost::asio::ssl;

// ALPN wire format: each name preceded by its length; our preference first.
constexpr unsigned char kServerAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned int offered_length, void*) {
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, out_length, kServerAlpn, sizeof(kServerAlpn), offered,
                              offered_length) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;  // no common protocol: continue without ALPN (HTTP/1.1)
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

[[noreturn]] void fail(const std::string& what, const std::string& file, const std::string& why) {
    throw std::runtime_error("TLS " + what + " \"" + file + "\" cannot be used: " + why);
}

template <class Load>
void load(const std::string& what, const std::string& file, Load&& load_it) {
    try {
        load_it();
    } catch (const boost::system::system_error& error) {
        fail(what, file, error.code().message());
    }
}

struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct BignumDeleter {
    void operator()(BIGNUM* number) const { BN_free(number); }
};

std::string lower_hex(const unsigned char* bytes, std::size_t size) {
    constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += kDigits[bytes[i] >> 4];
        out += kDigits[bytes[i] & 0x0F];
    }
    return out;
}

}  // namespace

ssl::context make_server_context(const TlsOptions& options) {
    ssl::context context(ssl::context::tls_server);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::single_dh_use);
    auto* native = context.native_handle();
    if (options.min_version != TLS1_2_VERSION && options.min_version != TLS1_3_VERSION) {
        throw std::runtime_error("TLS min_version must be 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3)");
    }
    SSL_CTX_set_min_proto_version(native, options.min_version);
    load("certificate file", options.certificate_file,
         [&] { context.use_certificate_chain_file(options.certificate_file); });
    load("private key file", options.private_key_file,
         [&] { context.use_private_key_file(options.private_key_file, ssl::context::pem); });
    if (SSL_CTX_check_private_key(native) != 1) {
        fail("private key file", options.private_key_file,
             "it does not match the certificate in \"" + options.certificate_file + "\"");
    }
    if (options.client_auth != TlsOptions::ClientAuth::none) {
        if (options.client_ca_file.empty()) {
            throw std::runtime_error("TLS client certificates need client_ca_file");
        }
        load("client CA file", options.client_ca_file,
             [&] { context.load_verify_file(options.client_ca_file); });
        // Tell clients which CAs we accept, so they pick the right certificate.
        if (auto* names = SSL_load_client_CA_file(options.client_ca_file.c_str())) {
            SSL_CTX_set_client_CA_list(native, names);
        }
        auto mode = ssl::verify_peer;
        if (options.client_auth == TlsOptions::ClientAuth::required) {
            mode |= ssl::verify_fail_if_no_peer_cert;
        }
        context.set_verify_mode(mode);
        // Session resumption with client certificates needs an id context.
        constexpr unsigned char kSessionContext[] = "powermanage";
        SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
    } else {
        context.set_verify_mode(ssl::verify_none);
    }
    SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
    // Idle connections keep their 30 KB of buffers out of the way (machine-limits.md).
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    return context;
}

ssl::context make_client_context(const std::string& ca_file, const std::string& certificate_file,
                                 const std::string& private_key_file,
                                 std::initializer_list<std::string_view> alpn) {
    ssl::context context(ssl::context::tls_client);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    if (ca_file.empty()) {
        context.set_default_verify_paths();
    } else {
        load("CA file", ca_file, [&] { context.load_verify_file(ca_file); });
    }
    context.set_verify_mode(ssl::verify_peer);
    if (!certificate_file.empty()) {
        load("certificate file", certificate_file,
             [&] { context.use_certificate_chain_file(certificate_file); });
        load("private key file", private_key_file,
             [&] { context.use_private_key_file(private_key_file, ssl::context::pem); });
    }
    std::string wire;
    for (const auto protocol : alpn) {
        wire += static_cast<char>(protocol.size());
        wire += protocol;
    }
    if (!wire.empty()) {
        SSL_CTX_set_alpn_protos(context.native_handle(),
                                reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size()));
    }
    return context;
}

std::optional<PeerCertificate> peer_certificate(SSL* ssl) {
    std::unique_ptr<X509, X509Deleter> cert(SSL_get1_peer_certificate(ssl));
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) {
        return std::nullopt;
    }
    PeerCertificate peer;
    if (auto* subject = X509_get_subject_name(cert.get())) {
        const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
        if (index >= 0) {
            unsigned char* utf8 = nullptr;
            const int length = ASN1_STRING_to_UTF8(
                &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
            if (length >= 0) {
                peer.subject_cn.assign(reinterpret_cast<const char*>(utf8),
                                       static_cast<std::size_t>(length));
                OPENSSL_free(utf8);
            }
        }
    }
    if (std::unique_ptr<BIGNUM, BignumDeleter> serial(
            ASN1_INTEGER_to_BN(X509_get_serialNumber(cert.get()), nullptr));
        serial) {
        if (char* hex = BN_bn2hex(serial.get())) {
            // Without leading zeros, as ca::IssuedCertificate::serial_hex stores it.
            peer.serial_hex = hex;
            OPENSSL_free(hex);
            const auto first = peer.serial_hex.find_first_not_of('0');
            peer.serial_hex.erase(0,
                                  first == std::string::npos ? peer.serial_hex.size() - 1 : first);
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (X509_digest(cert.get(), EVP_sha256(), digest, &digest_length) == 1) {
        peer.sha256_fingerprint = lower_hex(digest, digest_length);
    }
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
    if (bio && PEM_write_bio_X509(bio.get(), cert.get()) == 1) {
        char* data = nullptr;
        // BIO_get_mem_data without its C-style cast.
        const long size = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, static_cast<void*>(&data));
        if (size > 0) {
            peer.pem.assign(data, static_cast<std::size_t>(size));
        }
    }
    return peer;
}

std::string selected_alpn(SSL* ssl) {
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &data, &length);
    return data == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(data), length);
}

}  // namespace pm::rpc::detail
