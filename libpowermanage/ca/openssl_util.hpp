#pragma once
/// @file
/// @brief Ownership and small conveniences for the OpenSSL objects the CA handles.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace pm::ca::detail {

/// Calls `Free` on the pointer it owns.
template <class T, void (*Free)(T*)>
struct OpenSslDeleter {
    void operator()(T* object) const { Free(object); }
};
/// A unique_ptr that frees with the OpenSSL function `Free`.
template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, OpenSslDeleter<T, Free>>;

using BioPtr = Owned<BIO, BIO_free_all>;
using BignumPtr = Owned<BIGNUM, BN_free>;
using EvpPkeyPtr = Owned<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = Owned<EVP_MD_CTX, EVP_MD_CTX_free>;
using X509Ptr = Owned<X509, X509_free>;
using X509ReqPtr = Owned<X509_REQ, X509_REQ_free>;
using X509NamePtr = Owned<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = Owned<X509_EXTENSION, X509_EXTENSION_free>;
using Asn1IntegerPtr = Owned<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1OctetStringPtr = Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Asn1BitStringPtr = Owned<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using GeneralNamePtr = Owned<GENERAL_NAME, GENERAL_NAME_free>;
using GeneralNamesPtr = Owned<GENERAL_NAMES, GENERAL_NAMES_free>;
using BasicConstraintsPtr = Owned<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using AuthorityKeyIdPtr = Owned<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using ExtendedKeyUsagePtr = Owned<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>;

/// Frees a stack of extensions and the extensions in it.
struct ExtensionStackDeleter {
    void operator()(STACK_OF(X509_EXTENSION) * extensions) const;
};
/// An owned stack of extensions (as X509_REQ_get_extensions returns).
using ExtensionStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackDeleter>;

// The safestack macros expand to C casts; these wrap them where -Wold-style-cast is silenced.

/// Appends `name` to `names`; true when it now belongs to the stack.
bool push_general_name(GENERAL_NAMES* names, GeneralNamePtr& name);
/// How many names `names` holds.
int general_name_count(const GENERAL_NAMES* names);
/// The name at `index`, owned by `names`.
const GENERAL_NAME* general_name_at(const GENERAL_NAMES* names, int index);
/// Appends the (static) object `usage` to `usages`.
bool push_key_usage(EXTENDED_KEY_USAGE* usages, ASN1_OBJECT* usage);
/// A new empty stack of extensions.
ExtensionStackPtr new_extension_stack();
/// Appends `extension` to `extensions`; true when it now belongs to the stack.
bool push_extension(STACK_OF(X509_EXTENSION) * extensions, X509ExtensionPtr& extension);

/// The queued OpenSSL errors as one line (most recent last), and an empty queue afterwards.
std::string take_openssl_errors();
/// Throws std::runtime_error "<what>: <OpenSSL errors>".
[[noreturn]] void throw_openssl(const std::string& what);

/// A read-only memory BIO over `text` (which must outlive it).
BioPtr memory_bio(std::string_view text);
/// Everything written to a memory BIO.
std::string bio_contents(BIO* bio);

/// The certificate in PEM.
std::string certificate_to_pem(X509* certificate);
/// The private key in unencrypted PKCS#8 PEM.
std::string private_key_to_pem(const EVP_PKEY* key);

/// Lower-case hex of `size` bytes.
std::string lower_hex(const unsigned char* bytes, std::size_t size);

}  // namespace pm::ca::detail
