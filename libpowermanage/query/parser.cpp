// The parser: recursive descent straight over the text (no token list), with the nesting
// bounded so that no input can exhaust the stack. Precedence: not > and > or.
//
//   query     := space* [or_expr space*] END
//   or_expr   := and_expr ("or" and_expr)*
//   and_expr  := unary ("and" unary)*
//   unary     := "not" unary | "(" or_expr ")" | condition
//   condition := label op [value]
//   label     := labels.KEY | labels[KEY] | labels["KEY"] | device.labels.KEY | KEY
//   value     := WORD | "..." | '...'          (backslash escapes the quote and itself)

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include <powermanage/query/query.hpp>

#include "query/semantics.hpp"

namespace pm::query {
namespace detail {
namespace {

struct Failure {
    ParseError error;
};

constexpr std::array kOps = {
    Op::equals,
    Op::not_equals,
    Op::contains,
    Op::not_contains,
    Op::starts_with,
    Op::ends_with,
    Op::greater_than,
    Op::less_than,
    Op::greater_than_or_equals,
    Op::less_than_or_equals,
    Op::in,
    Op::not_in,
    Op::exists,
    Op::not_exists,
};

constexpr std::string_view kOpList =
    "equals, notEquals, contains, notContains, startsWith, endsWith, greaterThan, lessThan, "
    "greaterThanOrEquals, lessThanOrEquals, in, notIn, exists or notExists";

char fold(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (fold(a[i]) != fold(b[i])) {
            return false;
        }
    }
    return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool is_keyword(std::string_view word) {
    return iequals(word, "and") || iequals(word, "or") || iequals(word, "not");
}

bool is_quote(char c) {
    return c == '"' || c == '\'';
}

// Where the first invalid UTF-8 sequence starts, or npos.
std::size_t invalid_utf8_at(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        unsigned min = 0;
        unsigned cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, min = 0x80, cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, min = 0x800, cp = c & 0x0Fu;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, min = 0x10000, cp = c & 0x07u;
        } else {
            return i;
        }
        if (i + len > s.size()) {
            return i;
        }
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

class Parser {
public:
    Parser(std::string_view text, ParseNotes* notes) : text_(text), notes_(notes) {}

    Expr parse_query() {
        skip_space();
        if (at_end()) {
            return Expr{};
        }
        Expr e = parse_or(true);
        skip_space();
        if (!at_end()) {
            if (peek() == ')') {
                fail(pos_, fmt::format("unexpected ')' at {}: no '(' is open", pos_));
            }
            fail(pos_, fmt::format("expected 'and', 'or' or the end of the query at {}, found {}",
                                   pos_, found()));
        }
        return e;
    }

private:
    [[noreturn]] void fail(std::size_t at, std::string message) {
        throw Failure{ParseError{at, std::move(message)}};
    }

    void note(std::string warning) {
        if (notes_ != nullptr) {
            for (const auto& w : notes_->warnings) {
                if (w == warning) {
                    return;
                }
            }
            notes_->warnings.push_back(std::move(warning));
        }
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return text_[pos_]; }

    void skip_space() {
        while (!at_end() && is_space(peek())) {
            ++pos_;
        }
    }

    // A short description of what is at pos_, for messages.
    std::string found() const {
        if (at_end()) {
            return "the end of the query";
        }
        std::size_t end = pos_;
        while (end < text_.size() && !is_space(text_[end]) && end - pos_ < 24) {
            ++end;
        }
        return fmt::format("'{}'", text_.substr(pos_, std::max(end, pos_ + 1) - pos_));
    }

    // Whether the keyword `word` starts at pos_ (case-insensitive, then space, '(' or the end).
    bool keyword_here(std::string_view word) const {
        if (!istarts_with(text_.substr(pos_), word)) {
            return false;
        }
        const std::size_t after = pos_ + word.size();
        return after == text_.size() || is_space(text_[after]) || text_[after] == '(';
    }

    // Characters up to space, '(' or ')'.
    std::string_view bare_word() {
        const std::size_t start = pos_;
        while (!at_end() && !is_space(peek()) && peek() != '(' && peek() != ')') {
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    // A quoted text starting at pos_ (which holds the quote).
    std::string quoted(bool* escaped) {
        const std::size_t open = pos_;
        const char quote = peek();
        ++pos_;
        std::string out;
        while (!at_end()) {
            const char c = peek();
            if (c == '\\' && pos_ + 1 < text_.size()) {
                *escaped = true;
                out += text_[pos_ + 1];
                pos_ += 2;
                continue;
            }
            if (c == quote) {
                ++pos_;
                return out;
            }
            out += c;
            ++pos_;
        }
        fail(open, fmt::format("unterminated quoted text starting at {}: expected a closing {}",
                               open, quote));
    }

    void enter(std::size_t at) {
        if (++depth_ > kMaxNesting) {
            fail(at, fmt::format("nesting deeper than {} (parentheses and 'not's) at {}",
                                 kMaxNesting, at));
        }
    }

    // A group starts at the beginning of the query or after '(': where the reference reads a
    // leading 'not' as negating everything up to the group's end.
    Expr parse_or(bool group_start) {
        bool leading_not = false;
        bool and_chain = false;
        std::vector<Expr> operands;
        operands.push_back(parse_and(group_start, &leading_not, &and_chain));
        bool any_chain = and_chain;
        while (true) {
            const std::size_t save = pos_;
            skip_space();
            if (!keyword_here("or")) {
                pos_ = save;
                break;
            }
            pos_ += 2;
            operands.push_back(parse_and(false, nullptr, &and_chain));
            any_chain = any_chain || and_chain;
        }
        if (operands.size() > 1 && any_chain) {
            note(
                "'and' and 'or' are mixed without parentheses: here 'and' binds tighter "
                "(a or b and c = a or (b and c)), the reference binds 'or' tighter "
                "((a or b) and c); add parentheses");
        }
        if (leading_not && (operands.size() > 1 || any_chain)) {
            note(
                "a 'not' at the start of a query or parenthesis negates only its operand here "
                "(not a and b = (not a) and b), the reference negates everything after it up "
                "to the closing parenthesis; write (not a) and b or not (a and b)");
        }
        if (operands.size() == 1) {
            return std::move(operands.front());
        }
        return Expr::any_of(std::move(operands));
    }

    Expr parse_and(bool group_start, bool* leading_not, bool* chain) {
        std::vector<Expr> operands;
        if (leading_not != nullptr) {
            skip_space();
            *leading_not = group_start && keyword_here("not");
        }
        operands.push_back(parse_unary());
        while (true) {
            const std::size_t save = pos_;
            skip_space();
            if (!keyword_here("and")) {
                pos_ = save;
                break;
            }
            pos_ += 3;
            operands.push_back(parse_unary());
        }
        *chain = operands.size() > 1;
        if (operands.size() == 1) {
            return std::move(operands.front());
        }
        return Expr::all_of(std::move(operands));
    }

    Expr parse_unary() {
        skip_space();
        if (at_end()) {
            fail(pos_, fmt::format("expected a condition at {}, found the end of the query", pos_));
        }
        if (keyword_here("not")) {
            enter(pos_);
            pos_ += 3;
            Expr operand = parse_unary();
            --depth_;
            return Expr::negate(std::move(operand));
        }
        if (peek() == '(') {
            const std::size_t open = pos_;
            enter(open);
            ++pos_;
            Expr inner = parse_or(true);
            skip_space();
            if (at_end() || peek() != ')') {
                fail(pos_, fmt::format("expected 'and', 'or' or ')' at {} to close the '(' at {}, "
                                       "found {}",
                                       pos_, open, found()));
            }
            ++pos_;
            --depth_;
            return inner;
        }
        return parse_condition();
    }

    Expr parse_condition() {
        const std::size_t start = pos_;
        if (peek() == ')') {
            fail(pos_, fmt::format("expected a condition at {}, found ')'", pos_));
        }
        if (is_quote(peek())) {
            fail(pos_, fmt::format("expected a label (labels.KEY, labels[KEY] or "
                                   "labels[\"KEY\"]) at {}, found a quoted text",
                                   pos_));
        }
        std::string key = parse_label();
        const std::string_view label_text = text_.substr(start, pos_ - start);
        if (key.find_first_of(" \t\n\v\f\r") != std::string::npos) {
            note(fmt::format("the label '{}' holds whitespace, which the reference cannot read",
                             key));
        }

        skip_space();
        const std::size_t op_at = pos_;
        const std::string_view op_word = bare_word();
        Op op{};
        bool known = false;
        for (const Op candidate : kOps) {
            if (iequals(op_word, op_name(candidate))) {
                op = candidate;
                known = true;
                break;
            }
        }
        if (!known) {
            pos_ = op_at;
            fail(op_at, fmt::format("expected an operator ({}) after '{}' at {}, found {}", kOpList,
                                    label_text, op_at, found()));
        }
        if (is_unary(op)) {
            return Expr::cond(std::move(key), op);
        }

        skip_space();
        const std::size_t value_at = pos_;
        if (at_end() || peek() == ')' || peek() == '(') {
            fail(value_at, fmt::format("expected a value after '{}' at {}, found {}", op_word,
                                       value_at, found()));
        }
        std::string value;
        if (is_quote(peek())) {
            bool escaped = false;
            value = quoted(&escaped);
            note_quoted_value(value, escaped);
        } else {
            const std::string_view word = bare_word();
            if (is_keyword(word)) {
                fail(value_at, fmt::format("expected a value after '{}' at {}, found the keyword "
                                           "'{}'; quote a value that is a keyword",
                                           op_word, value_at, word));
            }
            if (is_quote(word.front()) || word.front() == '\\' || is_quote(word.back()) ||
                word.back() == '\\') {
                note(fmt::format(
                    "the value {} begins or ends with a quote or backslash, which the reference "
                    "removes; quote the whole value to keep the meaning clear",
                    word));
            }
            value = std::string(word);
        }
        if (op == Op::in || op == Op::not_in) {
            return Expr::cond(std::move(key), op, split_list(value));
        }
        return Expr::cond(std::move(key), op, {std::move(value)});
    }

    std::string parse_label() {
        const std::size_t start = pos_;
        const std::string_view rest = text_.substr(pos_);
        if (istarts_with(rest, "labels[")) {
            pos_ += 7;
            std::string key;
            if (!at_end() && is_quote(peek())) {
                bool escaped = false;
                key = quoted(&escaped);
                if (escaped) {
                    note("the label name uses backslash escapes, which the reference keeps");
                }
            } else {
                const std::size_t key_start = pos_;
                while (!at_end() && peek() != ']' && !is_space(peek()) && peek() != '(' &&
                       peek() != ')') {
                    ++pos_;
                }
                key = std::string(text_.substr(key_start, pos_ - key_start));
                if (key.empty()) {
                    fail(pos_, fmt::format("expected a label name after 'labels[' at {}", pos_));
                }
            }
            if (at_end() || peek() != ']') {
                fail(pos_, fmt::format("expected ']' at {} to close the 'labels[' at {}, found {}",
                                       pos_, start, found()));
            }
            ++pos_;
            return key;
        }
        const std::string_view word = bare_word();
        if (is_keyword(word)) {
            fail(start,
                 fmt::format("expected a condition at {}, found the keyword '{}'", start, word));
        }
        for (const std::string_view prefix :
             {std::string_view("device.labels."), std::string_view("labels.")}) {
            if (istarts_with(word, prefix)) {
                if (word.size() == prefix.size()) {
                    fail(pos_, fmt::format("expected a label name after '{}' at {}", word, pos_));
                }
                if (prefix.front() == 'd') {
                    note(
                        fmt::format("the reference reads '{}' as a label literally named so, which "
                                    "never exists, so it never matches; write 'labels.{}'",
                                    word, word.substr(prefix.size())));
                }
                return std::string(word.substr(prefix.size()));
            }
        }
        return std::string(word);
    }

    void note_quoted_value(const std::string& value, bool escaped) {
        if (value.empty()) {
            note(
                "an empty quoted value matches an empty label here; the reference treats a "
                "condition with an empty value as false");
        }
        if (escaped) {
            note("a quoted value uses backslash escapes; the reference keeps the backslashes");
        }
        if (value.find_first_of("()") != std::string::npos) {
            note(
                fmt::format("the quoted value \"{}\" holds parentheses, which the reference "
                            "reads as grouping (it may reject or misread the query)",
                            value));
        }
        // The reference splits the raw text on \s+and\s+ and \s+or\s+.
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (!is_space(value[i])) {
                continue;
            }
            std::size_t j = i;
            while (j < value.size() && is_space(value[j])) {
                ++j;
            }
            for (const std::string_view kw : {std::string_view("and"), std::string_view("or")}) {
                if (istarts_with(std::string_view(value).substr(j), kw) &&
                    j + kw.size() < value.size() && is_space(value[j + kw.size()])) {
                    note(
                        fmt::format("the quoted value \"{}\" holds the word '{}', where the "
                                    "reference splits the query",
                                    value, kw));
                }
            }
            i = j;
        }
    }

    std::string_view text_;
    ParseNotes* notes_;
    std::size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace

ParseResult parse_noting(std::string_view text, ParseNotes* notes) {
    try {
        if (const auto bad = invalid_utf8_at(text); bad != std::string_view::npos) {
            return {ParseError{bad, fmt::format("the query is not valid UTF-8 at {}", bad)}};
        }
        std::size_t code_points = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 &&
                ++code_points > kMaxQueryLength) {
                return {ParseError{i, fmt::format("the query is longer than {} characters "
                                                  "(character {} is at {})",
                                                  kMaxQueryLength, kMaxQueryLength + 1, i)}};
            }
        }
        if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
            return {ParseError{nul, fmt::format("the query holds a NUL character at {}", nul)}};
        }
        Parser parser(text, notes);
        return {parser.parse_query()};
    } catch (Failure& f) {
        return {std::move(f.error)};
    }
}

}  // namespace detail

ParseResult parse(std::string_view text) {
    return detail::parse_noting(text, nullptr);
}

}  // namespace pm::query
