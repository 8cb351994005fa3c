// The in-memory evaluator: every operator on present and missing labels, case folding,
// numbers, literal % and _.

#include <gtest/gtest.h>

#include <powermanage/query/query.hpp>

namespace pm::query {
namespace {

bool sel(std::string_view text, const Labels& labels) {
    const ParseResult r = parse(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() && matches(r.expr(), labels);
}

const Labels kDevice = {{"env", "Prod"},          {"zone", "eu-west_1"}, {"cpu", "16"},
                        {"ram", "-2.50"},         {"name", "Web 01"},    {"empty", ""},
                        {"city", "Z\xc3\xbcrich"}};

TEST(QueryEval, BlankSelectsEverything) {
    EXPECT_TRUE(sel("", kDevice));
    EXPECT_TRUE(sel(" ", {}));
}

TEST(QueryEval, EqualsAndNotEquals) {
    EXPECT_TRUE(sel("labels.env equals prod", kDevice));
    EXPECT_TRUE(sel("labels.env equals PROD", kDevice));
    EXPECT_FALSE(sel("labels.env equals pro", kDevice));
    EXPECT_FALSE(sel("labels.missing equals x", kDevice));
    EXPECT_TRUE(sel("labels.env notEquals dev", kDevice));
    EXPECT_FALSE(sel("labels.env notEquals pRoD", kDevice));
    EXPECT_TRUE(sel("labels.missing notEquals x", kDevice)) << "missing: notEquals holds";
    EXPECT_TRUE(sel("labels.empty equals \"\"", kDevice));
    EXPECT_FALSE(sel("labels.Env equals prod", kDevice)) << "keys are case-sensitive";
}

TEST(QueryEval, ContainsStartsEnds) {
    EXPECT_TRUE(sel("labels.name contains \"B 0\"", kDevice));
    EXPECT_FALSE(sel("labels.name contains x", kDevice));
    EXPECT_FALSE(sel("labels.missing contains x", kDevice));
    EXPECT_TRUE(sel("labels.name notContains x", kDevice));
    EXPECT_FALSE(sel("labels.name notContains web", kDevice));
    EXPECT_TRUE(sel("labels.missing notContains x", kDevice));
    EXPECT_TRUE(sel("labels.zone startsWith EU-", kDevice));
    EXPECT_FALSE(sel("labels.zone startsWith west", kDevice));
    EXPECT_FALSE(sel("labels.missing startsWith x", kDevice));
    EXPECT_TRUE(sel("labels.zone endsWith _1", kDevice));
    EXPECT_FALSE(sel("labels.missing endsWith x", kDevice));
    EXPECT_TRUE(sel("labels.name contains \"\"", kDevice));
}

TEST(QueryEval, PercentAndUnderscoreAreLiteral) {
    EXPECT_TRUE(sel("labels.zone contains west_", kDevice));
    EXPECT_FALSE(sel("labels.zone contains west%1", kDevice));
    EXPECT_FALSE(sel("labels.zone startsWith eu_", kDevice)) << "_ is not a wildcard";
    EXPECT_FALSE(sel("labels.zone endsWith %", kDevice));
}

TEST(QueryEval, InAndNotIn) {
    EXPECT_TRUE(sel("labels.env in \"dev, PROD\"", kDevice));
    EXPECT_FALSE(sel("labels.env in dev,test", kDevice));
    EXPECT_FALSE(sel("labels.missing in a,b", kDevice));
    EXPECT_TRUE(sel("labels.env notIn dev,test", kDevice));
    EXPECT_FALSE(sel("labels.env notIn prod", kDevice));
    EXPECT_TRUE(sel("labels.missing notIn a,b", kDevice));
    EXPECT_TRUE(sel("labels.empty in a,,b", kDevice));
}

TEST(QueryEval, ExistsAndNotExists) {
    EXPECT_TRUE(sel("labels.empty exists", kDevice));
    EXPECT_FALSE(sel("labels.missing exists", kDevice));
    EXPECT_TRUE(sel("labels.missing notExists", kDevice));
    EXPECT_FALSE(sel("labels.env notExists", kDevice));
}

TEST(QueryEval, OrderingIsNumericForDecimalsElseByteWise) {
    EXPECT_TRUE(sel("labels.cpu greaterThan 9", kDevice)) << "16 > 9 as numbers";
    EXPECT_TRUE(sel("labels.cpu greaterThanOrEquals 16.000", kDevice));
    EXPECT_TRUE(sel("labels.cpu lessThanOrEquals 016", kDevice));
    EXPECT_FALSE(sel("labels.cpu lessThan 16", kDevice));
    EXPECT_TRUE(sel("labels.ram lessThan -2.4", kDevice));
    EXPECT_TRUE(sel("labels.ram greaterThan -2.51", kDevice));
    EXPECT_TRUE(sel("labels.ram greaterThanOrEquals -2.5", kDevice));
    // Not plain decimals on one side: compared as bytes.
    EXPECT_TRUE(sel("labels.cpu lessThan 9x", kDevice)) << "\"16\" < \"9x\" as text";
    EXPECT_TRUE(sel("labels.cpu lessThan +9", kDevice) == false) << "\"16\" > \"+9\" as text";
    EXPECT_TRUE(sel("labels.cpu lessThan 1e5", kDevice)) << "\"16\" < \"1e5\" as text";
    EXPECT_TRUE(sel("labels.cpu greaterThan 100a", kDevice)) << "\"16\" > \"100a\" as text";
    EXPECT_TRUE(sel("labels.env lessThan a", kDevice)) << "\"Prod\" < \"a\": bytes, case matters";
    EXPECT_FALSE(sel("labels.missing lessThan z", kDevice));
    EXPECT_FALSE(sel("labels.missing greaterThan 0", kDevice));
    EXPECT_TRUE(sel("labels.city greaterThan Zz", kDevice)) << "UTF-8 bytes sort after ASCII";
    // -0 is 0.
    EXPECT_TRUE(sel("labels.z greaterThanOrEquals 0", {{"z", "-0.0"}}));
    EXPECT_FALSE(sel("labels.z lessThan 0", {{"z", "-0"}}));
}

TEST(QueryEval, OnlyAsciiLettersFold) {
    EXPECT_TRUE(sel("labels.city equals Z\xc3\xbcRICH", kDevice));
    EXPECT_FALSE(sel("labels.city equals Z\xc3\x9crich", kDevice)) << "\xc3\x9c (U-umlaut) != "
                                                                      "\xc3\xbc";
}

TEST(QueryEval, BooleanStructure) {
    EXPECT_TRUE(
        sel("labels.env equals dev or labels.cpu equals 16 and labels.env exists", kDevice));
    EXPECT_FALSE(
        sel("(labels.env equals dev or labels.cpu equals 16) and labels.x exists", kDevice));
    EXPECT_TRUE(sel("not labels.env equals dev and labels.cpu exists", kDevice));
    EXPECT_FALSE(sel("not (labels.env equals prod and labels.cpu exists)", kDevice));
    EXPECT_TRUE(sel("labels.env equals 'prod' and device.labels.cpu equals 16", kDevice));
}

TEST(QuerySql, EveryKeyAndValueIsAParameter) {
    const std::string key = "k'); DROP TABLE devices_projection; --";
    const Expr e = Expr::all_of({Expr::cond(key, Op::equals, {"O'Brien"}),
                                 Expr::cond(key, Op::in, {"a$1", "b"}),
                                 Expr::cond("cpu", Op::greater_than, {"8"}),
                                 Expr::negate(Expr::cond(key, Op::contains, {"x\\y"}))});
    const SqlPredicate p = compile_sql(e, "d.labels", 3, "d.labels_lower");
    EXPECT_EQ(p.sql.find("DROP"), std::string::npos) << p.sql;
    EXPECT_EQ(p.sql.find("Brien"), std::string::npos) << p.sql;
    EXPECT_EQ(p.sql.find("a$1"), std::string::npos) << p.sql;
    // Placeholders run from $3, one per parameter.
    EXPECT_NE(p.sql.find("$3::jsonb"), std::string::npos) << p.sql;
    EXPECT_EQ(p.sql.find("$2"), std::string::npos) << p.sql;
    EXPECT_NE(p.sql.find("$" + std::to_string(2 + p.params.size())), std::string::npos) << p.sql;
    EXPECT_EQ(p.sql.find("$" + std::to_string(3 + p.params.size())), std::string::npos) << p.sql;
    EXPECT_EQ(p.params.front(), R"({"k'); DROP TABLE devices_projection; --":"o'brien"})");
    EXPECT_EQ(compile_sql(Expr{}, "labels").sql, "TRUE");
    EXPECT_EQ(compile_sql(Expr::cond("a", Op::equals, {"X"}), "labels").sql,
              "(pm_labels_lower(labels) @> $1::jsonb)");
}

}  // namespace
}  // namespace pm::query
