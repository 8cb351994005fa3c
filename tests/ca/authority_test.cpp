// Creating and loading CAs: formats accepted, keys and certificates refused, and what the
// CA certificate itself says.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/ca/request.hpp>

#include "ca_test_support.hpp"

namespace pm::ca {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing;

std::string load_error(const std::string& certificate_pem, const std::string& key_pem) {
    try {
        (void)CertificateAuthority::from_pem(certificate_pem, key_pem);
    } catch (const CaError& error) {
        return error.what();
    }
    ADD_FAILURE() << "from_pem accepted it";
    return {};
}

class CaKinds : public ::testing::TestWithParam<const CertificateAuthority& (*)()> {};

TEST_P(CaKinds, CreatedCaIsASelfSignedCaWithPathLengthZero) {
    const CertificateAuthority& ca = GetParam()();
    const Certificate certificate = parse_certificate(ca.certificate_pem());
    ASSERT_TRUE(certificate);
    EXPECT_EQ(X509_get_version(certificate.get()), X509_VERSION_3);
    EXPECT_THAT(subject_entries(certificate.get(), NID_organizationName),
                ElementsAre("power-manage"));
    EXPECT_EQ(subject_entries(certificate.get(), NID_commonName).size(), 1U);
    bool critical = false;
    long path_length = -2;
    EXPECT_EQ(basic_constraints_ca(certificate.get(), &critical, &path_length), 1);
    EXPECT_TRUE(critical);
    EXPECT_EQ(path_length, 0);
    EXPECT_EQ(key_usage(certificate.get()),
              static_cast<unsigned long>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EXPECT_NE(X509_get0_subject_key_id(certificate.get()), nullptr);
    EXPECT_TRUE(verifies_with(certificate.get(), certificate.get()));
    const std::time_t now = std::time(nullptr);
    const std::time_t not_before = to_time_t(X509_get0_notBefore(certificate.get()));
    EXPECT_LE(not_before, now - 55);
    EXPECT_GE(not_before, now - 65 - 3600);  // the shared CA may be older than this test
    const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate.get());
    EXPECT_GT(ASN1_STRING_length(serial), 8);
}

TEST_P(CaKinds, RoundTripsThroughPem) {
    const CertificateAuthority& ca = GetParam()();
    const std::string key_pem = ca.private_key_pem();
    EXPECT_THAT(key_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
    const CertificateAuthority loaded =
        CertificateAuthority::from_pem(ca.certificate_pem(), key_pem);
    EXPECT_EQ(loaded.certificate_pem(), ca.certificate_pem());
    EXPECT_EQ(loaded.private_key_pem(), key_pem);
    // The reloaded CA signs, and its signatures verify with the original.
    const std::string signature = loaded.sign_action("01ABC", 3, "{}");
    EXPECT_TRUE(ca.verify_action("01ABC", 3, "{}", signature));
}

TEST_P(CaKinds, LoadsTraditionalKeyFormats) {
    const CertificateAuthority& ca = GetParam()();
    const std::string traditional = traditional_key_pem(ca.private_key_pem());
    EXPECT_THAT(traditional, ::testing::AnyOf(HasSubstr("-----BEGIN EC PRIVATE KEY-----"),
                                              HasSubstr("-----BEGIN RSA PRIVATE KEY-----")));
    const CertificateAuthority loaded =
        CertificateAuthority::from_pem(ca.certificate_pem(), traditional);
    EXPECT_EQ(loaded.private_key_pem(), ca.private_key_pem());
}

INSTANTIATE_TEST_SUITE_P(All, CaKinds, ::testing::Values(&p256_ca, &p384_ca, &rsa_ca),
                         [](const auto& name_info) {
                             return std::string(name_info.index == 0   ? "P256"
                                                : name_info.index == 1 ? "P384"
                                                                       : "RSA3072");
                         });

TEST(CertificateAuthorityTest, FirstCertificateOfABundleIsTheCa) {
    const CertificateAuthority& ca = p256_ca();
    const std::string bundle = ca.certificate_pem() + p384_ca().certificate_pem();
    const CertificateAuthority loaded =
        CertificateAuthority::from_pem(bundle, ca.private_key_pem());
    EXPECT_EQ(loaded.certificate_pem(), ca.certificate_pem());
}

TEST(CertificateAuthorityTest, RefusesAKeyOfAnotherCertificate) {
    EXPECT_THAT(load_error(p256_ca().certificate_pem(), p384_ca().private_key_pem()),
                HasSubstr("does not belong to the CA certificate"));
    const CertificateAuthority other =
        CertificateAuthority::create("Other", KeyType::ecdsa_p256, 1h);
    EXPECT_THAT(load_error(p256_ca().certificate_pem(), other.private_key_pem()),
                HasSubstr("does not belong to the CA certificate"));
}

TEST(CertificateAuthorityTest, RefusesACertificateThatIsNotACa) {
    const ServerCredentials server = p256_ca().issue_server_certificate({"gw.example"}, {}, 1h);
    EXPECT_THAT(load_error(server.certificate.pem, server.private_key_pem),
                HasSubstr("is not a CA certificate"));
}

TEST(CertificateAuthorityTest, RefusesAnEncryptedKeyAndSaysSo) {
    const std::string encrypted = encrypted_key_pem(p256_ca().private_key_pem(), "secret");
    ASSERT_THAT(encrypted, HasSubstr("ENCRYPTED"));
    const std::string message = load_error(p256_ca().certificate_pem(), encrypted);
    EXPECT_THAT(message, HasSubstr("the CA key is encrypted"));
    EXPECT_THAT(message, HasSubstr("openssl pkey"));
}

TEST(CertificateAuthorityTest, RefusesUnsupportedKeys) {
    // A request key is as good as any: an agent's P-521 key with the P-256 CA's certificate.
    const AgentRequest p521 = make_agent_request("host", RequestKeyType::ecdsa_p521);
    EXPECT_THAT(load_error(p256_ca().certificate_pem(), p521.private_key_pem),
                HasSubstr("the CA key is ECDSA P-521; a CA key must be"));
    const AgentRequest rsa = make_agent_request("host", RequestKeyType::rsa_1024);
    EXPECT_THAT(load_error(p256_ca().certificate_pem(), rsa.private_key_pem),
                HasSubstr("RSA 1024 bits"));
}

TEST(CertificateAuthorityTest, RefusesTextThatIsNotPem) {
    EXPECT_THAT(load_error("hello", p256_ca().private_key_pem()),
                HasSubstr("the CA certificate is not a PEM certificate"));
    EXPECT_THAT(load_error(p256_ca().certificate_pem(), "hello"),
                HasSubstr("the CA key is not a PEM private key"));
    EXPECT_THAT(load_error("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                           p256_ca().private_key_pem()),
                HasSubstr("cannot be parsed"));
    EXPECT_THAT(load_error(p256_ca().certificate_pem(), p256_ca().certificate_pem()),
                HasSubstr("the CA key cannot be parsed"));
}

TEST(CertificateAuthorityTest, FromFilesNamesTheFileThatFailed) {
    const auto directory =
        std::filesystem::temp_directory_path() / ("pm_ca_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    const auto certificate_file = (directory / "ca.pem").string();
    const auto key_file = (directory / "ca.key").string();
    std::ofstream(certificate_file) << p256_ca().certificate_pem();
    std::ofstream(key_file) << p256_ca().private_key_pem();
    const CertificateAuthority loaded =
        CertificateAuthority::from_files(certificate_file, key_file);
    EXPECT_EQ(loaded.certificate_pem(), p256_ca().certificate_pem());

    try {
        (void)CertificateAuthority::from_files(certificate_file, key_file + ".missing");
        ADD_FAILURE() << "a missing key file was accepted";
    } catch (const CaError& error) {
        EXPECT_THAT(error.what(), HasSubstr(key_file + ".missing"));
    }
    std::ofstream(key_file) << p384_ca().private_key_pem();
    try {
        (void)CertificateAuthority::from_files(certificate_file, key_file);
        ADD_FAILURE() << "a mismatched key file was accepted";
    } catch (const CaError& error) {
        EXPECT_THAT(error.what(),
                    HasSubstr("the CA key file \"" + key_file + "\" does not belong"));
    }
    std::filesystem::remove_all(directory);
}

TEST(CertificateAuthorityTest, MovedCaKeepsWorking) {
    CertificateAuthority ca = CertificateAuthority::create("Moved", KeyType::ecdsa_p256, 1h);
    const std::string pem = ca.certificate_pem();
    CertificateAuthority moved(std::move(ca));
    EXPECT_EQ(moved.certificate_pem(), pem);
    CertificateAuthority assigned = CertificateAuthority::create("X", KeyType::ecdsa_p256, 1h);
    assigned = std::move(moved);
    EXPECT_EQ(assigned.certificate_pem(), pem);
}

TEST(CertificateAuthorityTest, RefusesANonPositiveValidity) {
    EXPECT_THROW(CertificateAuthority::create("X", KeyType::ecdsa_p256, 0s), std::invalid_argument);
    const AgentRequest request = make_agent_request("host");
    EXPECT_THROW((void)p256_ca().sign_agent_request(request.csr_pem, "01DEVICE", -1s),
                 std::invalid_argument);
}

TEST(CertificateAuthorityTest, FingerprintOfAPem) {
    const Certificate certificate = parse_certificate(p256_ca().certificate_pem());
    EXPECT_EQ(certificate_fingerprint(p256_ca().certificate_pem()), der_sha256(certificate.get()));
    EXPECT_THROW((void)certificate_fingerprint("not a certificate"), CaError);
}

}  // namespace
}  // namespace pm::ca
