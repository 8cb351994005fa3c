// Keyword semantics on scalar (non-text) fields: required, omitempty, required_without, and the
// numeric comparisons on signed, unsigned, floating-point, bool, bytes and enum values.

#include <cstdint>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_rules.hpp"

namespace pm::validation {
namespace {

using test_support::failures;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(RequiredTest, RejectsZeroOfEveryScalarKind) {
    const std::string table =
        "Scalars.text\trequired\n"
        "Scalars.i32\trequired\n"
        "Scalars.i64\trequired\n"
        "Scalars.u32\trequired\n"
        "Scalars.real\trequired\n"
        "Scalars.flag\trequired\n"
        "Scalars.blob\trequired\n"
        "Scalars.color\trequired\n";
    EXPECT_THAT(failures(table, pm::test::Scalars()),
                ElementsAre("text:required", "i32:required", "i64:required", "u32:required",
                            "real:required", "flag:required", "blob:required", "color:required"));

    pm::test::Scalars set;
    set.set_text("x");
    set.set_i32(-1);
    set.set_i64(1);
    set.set_u32(1);
    set.set_real(0.5);
    set.set_flag(true);
    set.set_blob(std::string(1, '\0'));
    set.set_color(pm::test::COLOR_RED);
    EXPECT_THAT(failures(table, set), IsEmpty());
}

TEST(RequiredTest, MessageTextNamesTheField) {
    const auto violations =
        test_support::rules("Scalars.text\trequired").validate(pm::test::Scalars());
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0], (Violation{"text", "required", "text is required"}));
}

TEST(OmitEmptyTest, SkipsTheRestWhenZero) {
    const std::string table = "Scalars.i32\tomitempty,gte=5\nScalars.text\tomitempty,min=3";
    EXPECT_THAT(failures(table, pm::test::Scalars()), IsEmpty());

    pm::test::Scalars message;
    message.set_i32(4);
    message.set_text("ab");
    EXPECT_THAT(failures(table, message), ElementsAre("text:min=3", "i32:gte=5"));  // field order
}

TEST(OmitEmptyTest, WithoutItZeroValuesAreChecked) {
    // `gte=0,lte=1440` with no omitempty, as on the sync-interval setters.
    EXPECT_THAT(failures("Scalars.i32\tgte=1", pm::test::Scalars()), ElementsAre("i32:gte=1"));
    EXPECT_THAT(failures("Scalars.i32\tgte=0,lte=1440", pm::test::Scalars()), IsEmpty());
}

TEST(SignedBoundsTest, MinMaxGteLteAreInclusive) {
    const std::string table = "Scalars.i32\tmin=-5,max=10\nScalars.i64\tgte=0,lte=3600";
    pm::test::Scalars message;
    for (const int value : {-5, 0, 10}) {
        message.set_i32(value);
        EXPECT_THAT(failures(table, message), IsEmpty()) << value;
    }
    message.set_i32(-6);
    EXPECT_THAT(failures(table, message), ElementsAre("i32:min=-5"));
    message.set_i32(11);
    EXPECT_THAT(failures(table, message), ElementsAre("i32:max=10"));

    message.set_i32(0);
    message.set_i64(3600);
    EXPECT_THAT(failures(table, message), IsEmpty());
    message.set_i64(3601);
    EXPECT_THAT(failures(table, message), ElementsAre("i64:lte=3600"));
    message.set_i64(-1);
    EXPECT_THAT(failures(table, message), ElementsAre("i64:gte=0"));
}

TEST(SignedBoundsTest, LenAndNeCompareTheValue) {
    pm::test::Scalars message;
    message.set_i32(7);
    EXPECT_THAT(failures("Scalars.i32\tlen=7", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.i32\tlen=8", message), ElementsAre("i32:len=8"));
    EXPECT_THAT(failures("Scalars.i32\tne=0", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.i32\tne=7", message), ElementsAre("i32:ne=7"));
}

TEST(SignedBoundsTest, Int64ExtremesAreExact) {
    pm::test::Scalars message;
    message.set_i64(std::numeric_limits<std::int64_t>::max());
    EXPECT_THAT(failures("Scalars.i64\tmax=9223372036854775807", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.i64\tmax=9223372036854775806", message),
                ElementsAre("i64:max=9223372036854775806"));
}

TEST(UnsignedBoundsTest, ComparesAsUnsigned) {
    pm::test::Scalars message;
    message.set_u64(std::numeric_limits<std::uint64_t>::max());
    EXPECT_THAT(failures("Scalars.u64\tgte=18446744073709551615", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.u64\tmax=10", message), ElementsAre("u64:max=10"));
    message.set_u32(10);
    EXPECT_THAT(failures("Scalars.u32\tmin=10,max=10", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.u32\tmin=11", message), ElementsAre("u32:min=11"));
}

TEST(FloatBoundsTest, ComparesAsDouble) {
    pm::test::Scalars message;
    message.set_real(2.5);
    EXPECT_THAT(failures("Scalars.real\tgte=2.5,lte=2.5", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.real\tmax=2.4", message), ElementsAre("real:max=2.4"));
    EXPECT_THAT(failures("Scalars.real\tmin=3", message), ElementsAre("real:min=3"));
    EXPECT_THAT(failures("Scalars.real\tne=2.5", message), ElementsAre("real:ne=2.5"));
    message.set_real(std::numeric_limits<double>::quiet_NaN());
    EXPECT_THAT(failures("Scalars.real\tmin=0", message), ElementsAre("real:min=0"));
}

TEST(BytesTest, LengthIsTheByteCount) {
    pm::test::Scalars message;
    message.set_blob("\xc3\xa9\xc3\xa9");  // two runes, four bytes
    EXPECT_THAT(failures("Scalars.blob\tmin=4,max=4,len=4", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.blob\tmax=3", message), ElementsAre("blob:max=3"));
    EXPECT_THAT(failures("Scalars.blob\tne=4", message), ElementsAre("blob:ne=4"));
}

TEST(BoolTest, NeComparesWithTheParsedBool) {
    pm::test::Scalars message;
    message.set_flag(true);
    EXPECT_THAT(failures("Scalars.flag\tne=false", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.flag\tne=true", message), ElementsAre("flag:ne=true"));
}

TEST(EnumTest, ComparesByNumber) {
    pm::test::Scalars message;
    EXPECT_THAT(failures("Scalars.color\tne=0", message), ElementsAre("color:ne=0"));
    message.set_color(pm::test::COLOR_GREEN);
    EXPECT_THAT(failures("Scalars.color\tne=0,gte=1,lte=2,oneof=1 2", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.color\toneof=0 1", message), ElementsAre("color:oneof=0 1"));
    EXPECT_THAT(failures("Scalars.color\tmax=1", message), ElementsAre("color:max=1"));
}

TEST(EnumTest, NeMessageNamesTheEnumValue) {
    const auto violations =
        test_support::rules("Scalars.color\trequired,ne=0").validate(pm::test::Scalars());
    ASSERT_EQ(violations.size(), 1U);
    // `required` comes first and fails first: one violation per field, as validator reports.
    EXPECT_EQ(violations[0].rule, "required");
    const auto ne_only = test_support::rules("Scalars.color\tne=0").validate(pm::test::Scalars());
    ASSERT_EQ(ne_only.size(), 1U);
    EXPECT_EQ(ne_only[0].message, "color must not be COLOR_UNSPECIFIED");
}

TEST(OneOfTest, NumbersCompareNumerically) {
    pm::test::Scalars message;
    message.set_i32(-3);
    EXPECT_THAT(failures("Scalars.i32\toneof=-3 5", message), IsEmpty());
    EXPECT_THAT(failures("Scalars.i32\toneof=3 5", message), ElementsAre("i32:oneof=3 5"));
    message.set_u32(5);
    EXPECT_THAT(failures("Scalars.u32\toneof=+5", message), IsEmpty());
}

TEST(RequiredWithoutTest, RequiredWhileTheSiblingIsZero) {
    const std::string table = "Scalars.text\trequired_without=Disabled,omitempty,url";
    pm::test::Scalars message;
    EXPECT_THAT(failures(table, message), ElementsAre("text:required_without=Disabled"));

    message.set_disabled(true);
    EXPECT_THAT(failures(table, message), IsEmpty());

    message.set_disabled(false);
    message.set_text("https://deb.example.org/debian");
    EXPECT_THAT(failures(table, message), IsEmpty());
    message.set_text("not a url");
    EXPECT_THAT(failures(table, message), ElementsAre("text:url"));
}

TEST(RequiredWithoutTest, GoNamesMapToSnakeCaseFields) {
    const std::string table = "Scalars.text\trequired_without=GpgKeyUrl";
    pm::test::Scalars message;
    EXPECT_THAT(failures(table, message), ElementsAre("text:required_without=GpgKeyUrl"));
    message.set_gpg_key_url("https://example.org/key.asc");
    EXPECT_THAT(failures(table, message), IsEmpty());

    const auto violations = test_support::rules(table).validate(pm::test::Scalars());
    ASSERT_EQ(violations.size(), 1U);
    EXPECT_EQ(violations[0].message, "text is required unless gpg_key_url is set");
}

}  // namespace
}  // namespace pm::validation
