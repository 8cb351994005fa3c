// Canonical text: every label as labels["key"], every value quoted, operators in their
// camelCase spelling, and parentheses only where precedence needs them, so the text's
// nesting never exceeds that of the query it came from (and stays within kMaxNesting).

#include <powermanage/query/query.hpp>

namespace pm::query {
namespace {

void quote(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
}

void write(std::string& out, const Expr& e);

void write_operand(std::string& out, const Expr& e, bool parenthesise) {
    if (parenthesise) {
        out += '(';
        write(out, e);
        out += ')';
    } else {
        write(out, e);
    }
}

bool is_junction(const Expr& e) {
    return e.kind == Expr::Kind::conjunction || e.kind == Expr::Kind::disjunction;
}

void write(std::string& out, const Expr& e) {
    switch (e.kind) {
        case Expr::Kind::match_all:
            return;
        case Expr::Kind::condition: {
            const Condition& c = e.condition;
            out += "labels[";
            quote(out, c.key);
            out += "] ";
            out += op_name(c.op);
            if (is_unary(c.op)) {
                return;
            }
            out += ' ';
            std::string value;
            for (std::size_t i = 0; i < c.values.size(); ++i) {
                if (i > 0) {
                    value += ',';
                }
                value += c.values[i];
            }
            quote(out, value);
            return;
        }
        case Expr::Kind::negation:
            out += "not ";
            write_operand(out, e.children.front(), is_junction(e.children.front()));
            return;
        case Expr::Kind::conjunction:
        case Expr::Kind::disjunction: {
            const bool conj = e.kind == Expr::Kind::conjunction;
            for (std::size_t i = 0; i < e.children.size(); ++i) {
                if (i > 0) {
                    out += conj ? " and " : " or ";
                }
                const Expr& child = e.children[i];
                // `and` binds tighter than `or`: an and-operand of an or needs no parentheses.
                const bool paren =
                    conj ? is_junction(child) : child.kind == Expr::Kind::disjunction;
                write_operand(out, child, paren);
            }
            return;
        }
    }
}

}  // namespace

std::string to_text(const Expr& expr) {
    std::string out;
    write(out, expr);
    return out;
}

}  // namespace pm::query
