// reference_differences(): where the reference server (v2026.02.0, a string-rewriting
// evaluator in SQL; docs/query-language.md) would select other devices for the same text.
// The parser notes what depends on the syntax; this walks the AST for the rest.

#include <fmt/format.h>

#include <powermanage/query/query.hpp>

#include "query/semantics.hpp"

namespace pm::query {
namespace {

bool add_once(std::vector<std::string>& out, std::string warning) {
    for (const auto& w : out) {
        if (w == warning) {
            return false;
        }
    }
    out.push_back(std::move(warning));
    return true;
}

bool case_insensitive(Op op) {
    switch (op) {
        case Op::equals:
        case Op::not_equals:
        case Op::contains:
        case Op::not_contains:
        case Op::starts_with:
        case Op::ends_with:
        case Op::in:
        case Op::not_in:
            return true;
        default:
            return false;
    }
}

bool is_ordering(Op op) {
    return op == Op::greater_than || op == Op::less_than || op == Op::greater_than_or_equals ||
           op == Op::less_than_or_equals;
}

// What PostgreSQL's numeric input accepts beyond is_decimal(): surrounding spaces, '+',
// '.5', '5.', exponents, NaN, Infinity.
bool postgres_numeric(std::string_view s) {
    while (!s.empty() && detail::is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && detail::is_space(s.back())) {
        s.remove_suffix(1);
    }
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        s.remove_prefix(1);
    }
    const std::string lower = detail::ascii_lower(s);
    if (lower == "nan" || lower == "infinity" || lower == "inf") {
        return true;
    }
    std::size_t i = 0;
    std::size_t digits = 0;
    while (i < lower.size() && lower[i] >= '0' && lower[i] <= '9') {
        ++i, ++digits;
    }
    if (i < lower.size() && lower[i] == '.') {
        ++i;
        while (i < lower.size() && lower[i] >= '0' && lower[i] <= '9') {
            ++i, ++digits;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < lower.size() && lower[i] == 'e') {
        ++i;
        if (i < lower.size() && (lower[i] == '+' || lower[i] == '-')) {
            ++i;
        }
        const std::size_t exp_start = i;
        while (i < lower.size() && lower[i] >= '0' && lower[i] <= '9') {
            ++i;
        }
        if (i == exp_start) {
            return false;
        }
    }
    return i == lower.size();
}

void check_condition(const Condition& c, std::vector<std::string>& out) {
    for (const auto& value : c.values) {
        if ((c.op == Op::contains || c.op == Op::not_contains || c.op == Op::starts_with ||
             c.op == Op::ends_with) &&
            value.find_first_of("%_") != std::string::npos) {
            add_once(out, fmt::format("in '{} {}', '%' and '_' are literal characters here; the "
                                      "reference uses LIKE, where they match any text and any "
                                      "one character",
                                      op_name(c.op), value));
        }
        if (case_insensitive(c.op)) {
            for (const char ch : value) {
                if ((static_cast<unsigned char>(ch) & 0x80) != 0) {
                    add_once(out,
                             fmt::format("the value '{}' holds non-ASCII characters: only A-Z are "
                                         "compared case-insensitively here, the reference's "
                                         "lower() also folds other letters (depending on the "
                                         "database's collation)",
                                         value));
                    break;
                }
            }
        }
        // A decimal value compares as in the reference for decimal labels; the rest is in
        // docs/query-language.md rather than warned on every numeric comparison.
        if (is_ordering(c.op) && !detail::is_decimal(value)) {
            if (postgres_numeric(value)) {
                add_once(out, fmt::format("'{}' is a number to the reference but not here (only "
                                          "plain decimals such as -12.5 are): '{} {}' compares "
                                          "it as text",
                                          value, op_name(c.op), value));
            } else {
                add_once(out, fmt::format("'{} {}' compares text byte-wise (\"B\" < \"a\") here; "
                                          "the reference compares by the database's collation, "
                                          "which may order it differently",
                                          op_name(c.op), value));
            }
        }
    }
}

void walk(const Expr& e, std::vector<std::string>& out) {
    if (e.kind == Expr::Kind::condition) {
        check_condition(e.condition, out);
    }
    for (const auto& child : e.children) {
        walk(child, out);
    }
}

}  // namespace

std::vector<std::string> reference_differences(std::string_view text) {
    detail::ParseNotes notes;
    const ParseResult parsed = detail::parse_noting(text, &notes);
    if (!parsed.ok()) {
        return {};
    }
    std::vector<std::string> out = std::move(notes.warnings);
    walk(parsed.expr(), out);
    return out;
}

}  // namespace pm::query
