/* The C ABI without a database: ULIDs, the CA (CSRs made here with OpenSSL, chains verified
 * here with OpenSSL), action signatures, JWTs, and the error paths of each. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

int check_failures = 0;

static void test_ulid(void) {
    char previous[PM_ULID_LENGTH + 1] = "";
    char id[PM_ULID_LENGTH + 1];
    pm_error* err = NULL;
    uint64_t ms = 0;
    int i;
    for (i = 0; i < 2000; ++i) {
        CHECK_STATUS(PM_OK, pm_ulid_new(id, &err), err);
        CHECK(strlen(id) == PM_ULID_LENGTH);
        CHECK(pm_ulid_is_valid(id));
        /* Strictly increasing, also within one millisecond. */
        CHECK(strcmp(previous, id) < 0);
        memcpy(previous, id, sizeof id);
    }
    CHECK_STATUS(PM_OK, pm_ulid_timestamp_ms(id, &ms, &err), err);
    CHECK(ms / 1000 + 5 >= (uint64_t)time(NULL) && ms / 1000 <= (uint64_t)time(NULL) + 5);
    CHECK(!pm_ulid_is_valid("not a ulid"));
    CHECK(!pm_ulid_is_valid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ")); /* overflows 128 bits */
    CHECK(!pm_ulid_is_valid(NULL));
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_ulid_timestamp_ms("nope", &ms, &err), err);
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_ulid_new(NULL, &err), err);
    /* The error out-parameter is optional. */
    CHECK(pm_ulid_timestamp_ms("nope", &ms, NULL) == PM_ERR_INVALID_ARGUMENT);
}

/* A PKCS#10 request for `hostname` with a new key from `algorithm` ("EC" P-256 or "RSA"). */
static X509_REQ* make_request(const char* hostname, int rsa_bits) {
    EVP_PKEY* key = rsa_bits != 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits)
                                  : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509_REQ* req = X509_REQ_new();
    X509_NAME* name = X509_NAME_new();
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char*)hostname, -1, -1, 0);
    X509_REQ_set_subject_name(req, name);
    X509_REQ_set_pubkey(req, key);
    X509_REQ_sign(req, key, EVP_sha256());
    X509_NAME_free(name);
    EVP_PKEY_free(key);
    return req;
}

static char* request_pem(X509_REQ* req) {
    BIO* bio = BIO_new(BIO_s_mem());
    char* data = NULL;
    long size;
    char* out;
    PEM_write_bio_X509_REQ(bio, req);
    size = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)size + 1);
    memcpy(out, data, (size_t)size);
    out[size] = '\0';
    BIO_free(bio);
    return out;
}

static X509* parse_certificate(const char* pem) {
    BIO* bio = BIO_new_mem_buf(pem, -1);
    X509* cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return cert;
}

/* 1 if `leaf_pem` chains to `ca_pem` for TLS client authentication. */
static int chain_verifies(const char* ca_pem, const char* leaf_pem) {
    X509* ca = parse_certificate(ca_pem);
    X509* leaf = parse_certificate(leaf_pem);
    X509_STORE* store = X509_STORE_new();
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    int ok = 0;
    if (ca != NULL && leaf != NULL) {
        X509_STORE_add_cert(store, ca);
        X509_STORE_CTX_init(ctx, store, leaf, NULL);
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
        ok = X509_verify_cert(ctx) == 1;
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(ca);
    return ok;
}

static void test_ca(void) {
    pm_error* err = NULL;
    pm_ca* ca = NULL;
    pm_ca* other = NULL;
    pm_ca* reloaded = NULL;
    pm_certificate* cert = NULL;
    char* ca_pem = NULL;
    char* key_pem = NULL;
    char* other_pem = NULL;
    char device[PM_ULID_LENGTH + 1];
    X509_REQ* req = make_request("host-1.example", 0);
    char* csr = request_pem(req);
    unsigned char* der = NULL;
    int der_size = i2d_X509_REQ(req, &der);

    pm_ulid_new(device, NULL);
    CHECK_STATUS(PM_OK, pm_ca_create("test CA", PM_CA_KEY_ECDSA_P256, 3600, &ca, &err), err);
    CHECK_STATUS(PM_OK, pm_ca_create("other CA", PM_CA_KEY_ECDSA_P384, 3600, &other, &err), err);
    CHECK_STATUS(PM_OK, pm_ca_certificate_pem(ca, &ca_pem, &err), err);
    CHECK_STATUS(PM_OK, pm_ca_private_key_pem(ca, &key_pem, &err), err);
    CHECK_STATUS(PM_OK, pm_ca_certificate_pem(other, &other_pem, &err), err);

    CHECK_STATUS(PM_OK, pm_ca_sign_csr(ca, csr, strlen(csr), device, 86400, &cert, &err), err);
    if (cert != NULL) {
        X509* leaf = parse_certificate(cert->pem);
        char cn[64] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn);
        CHECK(strcmp(cn, device) == 0);
        CHECK(strlen(cert->sha256_fingerprint) == 64);
        CHECK(strlen(cert->serial_hex) > 0);
        CHECK(cert->not_after - cert->not_before >= 86400);
        CHECK(chain_verifies(ca_pem, cert->pem));
        /* The check can fail: another CA's certificate does not anchor it. */
        CHECK(!chain_verifies(other_pem, cert->pem));
        X509_free(leaf);
    }
    pm_certificate_free(cert);
    cert = NULL;

    /* DER works too; a flipped signature byte, garbage and small keys are refused. */
    CHECK_STATUS(PM_OK, pm_ca_sign_csr(ca, der, (size_t)der_size, device, 60, &cert, &err), err);
    pm_certificate_free(cert);
    cert = NULL;
    der[der_size - 1] ^= 0x01;
    CHECK_STATUS(PM_ERR_CSR_BAD_SIGNATURE,
                 pm_ca_sign_csr(ca, der, (size_t)der_size, device, 60, &cert, &err), err);
    CHECK_STATUS(PM_ERR_CSR_MALFORMED, pm_ca_sign_csr(ca, "garbage", 7, device, 60, &cert, &err),
                 err);
    {
        X509_REQ* small = make_request("small.example", 1024);
        char* small_pem = request_pem(small);
        CHECK_STATUS(PM_ERR_CSR_UNSUPPORTED_KEY,
                     pm_ca_sign_csr(ca, small_pem, strlen(small_pem), device, 60, &cert, &err),
                     err);
        free(small_pem);
        X509_REQ_free(small);
    }
    CHECK(cert == NULL); /* failures leave out-parameters alone */
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT,
                 pm_ca_sign_csr(ca, csr, strlen(csr), device, 0, &cert, &err), err);
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_ca_sign_csr(NULL, csr, 1, device, 60, &cert, &err),
                 err);

    /* A CA from PEM: bad PEM is PM_ERR_CA; a saved CA signs like the original. */
    CHECK_STATUS(PM_ERR_CA, pm_ca_from_pem("not a certificate", key_pem, &reloaded, &err), err);
    CHECK_STATUS(PM_ERR_CA, pm_ca_from_pem(ca_pem, "not a key", &reloaded, &err), err);
    CHECK_STATUS(PM_ERR_CA, pm_ca_from_pem(other_pem, key_pem, &reloaded, &err), err);
    CHECK_STATUS(PM_OK, pm_ca_from_pem(ca_pem, key_pem, &reloaded, &err), err);

    {
        const char params[] = "{\"script\":\"echo hi\"}";
        const char tampered[] = "{\"script\":\"rm -rf\"}";
        void* sig = NULL;
        size_t sig_size = 0;
        CHECK_STATUS(
            PM_OK, pm_ca_sign_action(ca, device, 3, params, strlen(params), &sig, &sig_size, &err),
            err);
        CHECK(sig != NULL && sig_size > 8);
        CHECK_STATUS(
            PM_OK, pm_ca_verify_action(ca, device, 3, params, strlen(params), sig, sig_size, &err),
            err);
        CHECK_STATUS(
            PM_OK,
            pm_ca_verify_action(reloaded, device, 3, params, strlen(params), sig, sig_size, &err),
            err);
        CHECK_STATUS(
            PM_ERR_BAD_SIGNATURE,
            pm_ca_verify_action(ca, device, 3, tampered, strlen(tampered), sig, sig_size, &err),
            err);
        CHECK_STATUS(
            PM_ERR_BAD_SIGNATURE,
            pm_ca_verify_action(ca, device, 4, params, strlen(params), sig, sig_size, &err), err);
        CHECK_STATUS(
            PM_ERR_BAD_SIGNATURE,
            pm_ca_verify_action(other, device, 3, params, strlen(params), sig, sig_size, &err),
            err);
        CHECK_STATUS(PM_ERR_BAD_SIGNATURE,
                     pm_ca_verify_action(ca, device, 3, params, strlen(params), "junk", 4, &err),
                     err);
        pm_free(sig);
    }

    pm_ca_free(reloaded);
    pm_ca_free(other);
    pm_ca_free(ca);
    pm_free(ca_pem);
    pm_free(key_pem);
    pm_free(other_pem);
    OPENSSL_free(der);
    free(csr);
    X509_REQ_free(req);
}

static void test_jwt(void) {
    static const char secret[] = "0123456789abcdef0123456789abcdef";
    static const char other_secret[] = "fedcba9876543210fedcba9876543210";
    pm_error* err = NULL;
    pm_jwt* jwt = NULL;
    pm_jwt* other = NULL;
    pm_claims* got = NULL;
    char* token = NULL;
    char* forged = NULL;
    const int64_t now = (int64_t)time(NULL);
    pm_claims claims;
    memset(&claims, 0, sizeof claims);
    claims.user_id = "01HV0000000000000000000000";
    claims.email = "ada@example.com";
    claims.role = "admin";
    claims.type = PM_TOKEN_ACCESS;
    claims.session_version = 2;
    claims.issued_at = now;
    claims.expires_at = now + 900;

    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_jwt_open("short", 5, &jwt, &err), err);
    CHECK(jwt == NULL);
    CHECK_STATUS(PM_OK, pm_jwt_open(secret, strlen(secret), &jwt, &err), err);
    CHECK_STATUS(PM_OK, pm_jwt_open(other_secret, strlen(other_secret), &other, &err), err);
    CHECK_STATUS(PM_OK, pm_jwt_issue(jwt, &claims, &token, &err), err);
    CHECK_STATUS(PM_OK, pm_jwt_issue(other, &claims, &forged, &err), err);

    CHECK_STATUS(PM_OK, pm_jwt_verify(jwt, token, PM_TOKEN_ACCESS, 0, &got, &err), err);
    if (got != NULL) {
        CHECK(strcmp(got->user_id, claims.user_id) == 0);
        CHECK(strcmp(got->email, claims.email) == 0);
        CHECK(strcmp(got->role, "admin") == 0);
        CHECK(got->session_version == 2);
        CHECK(got->type == PM_TOKEN_ACCESS);
        CHECK(got->expires_at == now + 900);
        CHECK(pm_ulid_is_valid(got->jti)); /* a jti was made up */
        CHECK(strcmp(got->family, "") == 0);
    }
    pm_claims_free(got);
    got = NULL;
    CHECK_STATUS(PM_OK, pm_jwt_verify(jwt, token, PM_TOKEN_ACCESS, now + 899, NULL, &err), err);
    CHECK_STATUS(PM_ERR_TOKEN_EXPIRED,
                 pm_jwt_verify(jwt, token, PM_TOKEN_ACCESS, now + 900, &got, &err), err);
    CHECK_STATUS(PM_ERR_TOKEN_TYPE, pm_jwt_verify(jwt, token, PM_TOKEN_REFRESH, 0, &got, &err),
                 err);
    CHECK_STATUS(PM_ERR_BAD_SIGNATURE, pm_jwt_verify(jwt, forged, PM_TOKEN_ACCESS, 0, &got, &err),
                 err);
    CHECK_STATUS(PM_ERR_TOKEN_MALFORMED, pm_jwt_verify(jwt, "a.b", PM_TOKEN_ACCESS, 0, &got, &err),
                 err);
    {
        /* {"alg":"none","typ":"JWT"} with the real payload and no signature. */
        char unsigned_token[2048];
        const char* payload = strchr(token, '.');
        const char* end = strrchr(token, '.');
        snprintf(unsigned_token, sizeof unsigned_token, "%s%.*s.",
                 "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", (int)(end - payload), payload);
        CHECK_STATUS(PM_ERR_TOKEN_ALGORITHM,
                     pm_jwt_verify(jwt, unsigned_token, PM_TOKEN_ACCESS, 0, &got, &err), err);
    }
    CHECK(got == NULL);
    claims.expires_at = claims.issued_at;
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_jwt_issue(jwt, &claims, &forged, &err), err);
    claims.user_id = NULL;
    CHECK_STATUS(PM_ERR_INVALID_ARGUMENT, pm_jwt_issue(jwt, &claims, &forged, &err), err);

    pm_free(token);
    pm_free(forged);
    pm_jwt_free(other);
    pm_jwt_free(jwt);
}

static void test_errors(void) {
    CHECK(pm_error_status(NULL) == PM_OK);
    CHECK(strcmp(pm_error_message(NULL), "") == 0);
    CHECK(strcmp(pm_status_name(PM_ERR_TIMEOUT), "PM_ERR_TIMEOUT") == 0);
    CHECK(strcmp(pm_version(), "") != 0);
    pm_error_free(NULL);
    pm_free(NULL);
}

int main(void) {
    test_errors();
    test_ulid();
    test_ca();
    test_jwt();
    if (check_failures != 0) {
        fprintf(stderr, "%d check(s) failed\n", check_failures);
        return 1;
    }
    puts("capi_crypto_test: all checks passed");
    return 0;
}
