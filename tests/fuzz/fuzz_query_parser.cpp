// Fuzzes the dynamic device-group query parser (pm::query) with any bytes as query text:
//   - parse() never throws, crashes or recurses without bound;
//   - an error's position lies within the text;
//   - a parsed query's canonical text parses back to the same AST, and is canonical (a
//     fixed point of to_text);
//   - matches() and compile_sql() run on every parsed AST, and the SQL's placeholders are
//     exactly $1..$n for its n parameters;
//   - reference_differences() never fails.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <powermanage/query/query.hpp>

#include "fuzz_support.hpp"

namespace {

using pm::fuzz::require;

std::size_t count_placeholders(const std::string& sql) {
    std::size_t n = 0;
    for (std::size_t i = 0; i + 1 < sql.size(); ++i) {
        if (sql[i] == '$' && sql[i + 1] >= '1' && sql[i + 1] <= '9') {
            ++n;
        }
    }
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = pm::query::parse(text);
    (void)pm::query::reference_differences(text);
    if (!parsed.ok()) {
        require(parsed.error().position <= text.size(), "error position beyond the text", text);
        require(!parsed.error().message.empty(), "error without a message", text);
        return 0;
    }
    const auto& expr = parsed.expr();
    const std::string canonical = pm::query::to_text(expr);
    const auto again = pm::query::parse(canonical);
    require(again.ok(), "canonical text does not parse", canonical);
    require(again.expr() == expr, "canonical text parses to another AST", canonical);
    require(pm::query::to_text(again.expr()) == canonical, "canonical text is not stable",
            canonical);

    pm::query::Labels labels;
    labels["env"] = "prod";
    labels[""] = "";
    (void)pm::query::matches(expr, labels);
    const auto sql = pm::query::compile_sql(expr, "labels", 1, "labels_lower");
    // Every value is a parameter; the fixed SQL text holds no other "$<digit>".
    require(count_placeholders(sql.sql) >= sql.params.size(), "parameters without placeholders",
            sql.sql);
    return 0;
}
