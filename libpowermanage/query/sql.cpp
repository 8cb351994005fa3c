// The SQL compiler: one boolean expression, every key and value a $n parameter. Each
// condition is written so that it is never NULL (a missing label reads as NULL through
// ->>, hence the coalesce), which makes NOT exact.

#include <boost/json.hpp>
#include <fmt/format.h>

#include <powermanage/query/query.hpp>

#include "query/semantics.hpp"

namespace pm::query {
namespace {

class Compiler {
public:
    Compiler(std::string_view column, std::string_view lower_column, int first)
        : column_(column),
          lower_column_(lower_column.empty() ? fmt::format("pm_labels_lower({})", column)
                                             : std::string(lower_column)),
          next_(first) {}

    void expr(const Expr& e) {
        switch (e.kind) {
            case Expr::Kind::match_all:
                out_.sql += "TRUE";
                return;
            case Expr::Kind::condition:
                condition(e.condition);
                return;
            case Expr::Kind::negation:
                out_.sql += "(NOT ";
                expr(e.children.front());
                out_.sql += ')';
                return;
            case Expr::Kind::conjunction:
            case Expr::Kind::disjunction: {
                const char* joiner = e.kind == Expr::Kind::conjunction ? " AND " : " OR ";
                out_.sql += '(';
                for (std::size_t i = 0; i < e.children.size(); ++i) {
                    if (i > 0) {
                        out_.sql += joiner;
                    }
                    expr(e.children[i]);
                }
                out_.sql += ')';
                return;
            }
        }
    }

    SqlPredicate take() { return std::move(out_); }

private:
    // Adds a parameter; returns its placeholder.
    std::string param(std::string value) {
        out_.params.push_back(std::move(value));
        return fmt::format("${}", next_++);
    }

    // labels_lower @> '{"key": "lowered value"}': the GIN index on labels_lower answers it.
    std::string contains_pair(const std::string& key, const std::string& value) {
        boost::json::object pair;
        pair[key] = detail::ascii_lower(value);
        return fmt::format("{} @> {}::jsonb", lower_column_, param(boost::json::serialize(pair)));
    }

    void condition(const Condition& c) {
        std::string& sql = out_.sql;
        const bool negated = c.op == Op::not_equals || c.op == Op::not_contains ||
                             c.op == Op::not_in || c.op == Op::not_exists;
        if (negated) {
            sql += "(NOT ";
        }
        switch (c.op) {
            case Op::exists:
            case Op::not_exists:
                sql += fmt::format("({} ? {}::text)", column_, param(c.key));
                break;
            case Op::equals:
            case Op::not_equals:
                sql += '(' + contains_pair(c.key, c.values.front()) + ')';
                break;
            case Op::in:
            case Op::not_in: {
                sql += '(';
                for (std::size_t i = 0; i < c.values.size(); ++i) {
                    if (i > 0) {
                        sql += " OR ";
                    }
                    sql += contains_pair(c.key, c.values[i]);
                }
                sql += ')';
                break;
            }
            case Op::contains:
            case Op::not_contains: {
                const std::string k = param(c.key);
                const std::string v = param(detail::ascii_lower(c.values.front()));
                sql += present_and(k, fmt::format("strpos({}, {}::text) > 0", lowered(k), v));
                break;
            }
            case Op::starts_with: {
                const std::string k = param(c.key);
                const std::string v = param(detail::ascii_lower(c.values.front()));
                sql += present_and(k, fmt::format("starts_with({}, {}::text)", lowered(k), v));
                break;
            }
            case Op::ends_with: {
                const std::string k = param(c.key);
                const std::string v = param(detail::ascii_lower(c.values.front()));
                sql += present_and(
                    k, fmt::format("right({}, length({}::text)) = {}::text", lowered(k), v, v));
                break;
            }
            case Op::greater_than:
            case Op::less_than:
            case Op::greater_than_or_equals:
            case Op::less_than_or_equals:
                ordering(c);
                break;
        }
        if (negated) {
            sql += ')';
        }
    }

    // The label's value with A-Z lowered; `k` is the key's placeholder.
    std::string lowered(const std::string& k) const {
        return fmt::format("pm_ascii_lower({} ->> {}::text)", column_, k);
    }

    // `labels ? key AND test`: false for a missing label, and the `?` lets the planner use
    // the GIN index on labels when the label is rare.
    std::string present_and(const std::string& k, const std::string& test) const {
        return fmt::format("({} ? {}::text AND coalesce({}, false))", column_, k, test);
    }

    void ordering(const Condition& c) {
        const char* op = c.op == Op::greater_than             ? ">"
                         : c.op == Op::less_than              ? "<"
                         : c.op == Op::greater_than_or_equals ? ">="
                                                              : "<=";
        const std::string& value = c.values.front();
        const std::string k = param(c.key);
        const std::string label = fmt::format("({} ->> {}::text)", column_, k);
        const std::string v = param(value);
        const std::string text_compare =
            fmt::format("{} COLLATE \"C\" {} {}::text COLLATE \"C\"", label, op, v);
        if (!detail::is_decimal(value)) {
            out_.sql += present_and(k, text_compare);
            return;
        }
        // A parameter of its own for the numeric side: a parameter's type is fixed by its
        // first use, and text -> numeric -> text would turn "-0" into "0".
        const std::string number = param(value);
        out_.sql += present_and(
            k, fmt::format("CASE WHEN {} ~ '{}' THEN {}::numeric {} {}::numeric ELSE {} END", label,
                           detail::kDecimalPattern, label, op, number, text_compare));
    }

    std::string_view column_;
    std::string lower_column_;
    int next_;
    SqlPredicate out_;
};

}  // namespace

SqlPredicate compile_sql(const Expr& expr, std::string_view labels_column, int first_param_number,
                         std::string_view labels_lower_column) {
    Compiler compiler(labels_column, labels_lower_column, first_param_number);
    compiler.expr(expr);
    return compiler.take();
}

}  // namespace pm::query
