#pragma once

// The default authorization policy, compiled into the library by pm_embed_text
// (auth/CMakeLists.txt).

#include <string_view>

namespace pm::auth::detail {

/// The text of libpowermanage/auth/default_policy.json.
std::string_view default_policy_json();

}  // namespace pm::auth::detail
