// Base64 in both forms: RFC 4648's test vectors, the gRPC-Web leniency of the standard
// decoder, and the strictness of the base64url decoder that JWTs rely on.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/common/base64.hpp>

namespace {

TEST(Base64Test, StandardWithPadding) {
    for (const std::string data : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        EXPECT_EQ(pm::base64_decode(pm::base64_encode(data)), data);
    }
    EXPECT_EQ(pm::base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(pm::base64_encode("fo"), "Zm8=");
    // gRPC-Web text: separately padded frames one after the other.
    EXPECT_EQ(pm::base64_decode("Zm8=YmFy"), "fobar");
    EXPECT_EQ(pm::base64_decode("Zm8"), "fo");  // padding left out
    EXPECT_EQ(pm::base64_decode("Zm9v!"), std::nullopt);
    EXPECT_EQ(pm::base64_decode("Z"), std::nullopt);
}

TEST(Base64Test, UrlWithoutPadding) {
    for (const std::string data : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        EXPECT_EQ(pm::base64url_decode(pm::base64url_encode(data)), data);
    }
    EXPECT_EQ(pm::base64url_encode("fo"), "Zm8");
    EXPECT_EQ(pm::base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(pm::base64url_decode("-_8"), "\xfb\xff");
    EXPECT_EQ(pm::base64url_decode("Zm8="), std::nullopt) << "padding is not base64url here";
    EXPECT_EQ(pm::base64url_decode("+/8"), std::nullopt) << "the standard alphabet";
    EXPECT_EQ(pm::base64url_decode("Zm9"), std::nullopt) << "trailing bits set: not canonical";
    EXPECT_EQ(pm::base64url_decode("Z"), std::nullopt);
}

}  // namespace
