#include "ca/openssl_util.hpp"

#include <climits>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/pem.h>

namespace pm::ca::detail {

// OpenSSL's safestack macros cast in C style; this is the one place they are expanded.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"

void ExtensionStackDeleter::operator()(STACK_OF(X509_EXTENSION) * extensions) const {
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
}

bool push_general_name(GENERAL_NAMES* names, GeneralNamePtr& name) {
    if (sk_GENERAL_NAME_push(names, name.get()) <= 0) {
        return false;
    }
    name.release();
    return true;
}

int general_name_count(const GENERAL_NAMES* names) {
    return sk_GENERAL_NAME_num(names);
}

const GENERAL_NAME* general_name_at(const GENERAL_NAMES* names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}

bool push_key_usage(EXTENDED_KEY_USAGE* usages, ASN1_OBJECT* usage) {
    return sk_ASN1_OBJECT_push(usages, usage) > 0;
}

ExtensionStackPtr new_extension_stack() {
    return ExtensionStackPtr(sk_X509_EXTENSION_new_null());
}

bool push_extension(STACK_OF(X509_EXTENSION) * extensions, X509ExtensionPtr& extension) {
    if (sk_X509_EXTENSION_push(extensions, extension.get()) <= 0) {
        return false;
    }
    extension.release();
    return true;
}

#pragma GCC diagnostic pop

std::string take_openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof(buffer));
        if (!text.empty()) {
            text += "; ";
        }
        text += buffer;
    }
    return text.empty() ? std::string("no OpenSSL error recorded") : text;
}

void throw_openssl(const std::string& what) {
    throw std::runtime_error(what + ": " + take_openssl_errors());
}

BioPtr memory_bio(std::string_view text) {
    if (text.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("input of " + std::to_string(text.size()) +
                                    " bytes is too large");
    }
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) {
        throw_openssl("cannot allocate a memory BIO");
    }
    return bio;
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    // BIO_get_mem_data without its C-style cast.
    const long size = BIO_ctrl(bio, BIO_CTRL_INFO, 0, static_cast<void*>(&data));
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

namespace {

BioPtr output_bio() {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        throw_openssl("cannot allocate a memory BIO");
    }
    return bio;
}

}  // namespace

std::string certificate_to_pem(X509* certificate) {
    const BioPtr bio = output_bio();
    if (PEM_write_bio_X509(bio.get(), certificate) != 1) {
        throw_openssl("cannot write a certificate as PEM");
    }
    return bio_contents(bio.get());
}

std::string private_key_to_pem(const EVP_PKEY* key) {
    const BioPtr bio = output_bio();
    // PEM_write_bio_PrivateKey writes PKCS#8 ("PRIVATE KEY") for every key type.
    if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        throw_openssl("cannot write a private key as PEM");
    }
    return bio_contents(bio.get());
}

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

}  // namespace pm::ca::detail
