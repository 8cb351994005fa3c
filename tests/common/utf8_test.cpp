#include <gtest/gtest.h>

#include <powermanage/common/utf8.hpp>

namespace pm {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(Utf8Test, ValidTextIsKeptAsItIs) {
    const std::string text = "plain, \xC3\xA9t\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80, \x7F\t\n";
    EXPECT_EQ(valid_utf8_text(text), text);
    EXPECT_EQ(valid_utf8_text(""), "");
}

TEST(Utf8Test, EachIllFormedSequenceBecomesOneReplacement) {
    EXPECT_EQ(valid_utf8_text("a\xFF"
                              "b"),
              "a" + kReplacement + "b");
    // A truncated three-byte sequence is one maximal prefix: one replacement.
    EXPECT_EQ(valid_utf8_text("\xE2\x82"
                              "x"),
              kReplacement + "x");
    // Overlong '/', a UTF-16 surrogate, a code point above U+10FFFF: each byte that cannot
    // start or continue a sequence is its own replacement.
    EXPECT_EQ(valid_utf8_text("\xC0\xAF"), kReplacement + kReplacement);
    EXPECT_EQ(valid_utf8_text("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);
    EXPECT_EQ(valid_utf8_text("\xF4\x90\x80\x80"),
              kReplacement + kReplacement + kReplacement + kReplacement);
    EXPECT_EQ(valid_utf8_text("end\xF0\x9F\x98"), "end" + kReplacement);
}

TEST(Utf8Test, NulBecomesAReplacementBecausePostgresRefusesIt) {
    EXPECT_EQ(valid_utf8_text(std::string("a\0b", 3)), "a" + kReplacement + "b");
}

TEST(Utf8Test, StepsReportLengthAndValidity) {
    const std::string s = "\xC3\xA9\xFF";
    EXPECT_EQ(utf8_step(s, 0).length, 2U);
    EXPECT_TRUE(utf8_step(s, 0).valid);
    EXPECT_EQ(utf8_step(s, 2).length, 1U);
    EXPECT_FALSE(utf8_step(s, 2).valid);
}

}  // namespace
}  // namespace pm
