#pragma once

/// @file
/// @brief The pm.v1 rule table, compiled into the library by pm_embed_text (see
/// libpowermanage/validation/CMakeLists.txt) so that it cannot go missing at run time.

#include <string_view>

namespace pm::validation::detail {

/// The text of libpowermanage/validation/contract_rules.tsv.
std::string_view contract_rules_text();

}  // namespace pm::validation::detail
