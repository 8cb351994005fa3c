// Nested messages: recursion into set message fields, `dive` into repeated and map message
// values, oneof members, field paths, all-violations reporting and describe().

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_rules.hpp"

namespace pm::validation {
namespace {

using test_support::failures;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kInnerRules = "Inner.name\trequired,max=5\n";

TEST(NestedTest, SetMessageFieldsAreValidatedWithTheirOwnRules) {
    const std::string table(kInnerRules);
    pm::test::Outer message;
    EXPECT_THAT(failures(table, message), IsEmpty());  // unset messages are not descended

    message.mutable_inner();
    EXPECT_THAT(failures(table, message), ElementsAre("inner.name:required"));
    message.mutable_inner()->set_name("ok");
    message.mutable_second()->set_name("too long");
    EXPECT_THAT(failures(table, message), ElementsAre("second.name:max=5"));
}

TEST(NestedTest, DeepPathsJoinWithDots) {
    const std::string table(kInnerRules);
    pm::test::Outer message;
    message.mutable_child()->mutable_child()->mutable_inner()->set_name("toolong");
    const auto violations = test_support::rules(table).validate(message);
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0].field, "child.child.inner.name");
    EXPECT_EQ(violations[0].message, "child.child.inner.name must be at most 5 characters");
}

TEST(NestedTest, RequiredAndOmitEmptyOnMessageFields) {
    const std::string table =
        std::string(kInnerRules) + "Outer.inner\trequired\n" + "Outer.second\tomitempty\n";
    pm::test::Outer message;
    EXPECT_THAT(failures(table, message), ElementsAre("inner:required"));
    message.mutable_inner()->set_name("a");
    message.mutable_second();  // set but empty: omitempty does not stop, recursion reports it
    EXPECT_THAT(failures(table, message), ElementsAre("second.name:required"));
}

TEST(NestedTest, RepeatedMessagesNeedDive) {
    const std::string table = std::string(kInnerRules) + "Collections.items\tomitempty,dive\n";
    pm::test::Collections message;
    message.add_items()->set_name("ok");
    message.add_items()->set_name("too long");
    message.add_items();
    EXPECT_THAT(failures(table, message),
                ElementsAre("items[1].name:max=5", "items[2].name:required"));

    pm::test::Outer untagged;
    untagged.add_untagged_items();  // repeated without a rule: validator does not descend
    EXPECT_THAT(failures(table, untagged), IsEmpty());
}

TEST(NestedTest, MapMessageValuesUnderDive) {
    const std::string table = std::string(kInnerRules) + "Collections.inner_by_key\tdive\n";
    pm::test::Collections message;
    (*message.mutable_inner_by_key())["good"].set_name("ok");
    (*message.mutable_inner_by_key())["bad"].set_name("");
    EXPECT_THAT(failures(table, message), ElementsAre("inner_by_key[bad].name:required"));
}

TEST(NestedTest, ThroughAnUntaggedParent) {
    // Outer has no rules at all; its collections field still leads to rules.
    const std::string table = "Collections.tags\trequired";
    pm::test::Outer message;
    message.mutable_collections();
    EXPECT_THAT(failures(table, message), ElementsAre("collections.tags:required"));
}

TEST(OneofMemberTest, UnsetMembersAreZero) {
    const std::string table = std::string(kInnerRules) +
                              "Outer.choice_text\tomitempty,min=3\n"
                              "Outer.choice_inner\trequired\n";
    pm::test::Outer message;
    EXPECT_THAT(failures(table, message), ElementsAre("choice_inner:required"));

    message.set_choice_text("ab");
    EXPECT_THAT(failures(table, message),
                ElementsAre("choice_text:min=3", "choice_inner:required"));

    message.mutable_choice_inner()->set_name("toolong");  // replaces choice_text
    EXPECT_THAT(failures(table, message), ElementsAre("choice_inner.name:max=5"));
}

TEST(AllViolationsTest, EveryFailingFieldIsReported) {
    const std::string table =
        "Scalars.text\trequired,email\n"
        "Scalars.other\trequired,min=8\n"
        "Scalars.i32\tgte=1\n"
        "Scalars.color\tne=0\n";
    pm::test::Scalars message;
    message.set_text("nope");
    message.set_other("abc");
    const auto violations = test_support::rules(table).validate(message);
    EXPECT_THAT(failures(table, message),
                ElementsAre("text:email", "i32:gte=1", "color:ne=0", "other:min=8"));
    // Reported in field declaration order, whatever the order of the table lines.
    EXPECT_EQ(describe(violations),
              "validation failed: text must be a valid email address; i32 must be at least 1; "
              "color must not be COLOR_UNSPECIFIED; other must be at least 8 characters");
}

TEST(DescribeTest, EmptyWhenValid) {
    EXPECT_EQ(describe({}), "");
}

TEST(RuleSetTest, CopiesShareRulesAndCount) {
    const RuleSet rules =
        test_support::rules("# header\n\nInner.name\trequired\nInner.count\tgte=0\n");
    const RuleSet copy = rules;  // copies share the compiled rules
    EXPECT_EQ(copy.rule_count(), 2U);
    EXPECT_THAT(test_support::failures(copy, pm::test::Inner()), ElementsAre("name:required"));
}

TEST(RuleSetTest, AnEmptyTableAcceptsEverything) {
    // The table knows no message types, so validate() walks the message fields it finds and
    // meets no rules.
    const RuleSet empty = test_support::rules("");
    pm::test::Outer message;
    message.mutable_inner();
    EXPECT_THAT(test_support::failures(empty, message), IsEmpty());
    EXPECT_EQ(empty.rule_count(), 0U);
}

}  // namespace
}  // namespace pm::validation
