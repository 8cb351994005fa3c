// issue_server_certificate: the gateway's TLS certificate and key.
#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <powermanage/ca/authority.hpp>

#include "ca_test_support.hpp"

namespace pm::ca {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace testing;

TEST(ServerCertificateTest, HasServerAuthTheNamesAndANewP256Key) {
    const ServerCredentials credentials = rsa_ca().issue_server_certificate(
        {"gateway.example.com", "localhost"}, {"127.0.0.1", "::1"}, 24h);
    const Certificate certificate = parse_certificate(credentials.certificate.pem);
    ASSERT_TRUE(certificate);
    EXPECT_THAT(subject_entries(certificate.get(), NID_commonName),
                ElementsAre("gateway.example.com"));
    EXPECT_THAT(dns_names(certificate.get()), ElementsAre("gateway.example.com", "localhost"));
    EXPECT_THAT(ip_addresses(certificate.get()),
                ElementsAre("127.0.0.1", "00000000000000000000000000000001"));
    EXPECT_THAT(extended_key_usages(certificate.get()), ElementsAre(NID_server_auth));
    EXPECT_EQ(key_usage(certificate.get()), static_cast<unsigned long>(KU_DIGITAL_SIGNATURE));
    bool critical = false;
    long path_length = 0;
    EXPECT_EQ(basic_constraints_ca(certificate.get(), &critical, &path_length), 0);
    EXPECT_NE(X509_get0_authority_key_id(certificate.get()), nullptr);
    EXPECT_NE(X509_get0_subject_key_id(certificate.get()), nullptr);
    const Certificate ca_certificate = parse_certificate(rsa_ca().certificate_pem());
    EXPECT_TRUE(verifies_with(certificate.get(), ca_certificate.get()));
    EXPECT_EQ(X509_check_host(certificate.get(), "gateway.example.com", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(certificate.get(), "127.0.0.1", 0), 1);

    EXPECT_THAT(credentials.private_key_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
    const Key key = parse_private_key(credentials.private_key_pem);
    EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
    EXPECT_EQ(X509_check_private_key(certificate.get(), key.get()), 1);
    EXPECT_EQ(credentials.certificate.sha256_fingerprint, der_sha256(certificate.get()));
}

TEST(ServerCertificateTest, AnIpOnlyCertificateIsNamedByItsAddress) {
    const ServerCredentials credentials = p256_ca().issue_server_certificate({}, {"10.1.2.3"}, 1h);
    const Certificate certificate = parse_certificate(credentials.certificate.pem);
    EXPECT_THAT(subject_entries(certificate.get(), NID_commonName), ElementsAre("10.1.2.3"));
    EXPECT_THAT(ip_addresses(certificate.get()), ElementsAre("10.1.2.3"));
}

TEST(ServerCertificateTest, RefusesNoNamesAndBadAddresses) {
    EXPECT_THROW((void)p256_ca().issue_server_certificate({}, {}, 1h), std::invalid_argument);
    EXPECT_THROW((void)p256_ca().issue_server_certificate({"gw"}, {"10.0.0.300"}, 1h),
                 std::invalid_argument);
    EXPECT_THROW((void)p256_ca().issue_server_certificate({"gw"}, {"gateway"}, 1h),
                 std::invalid_argument);
    EXPECT_THROW((void)p256_ca().issue_server_certificate({"bad name"}, {}, 1h),
                 std::invalid_argument);
}

}  // namespace
}  // namespace pm::ca
