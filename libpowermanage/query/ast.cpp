// The AST's small pieces: operator names, node constructors.

#include <utility>

#include <powermanage/query/query.hpp>

namespace pm::query {

std::string_view op_name(Op op) {
    switch (op) {
        case Op::equals:
            return "equals";
        case Op::not_equals:
            return "notEquals";
        case Op::contains:
            return "contains";
        case Op::not_contains:
            return "notContains";
        case Op::starts_with:
            return "startsWith";
        case Op::ends_with:
            return "endsWith";
        case Op::greater_than:
            return "greaterThan";
        case Op::less_than:
            return "lessThan";
        case Op::greater_than_or_equals:
            return "greaterThanOrEquals";
        case Op::less_than_or_equals:
            return "lessThanOrEquals";
        case Op::in:
            return "in";
        case Op::not_in:
            return "notIn";
        case Op::exists:
            return "exists";
        case Op::not_exists:
            return "notExists";
    }
    return "?";
}

bool is_unary(Op op) {
    return op == Op::exists || op == Op::not_exists;
}

Expr Expr::cond(std::string key, Op op, std::vector<std::string> values) {
    Expr e;
    e.kind = Kind::condition;
    e.condition = Condition{std::move(key), op, std::move(values)};
    return e;
}

Expr Expr::negate(Expr operand) {
    Expr e;
    e.kind = Kind::negation;
    e.children.push_back(std::move(operand));
    return e;
}

Expr Expr::all_of(std::vector<Expr> operands) {
    Expr e;
    e.kind = Kind::conjunction;
    e.children = std::move(operands);
    return e;
}

Expr Expr::any_of(std::vector<Expr> operands) {
    Expr e;
    e.kind = Kind::disjunction;
    e.children = std::move(operands);
    return e;
}

}  // namespace pm::query
