// Action signatures: the signed string, and signatures an agent would accept or refuse.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ecdsa.h>

#include <powermanage/ca/action_verifier.hpp>
#include <powermanage/ca/authority.hpp>

#include "ca_test_support.hpp"

namespace pm::ca {
namespace {

using namespace testing;

TEST(ActionSignatureTest, SigningInputIsIdTypeAndPaddedBase64) {
    EXPECT_EQ(CertificateAuthority::action_signing_input("01ABC", 3, "{\"name\": \"htop\"}"),
              "01ABC:3:eyJuYW1lIjogImh0b3AifQ==");
    EXPECT_EQ(CertificateAuthority::action_signing_input("id", 0, ""), "id:0:");
    EXPECT_EQ(CertificateAuthority::action_signing_input("id", -7, "f"), "id:-7:Zg==");
    EXPECT_EQ(CertificateAuthority::action_signing_input("id", 12, "fo"), "id:12:Zm8=");
    EXPECT_EQ(CertificateAuthority::action_signing_input("id", 12, "foo"), "id:12:Zm9v");
    EXPECT_EQ(CertificateAuthority::action_signing_input("id", 1, "\xff\xfe\xfd?>"),
              "id:1://79Pz4=");
}

class ActionSignatures : public ::testing::TestWithParam<const CertificateAuthority& (*)()> {};

TEST_P(ActionSignatures, VerifiesAndRefusesAlterations) {
    const CertificateAuthority& ca = GetParam()();
    const std::string params = "{\"name\": \"htop\"}";
    const std::string signature = ca.sign_action("01ABC", 3, params);
    EXPECT_TRUE(ca.verify_action("01ABC", 3, params, signature));
    EXPECT_FALSE(ca.verify_action("01ABC", 3, "{\"name\": \"htoq\"}", signature));
    EXPECT_FALSE(ca.verify_action("01ABC", 4, params, signature));
    EXPECT_FALSE(ca.verify_action("01ABD", 3, params, signature));
    std::string flipped = signature;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
    EXPECT_FALSE(ca.verify_action("01ABC", 3, params, flipped));
    EXPECT_FALSE(ca.verify_action("01ABC", 3, params, ""));
    EXPECT_FALSE(ca.verify_action("01ABC", 3, params, "garbage"));
    // Another CA's signature is not this CA's.
    const CertificateAuthority& other = &ca == &p256_ca() ? p384_ca() : p256_ca();
    EXPECT_FALSE(ca.verify_action("01ABC", 3, params, other.sign_action("01ABC", 3, params)));
}

TEST_P(ActionSignatures, AnIndependentVerifierWithOnlyTheCertificateAccepts) {
    const CertificateAuthority& ca = GetParam()();
    const std::string signature = ca.sign_action("01ABC", 3, "{\"name\": \"htop\"}");
    EXPECT_TRUE(digest_verify(ca.certificate_pem(), "01ABC:3:eyJuYW1lIjogImh0b3AifQ==", signature));
    EXPECT_FALSE(digest_verify(ca.certificate_pem(), "01ABC:3:eyJuYW1lIjogImh0b3AifQ=", signature));
}

// What an agent holds is the certificate: ActionVerifier checks with it alone and agrees with
// the CA on every alteration.
TEST_P(ActionSignatures, TheCertificateAloneVerifiesAsTheCaDoes) {
    const CertificateAuthority& ca = GetParam()();
    const ActionVerifier verifier(ca.certificate_pem());
    const std::string params = "{\"script\": \"echo hi\"}";
    const std::string signature = ca.sign_action("01XYZ", 7, params);
    EXPECT_TRUE(verifier.verify("01XYZ", 7, params, signature));
    EXPECT_FALSE(verifier.verify("01XYZ", 7, params + " ", signature));
    EXPECT_FALSE(verifier.verify("01XYZ", 8, params, signature));
    EXPECT_FALSE(verifier.verify("01XYZ", 7, params, ""));
    EXPECT_FALSE(verifier.verify("01XYZ", 7, params, "not a signature"));
    const auto other =
        CertificateAuthority::create("other", KeyType::ecdsa_p256, std::chrono::hours(1));
    EXPECT_FALSE(ActionVerifier(other.certificate_pem()).verify("01XYZ", 7, params, signature));
}

TEST(ActionVerifierTest, RefusesWhatIsNotACertificate) {
    EXPECT_THROW(ActionVerifier("not a certificate"), CaError);
    EXPECT_THROW(ActionVerifier(""), CaError);
}

INSTANTIATE_TEST_SUITE_P(All, ActionSignatures, ::testing::Values(&p256_ca, &p384_ca, &rsa_ca),
                         [](const auto& name_info) {
                             return std::string(name_info.index == 0   ? "P256"
                                                : name_info.index == 1 ? "P384"
                                                                       : "RSA3072");
                         });

TEST(ActionSignatureTest, EcSignaturesAreDerEcdsaSigValues) {
    const std::string signature = p256_ca().sign_action("01ABC", 3, "{}");
    const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
    const unsigned char* end = bytes;
    ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &end, static_cast<long>(signature.size()));
    ASSERT_NE(parsed, nullptr);
    EXPECT_EQ(end, bytes + signature.size());
    ECDSA_SIG_free(parsed);
    EXPECT_LE(signature.size(), 72U);
}

TEST(ActionSignatureTest, RsaSignaturesArePkcs1V15) {
    const std::string signature = rsa_ca().sign_action("01ABC", 3, "{}");
    EXPECT_EQ(signature.size(), 384U);  // RSA-3072
    // PKCS#1 v1.5 is deterministic: the same input gives the same signature (PSS would not).
    EXPECT_EQ(rsa_ca().sign_action("01ABC", 3, "{}"), signature);
}

}  // namespace
}  // namespace pm::ca
