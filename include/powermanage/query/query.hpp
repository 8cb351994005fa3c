#pragma once

/// @file
/// @brief The dynamic device-group query language (docs/query-language.md): a parser to an
/// AST, canonical text, an in-memory evaluator for one device's labels, a compiler to one
/// parameterised SQL predicate over a jsonb labels column, and a static check of where the
/// reference server (v2026.02.0) would select other devices for the same text.
///
/// The in-memory evaluator and the SQL predicate agree on every query and every label set
/// (tests/query/query_property_test.cpp checks it against PostgreSQL).

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pm::query {

/// The longest query accepted, in Unicode code points (the reference counts runes).
inline constexpr std::size_t kMaxQueryLength = 4096;
/// The deepest nesting accepted: open parentheses plus `not`s around any point of the query.
inline constexpr int kMaxNesting = 10;

/// A condition's operator. Names in the language: the camelCase spelling of each
/// (`equals`, `notEquals`, ...), matched case-insensitively.
enum class Op {
    equals,                  ///< the label is present and equal, ASCII case-insensitively
    not_equals,              ///< the label is missing or not equal
    contains,                ///< present and holds the value (literally, `%` and `_` too)
    not_contains,            ///< missing or does not hold the value
    starts_with,             ///< present and starts with the value
    ends_with,               ///< present and ends with the value
    greater_than,            ///< present and greater (numeric if both are numbers, else bytes)
    less_than,               ///< present and less
    greater_than_or_equals,  ///< present and greater or equal
    less_than_or_equals,     ///< present and less or equal
    in,                      ///< present and equal to one of a comma-separated list
    not_in,                  ///< missing or equal to none of the list
    exists,                  ///< the label is present
    not_exists,              ///< the label is missing
};

/// The operator's name in the language (`notEquals`).
std::string_view op_name(Op op);

/// Whether `op` takes no value (exists, notExists).
bool is_unary(Op op);

/// `<label> <op> [<value>]`.
struct Condition {
    std::string key;     ///< the label name, case-sensitive
    Op op = Op::exists;  ///< the operator
    /// No value for exists/notExists; the trimmed parts of the comma-separated list for
    /// in/notIn; otherwise exactly one value. Values are kept as written (not lower-cased).
    std::vector<std::string> values;

    /// Field-wise equality.
    friend bool operator==(const Condition&, const Condition&) = default;
};

/// A node of the AST.
struct Expr {
    /// What the node is.
    enum class Kind {
        match_all,    ///< the blank query: every device
        condition,    ///< `condition`
        negation,     ///< `not children[0]`
        conjunction,  ///< `children[0] and children[1] and ...` (two or more)
        disjunction,  ///< `children[0] or children[1] or ...` (two or more)
    };

    Kind kind = Kind::match_all;  ///< what the node is
    Condition condition;          ///< for Kind::condition
    std::vector<Expr> children;   ///< the operands of negation, conjunction, disjunction

    /// A condition node.
    static Expr cond(std::string key, Op op, std::vector<std::string> values = {});
    /// `not operand`.
    static Expr negate(Expr operand);
    /// `a and b and ...` (at least two operands).
    static Expr all_of(std::vector<Expr> operands);
    /// `a or b or ...` (at least two operands).
    static Expr any_of(std::vector<Expr> operands);

    /// Structural equality.
    friend bool operator==(const Expr&, const Expr&) = default;
};

/// Why a text is not a query.
struct ParseError {
    std::size_t position = 0;  ///< byte offset into the text where the problem is
    std::string message;       ///< what was expected there, with the position
};

/// The result of parse(): an AST or the first error.
struct ParseResult {
    std::variant<Expr, ParseError> value;  ///< the AST or the error

    /// Whether the text parsed.
    bool ok() const { return value.index() == 0; }
    /// The AST; only when ok().
    const Expr& expr() const { return std::get<Expr>(value); }
    /// The error; only when !ok().
    const ParseError& error() const { return std::get<ParseError>(value); }
};

/// Parses a query. A blank text is Kind::match_all (every device, as the reference). Never
/// throws on any input except std::bad_alloc; recursion is bounded by kMaxNesting.
ParseResult parse(std::string_view text);

/// Canonical text of `expr`: `labels["key"] op "value"`, lowest-precedence parentheses only,
/// so that parse(to_text(e)) == e for every AST the parser can produce.
std::string to_text(const Expr& expr);

/// One device's labels.
using Labels = std::map<std::string, std::string, std::less<>>;

/// Whether a device with `labels` is selected by `expr` (the semantics of
/// docs/query-language.md, identical to compile_sql's).
bool matches(const Expr& expr, const Labels& labels);

/// A boolean SQL expression with `$n` placeholders and their text values.
struct SqlPredicate {
    std::string sql;                  ///< e.g. `(labels ? $1)`
    std::vector<std::string> params;  ///< the values of $first.. in order
};

/// Compiles `expr` to one SQL boolean expression over the jsonb column `labels_column` (an
/// identifier or `alias.column` chosen by the caller, never user text), numbering
/// placeholders from `first_param_number`. Keys and values are only ever parameters.
/// `labels_lower_column` names a column holding pm_labels_lower(labels) (devices_projection:
/// `labels_lower`, migration 0007); when empty the function is called on `labels_column`.
/// equals/in are containment on it (GIN index devices_projection_labels_lower), exists and
/// notExists use `?` (GIN index devices_projection_labels).
SqlPredicate compile_sql(const Expr& expr, std::string_view labels_column,
                         int first_param_number = 1, std::string_view labels_lower_column = {});

/// Warnings, one sentence each, for the places where the reference server would select
/// other devices than this one for `text` (docs/query-language.md, "Differences"). Empty
/// when the text means the same in both, or does not parse (parse() reports that).
std::vector<std::string> reference_differences(std::string_view text);

}  // namespace pm::query
