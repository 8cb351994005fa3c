// Keyword semantics on string fields: lengths in runes, ulid, email, url, oneof, startswith,
// hexadecimal, alphanum and ne.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_rules.hpp"

namespace pm::validation {
namespace {

using test_support::failures;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

pm::test::Scalars with_text(std::string text) {
    pm::test::Scalars message;
    message.set_text(std::move(text));
    return message;
}

// Failures of `rule` on Scalars.text holding `text`.
std::vector<std::string> text_failures(const std::string& rule, std::string text) {
    return failures("Scalars.text\t" + rule, with_text(std::move(text)));
}

TEST(StringLengthTest, MinMaxBoundariesAreInclusive) {
    EXPECT_THAT(text_failures("min=2,max=4", "ab"), IsEmpty());
    EXPECT_THAT(text_failures("min=2,max=4", "abcd"), IsEmpty());
    EXPECT_THAT(text_failures("min=2,max=4", "a"), ElementsAre("text:min=2"));
    EXPECT_THAT(text_failures("min=2,max=4", "abcde"), ElementsAre("text:max=4"));
    EXPECT_THAT(text_failures("gte=2,lte=4", "abcde"), ElementsAre("text:lte=4"));
    EXPECT_THAT(text_failures("gte=2,lte=4", "a"), ElementsAre("text:gte=2"));
}

TEST(StringLengthTest, CountsRunesNotBytes) {
    const std::string three_runes = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // é € 😀: 9 bytes
    EXPECT_THAT(text_failures("max=3", three_runes), IsEmpty());
    EXPECT_THAT(text_failures("len=3", three_runes), IsEmpty());
    EXPECT_THAT(text_failures("max=2", three_runes), ElementsAre("text:max=2"));
    EXPECT_THAT(text_failures("min=4", three_runes), ElementsAre("text:min=4"));
}

TEST(StringLengthTest, LenIsExact) {
    const std::string hex64(64, 'a');
    EXPECT_THAT(text_failures("len=64", hex64), IsEmpty());
    EXPECT_THAT(text_failures("len=64", hex64 + "a"), ElementsAre("text:len=64"));
    EXPECT_THAT(text_failures("len=64", hex64.substr(1)), ElementsAre("text:len=64"));
}

TEST(StringLengthTest, MessagesUseCharacters) {
    const auto violations = test_support::rules("Scalars.text\tmin=8").validate(with_text("abc"));
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0].message, "text must be at least 8 characters");
    const auto one = test_support::rules("Scalars.text\tmax=1").validate(with_text("abc"));
    ASSERT_EQ(one.size(), 1U);
    EXPECT_EQ(one[0].message, "text must be at most 1 character");
}

TEST(UlidTest, AcceptsUlidsAndTheEmptyString) {
    EXPECT_THAT(text_failures("ulid", std::string(test_support::kUlid)), IsEmpty());
    EXPECT_THAT(text_failures("ulid", "01arz3ndektsv4rrffq69g5fav"), IsEmpty());
    EXPECT_THAT(text_failures("ulid", ""), IsEmpty());  // `required` decides emptiness
    EXPECT_THAT(text_failures("ulid", "not-a-ulid"), ElementsAre("text:ulid"));
    EXPECT_THAT(text_failures("ulid", "01ARZ3NDEKTSV4RRFFQ69G5FA"), ElementsAre("text:ulid"));
    EXPECT_THAT(text_failures("ulid", "81ARZ3NDEKTSV4RRFFQ69G5FAV"), ElementsAre("text:ulid"));
    EXPECT_THAT(text_failures("required,ulid", ""), ElementsAre("text:required"));
}

TEST(EmailTest, AcceptsOrdinaryAddresses) {
    for (const char* email :
         {"admin@example.com", "first.last+tag@mail.example.co.uk", "a_b-c@sub-domain.example.org",
          "\"quoted local\"@example.com", "user@example.com.",
          "j\xc3\xb6rg@b\xc3\xbc"
          "cher.de"}) {
        EXPECT_THAT(text_failures("email", email), IsEmpty()) << email;
    }
}

TEST(EmailTest, RejectsMalformedAddresses) {
    for (const char* email :
         {"", "plainaddress", "@example.com", "user@", "user@localhost", "user@example.123",
          "user@-example.com", ".user@example.com", "us..er@example.com", "user.@example.com",
          "user name@example.com", "user@exa mple.com", "user@@example.com", "user@example..",
          "\"unterminated@example.com"}) {
        EXPECT_THAT(text_failures("email", email), ElementsAre("text:email")) << email;
    }
}

TEST(UrlTest, AcceptsAbsoluteUrlsWithHost) {
    for (const char* url :
         {"https://example.com", "http://deb.debian.org/debian", "HTTPS://Example.COM:8443/a?b#c",
          "https://user:pw@mirror.example.org/$repo/os/$arch", "ftp://[::1]:21/pub",
          "file:///etc/apt/keyrings/key.asc"}) {
        EXPECT_THAT(text_failures("url", url), IsEmpty()) << url;
    }
}

TEST(UrlTest, RejectsRelativeOrHostlessUrls) {
    for (const char* url : {"", "example.com", "/just/a/path", "https://", "https:///path",
                            "mailto:user@example.com", "1http://example.com", "http://exa mple.com",
                            "http://example.com:80a/", "http://example.com/\x01"}) {
        EXPECT_THAT(text_failures("url", url), ElementsAre("text:url")) << url;
    }
}

TEST(OneOfTest, StringMustEqualOneWord) {
    EXPECT_THAT(text_failures("oneof=admin user", "admin"), IsEmpty());
    EXPECT_THAT(text_failures("oneof=admin user", "user"), IsEmpty());
    EXPECT_THAT(text_failures("oneof=admin user", "Admin"), ElementsAre("text:oneof=admin user"));
    EXPECT_THAT(text_failures("oneof=admin user", "admin user"),
                ElementsAre("text:oneof=admin user"));
    EXPECT_THAT(text_failures("oneof='a b' c", "a b"), IsEmpty());

    const auto violations =
        test_support::rules("Scalars.text\toneof=admin user").validate(with_text("root"));
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0].message, "text must be one of: admin, user");
}

TEST(StartsWithTest, ChecksThePrefix) {
    EXPECT_THAT(text_failures("startswith=/", "/etc/hosts"), IsEmpty());
    EXPECT_THAT(text_failures("startswith=/", "etc/hosts"), ElementsAre("text:startswith=/"));
    EXPECT_THAT(text_failures("startswith=/opt", "/op"), ElementsAre("text:startswith=/opt"));
}

TEST(HexadecimalTest, HexDigitsWithOptionalPrefix) {
    EXPECT_THAT(text_failures("hexadecimal", "0123456789abcdefABCDEF"), IsEmpty());
    EXPECT_THAT(text_failures("hexadecimal", "0xdeadBEEF"), IsEmpty());
    EXPECT_THAT(text_failures("hexadecimal", "xyz"), ElementsAre("text:hexadecimal"));
    EXPECT_THAT(text_failures("hexadecimal", "0x"), ElementsAre("text:hexadecimal"));
    EXPECT_THAT(text_failures("hexadecimal", "ab cd"), ElementsAre("text:hexadecimal"));
}

TEST(AlphanumTest, AsciiLettersAndDigitsOnly) {
    EXPECT_THAT(text_failures("alphanum", "Repo42"), IsEmpty());
    EXPECT_THAT(text_failures("alphanum", "my-repo"), ElementsAre("text:alphanum"));
    EXPECT_THAT(text_failures("alphanum", "caf\xc3\xa9"), ElementsAre("text:alphanum"));
}

TEST(NeTest, ComparesTheTextOnStrings) {
    EXPECT_THAT(text_failures("ne=root", "admin"), IsEmpty());
    EXPECT_THAT(text_failures("ne=root", "root"), ElementsAre("text:ne=root"));
}

TEST(ChainTest, FirstFailureEndsTheFieldsChain) {
    // validator reports one violation per field: the first check that fails.
    EXPECT_THAT(text_failures("min=5,alphanum", "a-"), ElementsAre("text:min=5"));
    EXPECT_THAT(text_failures("min=1,alphanum", "a-"), ElementsAre("text:alphanum"));
}

}  // namespace
}  // namespace pm::validation
