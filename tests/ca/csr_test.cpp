// sign_agent_request: what an agent's certificate says, and the requests that are refused.
#include <chrono>
#include <ctime>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/ca/request.hpp>

#include "ca_test_support.hpp"

namespace pm::ca {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing;

constexpr std::string_view kDeviceId = "01JQ3Z8Y7X6W5V4T3S2R1Q0P9N";

struct Refusal {
    CsrError::Reason reason;
    std::string message;
};

Refusal refusal(std::string_view csr) {
    try {
        (void)p256_ca().sign_agent_request(csr, kDeviceId, 24h);
    } catch (const CsrError& error) {
        return {error.reason(), error.what()};
    }
    ADD_FAILURE() << "the request was signed";
    return {CsrError::Reason::malformed, {}};
}

void expect_agent_certificate(const CertificateAuthority& ca, const AgentRequest& request,
                              const IssuedCertificate& issued, bool rsa_key) {
    const Certificate certificate = parse_certificate(issued.pem);
    ASSERT_TRUE(certificate);
    const Certificate ca_certificate = parse_certificate(ca.certificate_pem());
    EXPECT_EQ(X509_get_version(certificate.get()), X509_VERSION_3);
    EXPECT_THAT(subject_entries(certificate.get(), NID_commonName), ElementsAre(kDeviceId));
    EXPECT_THAT(subject_entries(certificate.get(), NID_serialNumber), ElementsAre(kDeviceId));
    EXPECT_THAT(subject_entries(certificate.get(), NID_organizationName),
                ElementsAre("power-manage"));
    EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(certificate.get())), 3);
    EXPECT_THAT(dns_names(certificate.get()), ElementsAre("agent-42.example.lan"));
    EXPECT_EQ(alt_name_count(certificate.get()), 1);
    EXPECT_THAT(extended_key_usages(certificate.get()), ElementsAre(NID_client_auth));
    bool critical = false;
    long path_length = 0;
    EXPECT_EQ(basic_constraints_ca(certificate.get(), &critical, &path_length), 0);
    EXPECT_TRUE(critical);
    EXPECT_EQ(key_usage(certificate.get()),
              rsa_key ? static_cast<unsigned long>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)
                      : static_cast<unsigned long>(KU_DIGITAL_SIGNATURE));
    EXPECT_NE(X509_get0_subject_key_id(certificate.get()), nullptr);
    ASSERT_NE(X509_get0_authority_key_id(certificate.get()), nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(certificate.get()),
                                    X509_get0_subject_key_id(ca_certificate.get())),
              0);
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(certificate.get()),
                            X509_get_subject_name(ca_certificate.get())),
              0);
    EXPECT_TRUE(verifies_with(certificate.get(), ca_certificate.get()));

    // The certified key is the request's.
    const Key agent_key = parse_private_key(request.private_key_pem);
    EXPECT_EQ(X509_check_private_key(certificate.get(), agent_key.get()), 1);

    // Validity: from a minute ago for 24 hours, as reported.
    const std::time_t now = std::time(nullptr);
    const std::time_t not_before = to_time_t(X509_get0_notBefore(certificate.get()));
    const std::time_t not_after = to_time_t(X509_get0_notAfter(certificate.get()));
    EXPECT_NEAR(static_cast<double>(not_before), static_cast<double>(now - 60), 5.0);
    EXPECT_EQ(not_after - not_before, 24 * 3600 + 60);
    EXPECT_EQ(std::chrono::system_clock::to_time_t(issued.not_before), not_before);
    EXPECT_EQ(std::chrono::system_clock::to_time_t(issued.not_after), not_after);

    // Serial: positive, at most 128 bits, reported as upper-case hex without leading zeros.
    const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate.get());
    BIGNUM* number = ASN1_INTEGER_to_BN(serial, nullptr);
    EXPECT_FALSE(BN_is_negative(number));
    EXPECT_LE(BN_num_bits(number), 127);
    char* hex = BN_bn2hex(number);
    std::string expected_hex(hex);
    OPENSSL_free(hex);
    BN_free(number);
    expected_hex.erase(0, expected_hex.find_first_not_of('0'));
    EXPECT_EQ(issued.serial_hex, expected_hex);
    EXPECT_NE(issued.serial_hex.front(), '0');
    EXPECT_EQ(issued.serial_hex.find_first_not_of("0123456789ABCDEF"), std::string::npos);

    EXPECT_EQ(issued.sha256_fingerprint, der_sha256(certificate.get()));
    EXPECT_EQ(issued.sha256_fingerprint, certificate_fingerprint(issued.pem));
}

struct Case {
    const char* name;
    RequestKeyType key;
    bool rsa;
};

class AgentKeys : public ::testing::TestWithParam<Case> {};

TEST_P(AgentKeys, IssuesAClientCertificateFromEveryCa) {
    const AgentRequest request = make_agent_request("agent-42.example.lan", GetParam().key);
    EXPECT_THAT(request.csr_pem, HasSubstr("-----BEGIN CERTIFICATE REQUEST-----"));
    for (const CertificateAuthority* ca : {&p256_ca(), &p384_ca(), &rsa_ca()}) {
        const IssuedCertificate issued = ca->sign_agent_request(request.csr_pem, kDeviceId, 24h);
        expect_agent_certificate(*ca, request, issued, GetParam().rsa);
    }
}

INSTANTIATE_TEST_SUITE_P(All, AgentKeys,
                         ::testing::Values(Case{"P256", RequestKeyType::ecdsa_p256, false},
                                           Case{"P384", RequestKeyType::ecdsa_p384, false},
                                           Case{"RSA2048", RequestKeyType::rsa_2048, true}),
                         [](const auto& name_info) { return std::string(name_info.param.name); });

// The request's SubjectPublicKeyInfo in DER, read with OpenSSL alone.
std::string request_spki(const std::string& csr_pem) {
    const std::string der = csr_der(csr_pem);
    const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
    X509_REQ* request = d2i_X509_REQ(nullptr, &bytes, static_cast<long>(der.size()));
    EXPECT_NE(request, nullptr);
    unsigned char* spki = nullptr;
    const int length = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(request), &spki);
    EXPECT_GT(length, 0);
    std::string out(reinterpret_cast<char*>(spki), static_cast<std::size_t>(length));
    OPENSSL_free(spki);
    X509_REQ_free(request);
    return out;
}

std::string certificate_spki(X509* certificate) {
    unsigned char* spki = nullptr;
    const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &spki);
    EXPECT_GT(length, 0);
    std::string out(reinterpret_cast<char*>(spki), static_cast<std::size_t>(length));
    OPENSSL_free(spki);
    return out;
}

// A signature by the agent's private key, made here with EVP_DigestSign.
std::string agent_signature(const std::string& private_key_pem, const std::string& message) {
    const Key key = parse_private_key(private_key_pem);
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    std::size_t length = 0;
    std::string signature;
    if (EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
        EVP_DigestSign(context, nullptr, &length,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1) {
        signature.resize(length);
        EXPECT_EQ(
            EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size()),
            1);
        signature.resize(length);
    }
    EVP_MD_CTX_free(context);
    EXPECT_FALSE(signature.empty());
    return signature;
}

// The CA copies the request's key without decoding and re-encoding it: the certificate must
// carry exactly the request's bytes, and still be a certificate OpenSSL verifies on its own.
TEST_P(AgentKeys, CertifiesTheRequestsPublicKeyByteForByte) {
    const AgentRequest request = make_agent_request("agent-42.example.lan", GetParam().key);
    const std::string spki = request_spki(request.csr_pem);
    const std::string message = "nonce 5d1c9f";
    const std::string signature = agent_signature(request.private_key_pem, message);
    for (const CertificateAuthority* ca : {&p256_ca(), &p384_ca(), &rsa_ca()}) {
        const IssuedCertificate issued = ca->sign_agent_request(request.csr_pem, kDeviceId, 24h);
        const Certificate certificate = parse_certificate(issued.pem);
        ASSERT_TRUE(certificate);
        EXPECT_EQ(certificate_spki(certificate.get()), spki);
        const Certificate ca_certificate = parse_certificate(ca->certificate_pem());
        EXPECT_EQ(X509_verify(certificate.get(), X509_get0_pubkey(ca_certificate.get())), 1);
        EXPECT_TRUE(digest_verify(issued.pem, message, signature));
        EXPECT_FALSE(digest_verify(issued.pem, message + ".", signature));
    }
}

TEST(SignAgentRequestTest, SignatureDigestFollowsTheCaKey) {
    const AgentRequest request = make_agent_request("host");
    const auto digest_of = [&](const CertificateAuthority& ca) {
        const Certificate certificate =
            parse_certificate(ca.sign_agent_request(request.csr_pem, kDeviceId, 1h).pem);
        int digest = 0;
        int key = 0;
        EXPECT_EQ(X509_get_signature_info(certificate.get(), &digest, &key, nullptr, nullptr), 1);
        return digest;
    };
    EXPECT_EQ(digest_of(p256_ca()), NID_sha256);
    EXPECT_EQ(digest_of(rsa_ca()), NID_sha256);
    EXPECT_EQ(digest_of(p384_ca()), NID_sha384);
}

TEST(SignAgentRequestTest, AcceptsADerRequest) {
    const AgentRequest request = make_agent_request("agent-42.example.lan");
    const std::string der = csr_der(request.csr_pem);
    const IssuedCertificate issued = p256_ca().sign_agent_request(der, kDeviceId, 24h);
    expect_agent_certificate(p256_ca(), request, issued, false);
}

TEST(SignAgentRequestTest, SerialsAreUniqueOverAThousandCertificates) {
    const AgentRequest request = make_agent_request("host");
    std::set<std::string> serials;
    for (int i = 0; i < 1000; ++i) {
        serials.insert(p256_ca().sign_agent_request(request.csr_pem, kDeviceId, 1h).serial_hex);
    }
    EXPECT_EQ(serials.size(), 1000U);
}

TEST(SignAgentRequestTest, RefusesWeakAndUnsupportedKeysSayingWhatToUse) {
    const Refusal rsa = refusal(make_agent_request("host", RequestKeyType::rsa_1024).csr_pem);
    EXPECT_EQ(rsa.reason, CsrError::Reason::unsupported_key);
    EXPECT_THAT(rsa.message, HasSubstr("the CSR's key is RSA 1024 bits; use ECDSA P-256"));
    EXPECT_THAT(rsa.message, HasSubstr("RSA of at least 2048 bits"));

    const Refusal ed = refusal(make_agent_request("host", RequestKeyType::ed25519).csr_pem);
    EXPECT_EQ(ed.reason, CsrError::Reason::unsupported_key);
    EXPECT_THAT(ed.message, HasSubstr("the CSR's key is Ed25519; use ECDSA P-256"));

    const Refusal p521 = refusal(make_agent_request("host", RequestKeyType::ecdsa_p521).csr_pem);
    EXPECT_EQ(p521.reason, CsrError::Reason::unsupported_key);
    EXPECT_THAT(p521.message, HasSubstr("the CSR's key is ECDSA P-521; use ECDSA P-256"));
}

TEST(SignAgentRequestTest, RefusesGarbage) {
    for (const std::string_view garbage :
         {std::string_view("hello, CA"), std::string_view(""),
          std::string_view("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                           "-----END CERTIFICATE REQUEST-----\n"),
          std::string_view("\x30\x03\x02\x01\x00", 5)}) {
        const Refusal refused = refusal(garbage);
        EXPECT_EQ(refused.reason, CsrError::Reason::malformed) << garbage;
        EXPECT_THAT(refused.message, HasSubstr("PKCS#10")) << garbage;
    }
    // A certificate is not a request.
    EXPECT_EQ(refusal(p256_ca().certificate_pem()).reason, CsrError::Reason::malformed);
    // Trailing bytes after a DER request.
    const std::string der = csr_der(make_agent_request("host").csr_pem) + "x";
    EXPECT_EQ(refusal(der).reason, CsrError::Reason::malformed);
}

TEST(SignAgentRequestTest, RefusesATamperedSignature) {
    for (const RequestKeyType key : {RequestKeyType::ecdsa_p256, RequestKeyType::rsa_2048}) {
        std::string der = csr_der(make_agent_request("host", key).csr_pem);
        // The signature BIT STRING ends the DER: its last byte is signature, not structure.
        der.back() = static_cast<char>(der.back() ^ 0x01);
        const Refusal refused = refusal(der);
        EXPECT_EQ(refused.reason, CsrError::Reason::bad_signature);
        EXPECT_THAT(refused.message, HasSubstr("signature does not verify"));
    }
}

TEST(SignAgentRequestTest, ACsrErrorIsAnInvalidArgument) {
    EXPECT_THROW((void)p256_ca().sign_agent_request("x", kDeviceId, 1h), std::invalid_argument);
}

TEST(SignAgentRequestTest, RefusesADeviceIdThatCannotBeAName) {
    const AgentRequest request = make_agent_request("host");
    EXPECT_THROW((void)p256_ca().sign_agent_request(request.csr_pem, "", 1h),
                 std::invalid_argument);
    EXPECT_THROW((void)p256_ca().sign_agent_request(request.csr_pem, std::string(65, 'A'), 1h),
                 std::invalid_argument);
}

}  // namespace
}  // namespace pm::ca
