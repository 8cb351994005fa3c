// The in-memory evaluator, and the definitions it shares with the SQL compiler.

#include <algorithm>

#include <powermanage/query/query.hpp>

#include "query/semantics.hpp"

namespace pm::query {
namespace detail {

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

namespace {
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
}  // namespace

bool is_decimal(std::string_view text) {
    std::size_t i = 0;
    if (i < text.size() && text[i] == '-') {
        ++i;
    }
    const std::size_t int_start = i;
    while (i < text.size() && is_digit(text[i])) {
        ++i;
    }
    if (i == int_start) {
        return false;
    }
    if (i == text.size()) {
        return true;
    }
    if (text[i] != '.') {
        return false;
    }
    ++i;
    const std::size_t frac_start = i;
    while (i < text.size() && is_digit(text[i])) {
        ++i;
    }
    return i > frac_start && i == text.size();
}

namespace {

struct Decimal {
    bool negative = false;
    std::string_view integer;   // no leading zeros
    std::string_view fraction;  // no trailing zeros
};

Decimal normalise(std::string_view text) {
    Decimal d;
    if (!text.empty() && text.front() == '-') {
        d.negative = true;
        text.remove_prefix(1);
    }
    const auto dot = text.find('.');
    std::string_view integer = text.substr(0, dot);
    std::string_view fraction =
        dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    while (!integer.empty() && integer.front() == '0') {
        integer.remove_prefix(1);
    }
    while (!fraction.empty() && fraction.back() == '0') {
        fraction.remove_suffix(1);
    }
    d.integer = integer;
    d.fraction = fraction;
    if (integer.empty() && fraction.empty()) {
        d.negative = false;  // -0 is 0
    }
    return d;
}

// Compares magnitudes.
int compare_magnitude(const Decimal& a, const Decimal& b) {
    if (a.integer.size() != b.integer.size()) {
        return a.integer.size() < b.integer.size() ? -1 : 1;
    }
    if (const int c = a.integer.compare(b.integer); c != 0) {
        return c < 0 ? -1 : 1;
    }
    // Fractions compare digit by digit; a missing digit is 0 and trailing zeros are gone,
    // so plain lexicographic order is right ("5" < "51", "5" > "49").
    const int c = a.fraction.compare(b.fraction);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

int compare_decimal(std::string_view a, std::string_view b) {
    const Decimal x = normalise(a);
    const Decimal y = normalise(b);
    if (x.negative != y.negative) {
        return x.negative ? -1 : 1;
    }
    const int m = compare_magnitude(x, y);
    return x.negative ? -m : m;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        std::string_view part = text.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        while (!part.empty() && is_space(part.front())) {
            part.remove_prefix(1);
        }
        while (!part.empty() && is_space(part.back())) {
            part.remove_suffix(1);
        }
        parts.emplace_back(part);
        if (comma == std::string_view::npos) {
            return parts;
        }
        start = comma + 1;
    }
}

}  // namespace detail

namespace {

// The ordering operators: numeric when both sides are decimals, else byte-wise.
int compare_values(std::string_view label, std::string_view value) {
    if (detail::is_decimal(label) && detail::is_decimal(value)) {
        return detail::compare_decimal(label, value);
    }
    const int c = label.compare(value);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool condition_matches(const Condition& c, const Labels& labels) {
    const auto it = labels.find(c.key);
    const bool present = it != labels.end();
    switch (c.op) {
        case Op::exists:
            return present;
        case Op::not_exists:
            return !present;
        default:
            break;
    }
    if (!present) {
        // Missing labels: the negative operators hold, every other one fails.
        return c.op == Op::not_equals || c.op == Op::not_contains || c.op == Op::not_in;
    }
    const std::string& raw = it->second;
    const std::string& value = c.values.empty() ? raw : c.values.front();
    switch (c.op) {
        case Op::greater_than:
            return compare_values(raw, value) > 0;
        case Op::less_than:
            return compare_values(raw, value) < 0;
        case Op::greater_than_or_equals:
            return compare_values(raw, value) >= 0;
        case Op::less_than_or_equals:
            return compare_values(raw, value) <= 0;
        default:
            break;
    }
    const std::string label = detail::ascii_lower(raw);
    const std::string lowered = detail::ascii_lower(value);
    switch (c.op) {
        case Op::equals:
            return label == lowered;
        case Op::not_equals:
            return label != lowered;
        case Op::contains:
            return label.find(lowered) != std::string::npos;
        case Op::not_contains:
            return label.find(lowered) == std::string::npos;
        case Op::starts_with:
            return label.starts_with(lowered);
        case Op::ends_with:
            return label.ends_with(lowered);
        case Op::in:
        case Op::not_in: {
            const bool any = std::any_of(c.values.begin(), c.values.end(), [&](const auto& v) {
                return detail::ascii_lower(v) == label;
            });
            return c.op == Op::in ? any : !any;
        }
        default:
            return false;
    }
}

}  // namespace

bool matches(const Expr& expr, const Labels& labels) {
    switch (expr.kind) {
        case Expr::Kind::match_all:
            return true;
        case Expr::Kind::condition:
            return condition_matches(expr.condition, labels);
        case Expr::Kind::negation:
            return !matches(expr.children.front(), labels);
        case Expr::Kind::conjunction:
            return std::all_of(expr.children.begin(), expr.children.end(),
                               [&](const Expr& e) { return matches(e, labels); });
        case Expr::Kind::disjunction:
            return std::any_of(expr.children.begin(), expr.children.end(),
                               [&](const Expr& e) { return matches(e, labels); });
    }
    return false;
}

}  // namespace pm::query
