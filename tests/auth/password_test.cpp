#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <powermanage/auth/password.hpp>

namespace pm::auth {
namespace {

// Small parameters keep the suite fast; one test below uses the defaults.
constexpr PasswordParams kFast{64, 1, 1};

TEST(PasswordTest, HashVerifiesAndRecordsItsParameters) {
    const PasswordHasher hasher(kFast);
    const std::string encoded = hasher.hash("correct horse battery staple");
    EXPECT_EQ(encoded.rfind("$argon2id$v=19$m=64,t=1,p=1$", 0), 0U) << encoded;
    EXPECT_TRUE(hasher.verify("correct horse battery staple", encoded));
    PasswordParams parsed;
    ASSERT_TRUE(parse_argon2id_params(encoded, parsed));
    EXPECT_EQ(parsed, kFast);
}

TEST(PasswordTest, SaltAndTagHaveTheDocumentedSizes) {
    const PasswordHasher hasher(kFast);
    const std::string encoded = hasher.hash("pw");
    // $argon2id$v=19$m=64,t=1,p=1$<salt>$<tag>: unpadded base64 of 16 and 32 bytes.
    const auto tag_at = encoded.rfind('$');
    const auto salt_at = encoded.rfind('$', tag_at - 1);
    EXPECT_EQ(tag_at - salt_at - 1, 22U);
    EXPECT_EQ(encoded.size() - tag_at - 1, 43U);
}

TEST(PasswordTest, SamePasswordGetsDifferentSalts) {
    const PasswordHasher hasher(kFast);
    const std::string a = hasher.hash("same");
    const std::string b = hasher.hash("same");
    EXPECT_NE(a, b);
    EXPECT_TRUE(hasher.verify("same", a));
    EXPECT_TRUE(hasher.verify("same", b));
}

TEST(PasswordTest, WrongPasswordIsRefused) {
    const PasswordHasher hasher(kFast);
    const std::string encoded = hasher.hash("right");
    EXPECT_FALSE(hasher.verify("wrong", encoded));
    EXPECT_FALSE(hasher.verify("Right", encoded));
    EXPECT_FALSE(hasher.verify("", encoded));
}

TEST(PasswordTest, EmptyPasswordWorks) {
    const PasswordHasher hasher(kFast);
    const std::string encoded = hasher.hash("");
    EXPECT_TRUE(hasher.verify("", encoded));
    EXPECT_FALSE(hasher.verify("x", encoded));
}

TEST(PasswordTest, MalformedHashesAreFalseNotExceptions) {
    const PasswordHasher hasher(kFast);
    const std::string good = hasher.hash("pw");
    const std::string cases[] = {
        "",
        "plaintext",
        "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2d$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=64,t=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=64,t=1,p=1$$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFz!hhc2hoYXNo",
        "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        // Parameters libargon2 refuses (too little memory for the lanes, zero passes).
        "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        good.substr(0, good.size() - 5),
        good + "$extra",
        good + std::string(1, '\0'),
        std::string(good).insert(20, 1, '\0'),
    };
    for (const auto& encoded : cases) {
        EXPECT_NO_THROW(EXPECT_FALSE(hasher.verify("pw", encoded)) << encoded);
    }
}

TEST(PasswordTest, NeedsRehashWhenAnyParameterIsWeaker) {
    const PasswordHasher current({128, 2, 2});
    EXPECT_FALSE(current.needs_rehash(current.hash("pw")));
    EXPECT_TRUE(current.needs_rehash(PasswordHasher({64, 2, 2}).hash("pw")));
    EXPECT_TRUE(current.needs_rehash(PasswordHasher({128, 1, 2}).hash("pw")));
    EXPECT_TRUE(current.needs_rehash(PasswordHasher({128, 2, 1}).hash("pw")));
    // Stronger in every respect: nothing to upgrade.
    EXPECT_FALSE(current.needs_rehash(PasswordHasher({256, 3, 2}).hash("pw")));
    // Other algorithms and garbage always need a new hash.
    EXPECT_TRUE(
        current.needs_rehash("$argon2i$v=19$m=4096,t=3,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo"));
    EXPECT_TRUE(current.needs_rehash("$2b$12$abcdefghijklmnopqrstuu"));
    EXPECT_TRUE(current.needs_rehash(""));
}

TEST(PasswordTest, HashFromWeakerParametersStillVerifies) {
    const std::string old_hash = PasswordHasher(kFast).hash("pw");
    const PasswordHasher current({128, 2, 1});
    EXPECT_TRUE(current.verify("pw", old_hash));
    EXPECT_TRUE(current.needs_rehash(old_hash));
}

TEST(PasswordTest, OverLongPasswordIsRefused) {
    const PasswordHasher hasher(kFast);
    const std::string longest(PasswordHasher::kMaxPasswordBytes, 'a');
    const std::string too_long(PasswordHasher::kMaxPasswordBytes + 1, 'a');
    const std::string encoded = hasher.hash(longest);
    EXPECT_TRUE(hasher.verify(longest, encoded));
    EXPECT_THROW(static_cast<void>(hasher.hash(too_long)), std::invalid_argument);
    EXPECT_FALSE(hasher.verify(too_long, encoded));
}

TEST(PasswordTest, ParametersArgonRefusesThrow) {
    EXPECT_THROW(PasswordHasher({4, 1, 1}), std::invalid_argument);
    EXPECT_THROW(PasswordHasher({64, 0, 1}), std::invalid_argument);
    EXPECT_THROW(PasswordHasher({64, 1, 0}), std::invalid_argument);
    EXPECT_THROW(PasswordHasher({16, 1, 4}), std::invalid_argument);
}

TEST(PasswordTest, SpendVerifyTimeDoesNotThrow) {
    const PasswordHasher hasher(kFast);
    EXPECT_NO_THROW(hasher.spend_verify_time("anything"));
    EXPECT_NO_THROW(hasher.spend_verify_time(std::string(5000, 'x')));
}

TEST(PasswordTest, DefaultParametersAreOwaspsAndWork) {
    const PasswordHasher hasher;
    EXPECT_EQ(hasher.params(), (PasswordParams{19 * 1024, 2, 1}));
    const std::string encoded = hasher.hash("default params");
    EXPECT_EQ(encoded.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0U) << encoded;
    EXPECT_TRUE(hasher.verify("default params", encoded));
    EXPECT_FALSE(hasher.verify("default param", encoded));
    EXPECT_FALSE(hasher.needs_rehash(encoded));
}

}  // namespace
}  // namespace pm::auth
