// RuleSet::parse() rejects bad tables with the offending line number.

#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_rules.hpp"

namespace pm::validation {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The message of the std::invalid_argument that parsing `table` throws ("" when none).
std::string parse_error(const std::string& table) {
    try {
        test_support::rules(table);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "";
}

// A valid first line, so every error below is on line 3 (line 2 is a comment).
std::string on_line_three(const std::string& line) {
    return "Outer.inner\trequired\n# comment\n" + line + "\n";
}

TEST(ParseTest, AcceptsCommentsBlankLinesAndCrLf) {
    const RuleSet rules =
        test_support::rules("# rules\n\n   \nInner.name\trequired,max=5\r\n  # indented\n");
    EXPECT_EQ(rules.rule_count(), 1U);
}

TEST(ParseTest, UnknownMessage) {
    EXPECT_THAT(parse_error(on_line_three("Nope.name\trequired")),
                AllOf(HasSubstr("line 3"), HasSubstr("unknown message 'pm.test.Nope'")));
}

TEST(ParseTest, UnknownField) {
    EXPECT_THAT(parse_error(on_line_three("Inner.nope\trequired")),
                AllOf(HasSubstr("line 3"), HasSubstr("no field 'nope'")));
}

TEST(ParseTest, UnknownKeyword) {
    EXPECT_THAT(parse_error(on_line_three("Inner.count\trequired,positive")),
                AllOf(HasSubstr("line 3"), HasSubstr("unknown keyword 'positive'")));
}

TEST(ParseTest, BadArgument) {
    EXPECT_THAT(parse_error(on_line_three("Scalars.text\tmax=abc")),
                AllOf(HasSubstr("line 3"), HasSubstr("bad argument 'abc'")));
    EXPECT_THAT(parse_error(on_line_three("Scalars.u32\tmin=-1")),
                AllOf(HasSubstr("line 3"), HasSubstr("bad argument '-1'")));
    EXPECT_THAT(parse_error(on_line_three("Scalars.i32\toneof=1 two")),
                AllOf(HasSubstr("line 3"), HasSubstr("bad argument 'two'")));
    EXPECT_THAT(parse_error(on_line_three("Scalars.flag\tne=maybe")), HasSubstr("line 3"));
}

TEST(ParseTest, KeywordNotApplicableToTheFieldType) {
    EXPECT_THAT(parse_error(on_line_three("Scalars.i32\tstartswith=/")),
                AllOf(HasSubstr("line 3"), HasSubstr("does not apply to a signed integer")));
    EXPECT_THAT(parse_error(on_line_three("Scalars.flag\tmax=1")), HasSubstr("line 3"));
    EXPECT_THAT(parse_error(on_line_three("Scalars.real\toneof=1 2")), HasSubstr("line 3"));
    EXPECT_THAT(parse_error(on_line_three("Collections.tags\temail")),
                HasSubstr("does not apply to a repeated/map"));
    EXPECT_THAT(parse_error(on_line_three("Outer.second\tmin=1")), HasSubstr("to a message"));
}

TEST(ParseTest, MisplacedStructuralKeywords) {
    EXPECT_THAT(parse_error(on_line_three("Scalars.text\tdive,max=1")),
                AllOf(HasSubstr("line 3"), HasSubstr("'dive' needs a repeated or map field")));
    EXPECT_THAT(parse_error(on_line_three("Collections.tags\tdive,keys,max=1,endkeys")),
                HasSubstr("'keys' must directly follow 'dive' on a map field"));
    EXPECT_THAT(parse_error(on_line_three("Collections.labels\tdive,keys,max=1")),
                HasSubstr("'keys' without 'endkeys'"));
    EXPECT_THAT(parse_error(on_line_three("Collections.labels\tendkeys")),
                HasSubstr("'endkeys' without 'keys'"));
}

TEST(ParseTest, MalformedLines) {
    EXPECT_THAT(parse_error(on_line_three("Inner.name required")),
                AllOf(HasSubstr("line 3"), HasSubstr("Message.field<TAB>rule")));
    EXPECT_THAT(parse_error(on_line_three("Inner.name\t")), HasSubstr("empty rule"));
    EXPECT_THAT(parse_error(on_line_three("Inner.count\trequired,,gte=0")),
                HasSubstr("empty keyword"));
    EXPECT_THAT(parse_error(on_line_three("Outer.inner\tomitempty")),
                AllOf(HasSubstr("line 3"), HasSubstr("second rule")));
    EXPECT_THAT(parse_error(on_line_three("Inner.name\tmin")), HasSubstr("needs an argument"));
    EXPECT_THAT(parse_error(on_line_three("Inner.count\trequired=1")),
                HasSubstr("takes no argument"));
    EXPECT_THAT(parse_error(on_line_three("Inner.name\tomitempty,email|url")),
                HasSubstr("alternatives"));
    EXPECT_THAT(parse_error(on_line_three("Scalars.text\trequired_without=Nothing")),
                HasSubstr("no sibling field 'Nothing'"));
}

}  // namespace
}  // namespace pm::validation
