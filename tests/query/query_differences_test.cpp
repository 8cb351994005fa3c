// reference_differences(): one warning for each documented difference from the reference, and
// none for a query that means the same in both.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <powermanage/query/query.hpp>

namespace pm::query {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(QueryDifferences, NoneForPlainQueries) {
    for (const char* text : {
             "",
             "labels.env equals prod",
             "labels[env] in \"a, b\" and (labels.x exists or labels.y notExists)",
             "labels.cpu greaterThan 8",
             "labels.a equals x and not labels.b exists",
             "(not labels.a exists) and labels.b exists",
             "labels.a equals \"two words\"",
             "not (labels.a exists or labels.b exists)",
         }) {
        EXPECT_THAT(reference_differences(text), IsEmpty()) << text;
    }
    EXPECT_THAT(reference_differences("labels.a equals"), IsEmpty()) << "parse errors: none";
}

TEST(QueryDifferences, MixedAndOrWithoutParentheses) {
    const auto w = reference_differences("labels.a exists or labels.b exists and labels.c exists");
    ASSERT_THAT(w, SizeIs(1));
    EXPECT_THAT(w[0], HasSubstr("add parentheses"));
    EXPECT_THAT(reference_differences("labels.a exists or (labels.b exists and labels.c exists)"),
                IsEmpty());
}

TEST(QueryDifferences, LeadingNot) {
    for (const char* text : {"not labels.a exists and labels.b exists",
                             "labels.x exists and (not labels.a exists or labels.b exists)"}) {
        const auto w = reference_differences(text);
        ASSERT_THAT(w, SizeIs(1)) << text;
        EXPECT_THAT(w[0], HasSubstr("negates everything after it"));
    }
}

TEST(QueryDifferences, QuotedValuesTheReferenceSplits) {
    EXPECT_THAT(reference_differences("labels.a equals \"rock and roll\""),
                Contains(HasSubstr("the word 'and'")));
    EXPECT_THAT(reference_differences("labels.a equals 'this OR that'"),
                Contains(HasSubstr("the word 'or'")));
    EXPECT_THAT(reference_differences("labels.a equals \"f(x)\""),
                Contains(HasSubstr("parentheses")));
    EXPECT_THAT(reference_differences(R"(labels.a equals "say \"hi\"")"),
                Contains(HasSubstr("backslash")));
    EXPECT_THAT(reference_differences("labels.a equals \"\""), Contains(HasSubstr("empty")));
    EXPECT_THAT(reference_differences("labels.a equals x'"), Contains(HasSubstr("removes")));
    EXPECT_THAT(reference_differences("labels[\"a b\"] exists"), Contains(HasSubstr("whitespace")));
}

TEST(QueryDifferences, DeviceLabelsForm) {
    EXPECT_THAT(reference_differences("device.labels.env equals prod"),
                Contains(HasSubstr("never matches; write 'labels.env'")));
}

TEST(QueryDifferences, LikeWildcards) {
    for (const char* op : {"contains", "notContains", "startsWith", "endsWith"}) {
        EXPECT_THAT(reference_differences(std::string("labels.a ") + op + " 50%"),
                    Contains(HasSubstr("literal characters")))
            << op;
    }
    EXPECT_THAT(reference_differences("labels.a equals a_b"), IsEmpty());
}

TEST(QueryDifferences, OrderingOnText) {
    EXPECT_THAT(reference_differences("labels.v greaterThan beta"),
                Contains(HasSubstr("byte-wise")));
    EXPECT_THAT(reference_differences("labels.v lessThan 1e3"),
                Contains(HasSubstr("a number to the reference but not here")));
    EXPECT_THAT(reference_differences("labels.v lessThan +5"),
                Contains(HasSubstr("a number to the reference")));
    EXPECT_THAT(reference_differences("labels.v lessThan -5.25"), IsEmpty());
}

TEST(QueryDifferences, NonAsciiCaseFolding) {
    EXPECT_THAT(reference_differences("labels.city equals z\xc3\xbcrich"),
                Contains(HasSubstr("non-ASCII")));
}

}  // namespace
}  // namespace pm::query
