#pragma once

// The checksum both migrate() overloads record for a migration's SQL.

#include <string>
#include <string_view>

namespace pm::db::detail {

/// FNV-1a of `sql` as 16 hex digits.
std::string migration_checksum(std::string_view sql);

}  // namespace pm::db::detail
