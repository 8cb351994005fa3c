// The parser: every operator, every label form, precedence, quoting, errors and limits, and
// the canonical text.

#include <string>

#include <gtest/gtest.h>

#include <powermanage/query/query.hpp>

namespace pm::query {
namespace {

Expr parsed(std::string_view text) {
    const ParseResult r = parse(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.expr() : Expr{};
}

ParseError error_of(std::string_view text) {
    const ParseResult r = parse(text);
    EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? to_text(r.expr()) : "");
    return r.ok() ? ParseError{} : r.error();
}

Expr eq(std::string key, std::string value) {
    return Expr::cond(std::move(key), Op::equals, {std::move(value)});
}

TEST(QueryParse, BlankMatchesEveryDevice) {
    EXPECT_EQ(parsed("").kind, Expr::Kind::match_all);
    EXPECT_EQ(parsed("  \t\n ").kind, Expr::Kind::match_all);
    EXPECT_EQ(to_text(Expr{}), "");
}

TEST(QueryParse, EveryOperator) {
    struct Case {
        const char* text;
        Op op;
    };
    const Case cases[] = {
        {"labels.a equals x", Op::equals},
        {"labels.a notEquals x", Op::not_equals},
        {"labels.a contains x", Op::contains},
        {"labels.a notContains x", Op::not_contains},
        {"labels.a startsWith x", Op::starts_with},
        {"labels.a endsWith x", Op::ends_with},
        {"labels.a greaterThan x", Op::greater_than},
        {"labels.a lessThan x", Op::less_than},
        {"labels.a greaterThanOrEquals x", Op::greater_than_or_equals},
        {"labels.a lessThanOrEquals x", Op::less_than_or_equals},
        {"labels.a in x", Op::in},
        {"labels.a notIn x", Op::not_in},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parsed(c.text), Expr::cond("a", c.op, {"x"})) << c.text;
    }
    EXPECT_EQ(parsed("labels.a exists"), Expr::cond("a", Op::exists));
    EXPECT_EQ(parsed("labels.a notExists"), Expr::cond("a", Op::not_exists));
}

TEST(QueryParse, KeywordsAndOperatorsAreCaseInsensitive) {
    EXPECT_EQ(parsed("LABELS.a EQUALS x AND Labels.b NotEquals y OR NOT labels.c EXISTS"),
              parsed("labels.a equals x and labels.b notEquals y or not labels.c exists"));
    EXPECT_EQ(parsed("labels.a GREATERTHANOREQUALS 3"),
              Expr::cond("a", Op::greater_than_or_equals, {"3"}));
}

TEST(QueryParse, LabelForms) {
    const Expr want = eq("env", "prod");
    EXPECT_EQ(parsed("labels.env equals prod"), want);
    EXPECT_EQ(parsed("labels[env] equals prod"), want);
    EXPECT_EQ(parsed("labels[\"env\"] equals prod"), want);
    EXPECT_EQ(parsed("labels['env'] equals prod"), want);
    EXPECT_EQ(parsed("device.labels.env equals prod"), want);
    EXPECT_EQ(parsed("Device.Labels.env equals prod"), want);
    // Any other word is the label name itself, as in the reference.
    EXPECT_EQ(parsed("env equals prod"), want);
    // Keys are case-sensitive and may hold dots, spaces (quoted) and brackets.
    EXPECT_EQ(parsed("labels.Env.Zone equals x"), eq("Env.Zone", "x"));
    EXPECT_EQ(parsed("labels[\"my key\"] exists"), Expr::cond("my key", Op::exists));
    EXPECT_EQ(parsed("labels[\"a]b\"] exists"), Expr::cond("a]b", Op::exists));
    EXPECT_EQ(parsed("labels[\"q\\\"\"] exists"), Expr::cond("q\"", Op::exists));
}

TEST(QueryParse, Precedence) {
    const Expr a = eq("a", "1");
    const Expr b = eq("b", "1");
    const Expr c = eq("c", "1");
    EXPECT_EQ(parsed("labels.a equals 1 or labels.b equals 1 and labels.c equals 1"),
              Expr::any_of({a, Expr::all_of({b, c})}));
    EXPECT_EQ(parsed("labels.a equals 1 and labels.b equals 1 or labels.c equals 1"),
              Expr::any_of({Expr::all_of({a, b}), c}));
    EXPECT_EQ(parsed("not labels.a equals 1 and labels.b equals 1"),
              Expr::all_of({Expr::negate(a), b}));
    EXPECT_EQ(parsed("not (labels.a equals 1 and labels.b equals 1)"),
              Expr::negate(Expr::all_of({a, b})));
    EXPECT_EQ(parsed("(labels.a equals 1 or labels.b equals 1) and labels.c equals 1"),
              Expr::all_of({Expr::any_of({a, b}), c}));
    EXPECT_EQ(parsed("not not labels.a equals 1"), Expr::negate(Expr::negate(a)));
    EXPECT_EQ(parsed("labels.a equals 1 and not(labels.b equals 1)"),
              Expr::all_of({a, Expr::negate(b)}));
    // Chains are flat; parentheses keep their grouping.
    EXPECT_EQ(parsed("labels.a equals 1 and labels.b equals 1 and labels.c equals 1"),
              Expr::all_of({a, b, c}));
    EXPECT_EQ(parsed("labels.a equals 1 and (labels.b equals 1 and labels.c equals 1)"),
              Expr::all_of({a, Expr::all_of({b, c})}));
    EXPECT_EQ(parsed("((labels.a equals 1))"), a);
}

TEST(QueryParse, Quoting) {
    EXPECT_EQ(parsed("labels.a equals \"rock and roll (live) or not\""),
              eq("a", "rock and roll (live) or not"));
    EXPECT_FALSE(parse("labels.a equals 'it''").ok()) << "a quoted value ends at its quote";
    EXPECT_EQ(parsed(R"(labels.a equals "say \"hi\" \\o/")"), eq("a", R"(say "hi" \o/)"));
    EXPECT_EQ(parsed(R"(labels.a equals 'it\'s')"), eq("a", "it's"));
    EXPECT_EQ(parsed(R"(labels.a equals "")"), eq("a", ""));
    // A bare value ends at whitespace or a parenthesis; quotes inside it are literal.
    EXPECT_EQ(parsed("labels.a equals it's"), eq("a", "it's"));
    EXPECT_EQ(parsed("(labels.a equals x)"), eq("a", "x"));
    EXPECT_EQ(parsed("labels.a in \"a, b ,c\""), Expr::cond("a", Op::in, {"a", "b", "c"}));
    EXPECT_EQ(parsed("labels.a notIn a,,b"), Expr::cond("a", Op::not_in, {"a", "", "b"}));
    EXPECT_EQ(parsed("labels.a equals \"\xc3\xa9t\xc3\xa9\""), eq("a", "\xc3\xa9t\xc3\xa9"));
}

TEST(QueryParse, ErrorsSayWhereAndWhatWasExpected) {
    auto e = error_of("labels.env");
    EXPECT_EQ(e.position, 10u);
    EXPECT_NE(e.message.find("expected an operator"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("after 'labels.env' at 10"), std::string::npos) << e.message;

    e = error_of("labels.env equalz prod");
    EXPECT_EQ(e.position, 11u);
    EXPECT_NE(e.message.find("found 'equalz'"), std::string::npos) << e.message;

    e = error_of("labels.env equals");
    EXPECT_EQ(e.position, 17u);
    EXPECT_NE(e.message.find("expected a value after 'equals'"), std::string::npos) << e.message;

    e = error_of("labels.env equals prod extra");
    EXPECT_EQ(e.position, 23u);
    EXPECT_NE(e.message.find("expected 'and', 'or' or the end"), std::string::npos) << e.message;

    e = error_of("(labels.a exists");
    EXPECT_EQ(e.position, 16u);
    EXPECT_NE(e.message.find("to close the '(' at 0"), std::string::npos) << e.message;

    e = error_of("labels.a exists)");
    EXPECT_EQ(e.position, 15u);
    EXPECT_NE(e.message.find("no '(' is open"), std::string::npos) << e.message;

    e = error_of("labels.a equals \"open");
    EXPECT_EQ(e.position, 16u);
    EXPECT_NE(e.message.find("unterminated"), std::string::npos) << e.message;

    e = error_of("labels.a exists and");
    EXPECT_EQ(e.position, 19u);
    EXPECT_NE(e.message.find("expected a condition"), std::string::npos) << e.message;

    e = error_of("labels.a equals and");
    EXPECT_EQ(e.position, 16u);
    EXPECT_NE(e.message.find("quote a value"), std::string::npos) << e.message;

    e = error_of("labels. exists");
    EXPECT_EQ(e.position, 7u);
    e = error_of("labels[env exists");
    EXPECT_NE(e.message.find("expected ']'"), std::string::npos) << e.message;
    e = error_of("labels[] exists");
    EXPECT_EQ(e.position, 7u);
    e = error_of("()");
    EXPECT_EQ(e.position, 1u);
    e = error_of("and labels.a exists");
    EXPECT_EQ(e.position, 0u);
    e = error_of("\"a\" exists");
    EXPECT_EQ(e.position, 0u);
    e = error_of("labels.a equals \xff");
    EXPECT_EQ(e.position, 16u);
    EXPECT_NE(e.message.find("UTF-8"), std::string::npos) << e.message;
    e = error_of(std::string("labels.a equals x\0", 18));
    EXPECT_EQ(e.position, 17u);
}

TEST(QueryParse, LengthLimitCountsCharacters) {
    const std::string head = "labels.a equals \"";
    // 4,096 characters, some of them two bytes long: accepted.
    std::string text = head;
    while (text.size() < 4096 - 1 - 100) {
        text += 'x';
    }
    for (int i = 0; i < 100; ++i) {
        text += "\xc3\xa9";  // é: one character, two bytes
    }
    text += '"';
    ASSERT_EQ(text.size(), 4096u + 100u);
    EXPECT_TRUE(parse(text).ok());
    // One more character: refused, saying the limit.
    text.insert(head.size(), "y");
    const auto e = error_of(text);
    EXPECT_NE(e.message.find("longer than 4096 characters"), std::string::npos) << e.message;
}

TEST(QueryParse, NestingLimit) {
    std::string ok = "labels.a exists";
    for (int i = 0; i < kMaxNesting; ++i) {
        ok = (i % 2 == 0 ? "(" + ok + ")" : "not " + ok);
    }
    EXPECT_TRUE(parse(ok).ok());
    const std::string deeper = "(" + ok + ")";
    const auto e = error_of(deeper);
    EXPECT_EQ(e.position, deeper.find("(labels"));  // the 11th level
    EXPECT_NE(e.message.find("nesting deeper than 10"), std::string::npos) << e.message;
    EXPECT_FALSE(parse("not " + ok).ok());
    // Deep input of any size fails cleanly instead of recursing.
    EXPECT_FALSE(parse(std::string(4000, '(')).ok());
}

TEST(QueryText, CanonicalAndRoundTrips) {
    EXPECT_EQ(to_text(parsed("env equals Prod")), R"(labels["env"] equals "Prod")");
    EXPECT_EQ(to_text(parsed("labels.a in 'x, y'")), R"(labels["a"] in "x,y")");
    EXPECT_EQ(to_text(parsed("not labels.a exists")), R"(not labels["a"] exists)");
    EXPECT_EQ(to_text(parsed("a exists or b exists and c exists")),
              R"(labels["a"] exists or labels["b"] exists and labels["c"] exists)");
    EXPECT_EQ(to_text(parsed("(a exists or b exists) and not (c exists and d exists)")),
              R"((labels["a"] exists or labels["b"] exists) and not (labels["c"] exists and )"
              R"(labels["d"] exists))");
    for (const char* text : {
             R"(labels["we\"ird\\"] equals "a \"b\" \\ c")",
             "labels.a equals 1 and (labels.b equals 1 and labels.c equals 1)",
             "labels.a equals 1 or (labels.b equals 1 or labels.c equals 1)",
             "not (not labels.a exists)",
         }) {
        const Expr e = parsed(text);
        EXPECT_EQ(parsed(to_text(e)), e) << text << " -> " << to_text(e);
    }
}

}  // namespace
}  // namespace pm::query
