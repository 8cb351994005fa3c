#pragma once
/// @file
/// @brief Authorization as data: for each ControlService RPC and each role (admin, user,
/// device), whether a call is allowed and under which condition. The default policy is
/// embedded in the library; a JSON file can replace it. Conditions name the request field
/// that carries the target id, so they are checked against what the request asks for
/// (reference defect 3: the reference never passes target ids and its "self" rules never
/// match).
///
/// The JSON form (also the embedded default, libpowermanage/auth/default_policy.json):
///
///     {"version": 1,
///      "rules": [
///        {"method": "*",             "role": "admin",  "allow": "always"},
///        {"method": "GetUser",       "role": "user",   "allow": "self", "field": "id"},
///        {"method": "ListDevices",   "role": "user",   "allow": "scoped"},
///        ...]}
///
/// `method` is the RPC's short name (or "*" for every ControlService RPC); a call matches the
/// rule for its exact method before a "*" rule; no rule means denied. Unknown methods,
/// roles, conditions, duplicate rules, and conditions missing their `field` are errors.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pm::auth {

/// When a rule allows a call.
enum class Condition {
    always,           ///< unconditionally
    self,             ///< request field `field` equals the caller's id
    assigned_device,  ///< request field `field` names a live device assigned to the caller
    own_token,        ///< request field `field` names a token the caller owns
    own_execution,  ///< request field `field` names an execution on a device in the caller's scope
    scoped,         ///< allowed; the handler limits what it returns to the caller's scope
};

/// "always", "self", ... as in the JSON form.
std::string_view to_string(Condition condition);

/// What the policy says about one (method, role).
struct Permission {
    Condition condition = Condition::always;  ///< when it is allowed
    std::string field;  ///< the request field holding the target id (conditions that need one)
};

/// A complete policy. Immutable once built; thread-safe to read.
class Policy {
public:
    /// The embedded default (docs/authorization.md has it as a table).
    static Policy default_policy();
    /// Parses the JSON form. `known_methods` are the RPC short names rules may name (the
    /// ControlService's). Throws std::invalid_argument saying which rule is wrong and why.
    static Policy from_json(std::string_view json, const std::vector<std::string>& known_methods);
    /// from_json() on a file's contents; the error names the file.
    static Policy from_file(const std::string& path, const std::vector<std::string>& known_methods);

    /// The permission of `role` for `method` (short name), or nullopt: denied.
    std::optional<Permission> lookup(std::string_view method, std::string_view role) const;

    /// The roles a policy may name.
    static const std::vector<std::string>& roles();

private:
    // (method or "*", role) -> permission
    std::map<std::pair<std::string, std::string>, Permission, std::less<>> rules_;
};

/// The short names of the ControlService's RPCs, from the contract's descriptors.
std::vector<std::string> control_service_methods();

}  // namespace pm::auth
