#pragma once
/// @file
/// @brief PostgreSQL text[] literals for passing lists as one query parameter.
#include <span>
#include <string>
#include <string_view>

namespace pm::db {

/// A PostgreSQL text[] literal of `elements`, such as {"a","b\"c"}: every element is
/// double-quoted and backslash-escaped, so any text (commas, braces, quotes, the word NULL)
/// arrives as itself. Pass it as a parameter and cast it in SQL (`$1::text[]`).
std::string text_array_literal(std::span<const std::string> elements);

/// text_array_literal() of views.
std::string text_array_literal(std::span<const std::string_view> elements);

}  // namespace pm::db
