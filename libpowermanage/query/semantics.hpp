#pragma once

// What the in-memory evaluator and the SQL compiler must define identically: the case
// folding, the numeric test, the decimal comparison. Each function names its SQL twin.

#include <string>
#include <string_view>
#include <vector>

#include <powermanage/query/query.hpp>

namespace pm::query::detail {

/// ASCII A-Z to a-z, every other byte unchanged. SQL twin: pm_ascii_lower() (migration 0007,
/// translate() over the 26 letters). For UTF-8 text both change exactly the same characters,
/// since an ASCII byte never occurs inside a multi-byte sequence.
std::string ascii_lower(std::string_view text);

/// Whether `text` is a decimal number as the ordering operators read one: optional '-',
/// digits, optionally '.' and digits; nothing else (no '+', spaces, exponent, NaN).
/// SQL twin: kDecimalPattern.
bool is_decimal(std::string_view text);

/// The SQL regular expression equal to is_decimal().
inline constexpr std::string_view kDecimalPattern = R"(^-?[0-9]+(\.[0-9]+)?$)";

/// Compares two texts for which is_decimal() holds, exactly (as PostgreSQL's numeric
/// does): negative, zero or positive.
int compare_decimal(std::string_view a, std::string_view b);

/// ASCII whitespace: space, \t, \n, \v, \f, \r.
bool is_space(char c);

/// The parts of an in/notIn list: split on ',', each part trimmed of ASCII whitespace.
std::vector<std::string> split_list(std::string_view text);

/// Which form a label was written in, for reference_differences().
struct ParseNotes {
    std::vector<std::string> warnings;  ///< syntax-level differences, in order found
};

/// parse() that also records the syntax-level differences from the reference.
ParseResult parse_noting(std::string_view text, ParseNotes* notes);

}  // namespace pm::query::detail
