// Repeated and map fields: element counts, `dive` over lists and maps, `keys ... endkeys`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_rules.hpp"

namespace pm::validation {
namespace {

using test_support::failures;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(CollectionCountTest, RequiredAndBoundsCountElements) {
    const std::string table = "Collections.tags\trequired,min=2,max=3";
    pm::test::Collections message;
    EXPECT_THAT(failures(table, message), ElementsAre("tags:required"));
    message.add_tags("a");
    EXPECT_THAT(failures(table, message), ElementsAre("tags:min=2"));
    message.add_tags("b");
    message.add_tags("c");
    EXPECT_THAT(failures(table, message), IsEmpty());
    message.add_tags("d");
    EXPECT_THAT(failures(table, message), ElementsAre("tags:max=3"));

    const auto violations = test_support::rules(table).validate(message);
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0].message, "tags must contain at most 3 items");
}

TEST(CollectionCountTest, MapsCountEntries) {
    pm::test::Collections message;
    (*message.mutable_labels())["a"] = "1";
    EXPECT_THAT(failures("Collections.labels\tlen=1", message), IsEmpty());
    EXPECT_THAT(failures("Collections.labels\tmin=2", message), ElementsAre("labels:min=2"));
}

TEST(CollectionCountTest, WithoutDiveElementsAreNotChecked) {
    pm::test::Collections message;
    message.add_tags(std::string(100, 'x'));
    EXPECT_THAT(failures("Collections.tags\tmax=5", message), IsEmpty());
}

TEST(DiveTest, AppliesTheFollowingRulesToEachElement) {
    const std::string table = "Collections.tags\trequired,min=1,dive,ulid";
    pm::test::Collections message;
    message.add_tags(std::string(test_support::kUlid));
    message.add_tags("garbage");
    message.add_tags(std::string(test_support::kUlid));
    message.add_tags("also garbage");
    EXPECT_THAT(failures(table, message), ElementsAre("tags[1]:ulid", "tags[3]:ulid"));
}

TEST(DiveTest, OmitEmptySkipsAnEmptyList) {
    const std::string table = "Collections.tags\tomitempty,dive,max=3";
    pm::test::Collections message;
    EXPECT_THAT(failures(table, message), IsEmpty());
    message.add_tags("abc");
    message.add_tags("abcd");
    EXPECT_THAT(failures(table, message), ElementsAre("tags[1]:max=3"));
}

TEST(DiveTest, ElementRulesSeeTheElementType) {
    pm::test::Collections message;
    message.add_numbers(5);
    message.add_numbers(50);
    EXPECT_THAT(failures("Collections.numbers\tdive,gte=1,lte=10", message),
                ElementsAre("numbers[1]:lte=10"));
    message.add_colors(pm::test::COLOR_RED);
    message.add_colors(pm::test::COLOR_UNSPECIFIED);
    EXPECT_THAT(failures("Collections.colors\tdive,ne=0", message), ElementsAre("colors[1]:ne=0"));
}

TEST(DiveTest, OverMapValues) {
    pm::test::Collections message;
    (*message.mutable_labels())["short"] = "ok";
    (*message.mutable_labels())["long"] = "far too long";
    EXPECT_THAT(failures("Collections.labels\tdive,max=5", message),
                ElementsAre("labels[long]:max=5"));
}

TEST(KeysTest, RulesBetweenKeysAndEndkeysApplyToKeys) {
    const std::string table = "Collections.labels\tomitempty,dive,keys,min=1,max=3,endkeys,max=5";
    pm::test::Collections message;
    EXPECT_THAT(failures(table, message), IsEmpty());

    (*message.mutable_labels())["env"] = "prod";
    EXPECT_THAT(failures(table, message), IsEmpty());

    (*message.mutable_labels())["region"] = "eu";          // key too long
    (*message.mutable_labels())["os"] = "debian-12";       // value too long
    (*message.mutable_labels())["zone"] = "far too long";  // both
    EXPECT_THAT(failures(table, message), ElementsAre("labels[os]:max=5", "labels[region]:max=3",
                                                      "labels[zone]:max=3", "labels[zone]:max=5"));
}

TEST(KeysTest, KeyMessagesSayKey) {
    pm::test::Collections message;
    (*message.mutable_labels())["region"] = "eu";
    const auto violations =
        test_support::rules("Collections.labels\tdive,keys,max=3,endkeys").validate(message);
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0], (Violation{"labels[region]", "max=3",
                                        "labels[region] key must be at most 3 characters"}));
}

TEST(KeysTest, IntegerKeysRenderAsNumbers) {
    pm::test::Collections message;
    (*message.mutable_by_number())[-7] = "x";
    (*message.mutable_by_number())[3] = "";
    EXPECT_THAT(failures("Collections.by_number\tdive,keys,gte=0,endkeys,required", message),
                ElementsAre("by_number[-7]:gte=0", "by_number[3]:required"));
}

}  // namespace
}  // namespace pm::validation
