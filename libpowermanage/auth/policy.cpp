#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>

#include <boost/json.hpp>
#include <google/protobuf/descriptor.h>

#include <powermanage/auth/policy.hpp>
#include <powermanage/contract/contract.hpp>

#include "auth/default_policy.hpp"

namespace pm::auth {
namespace {

namespace json = boost::json;
namespace gp = google::protobuf;

constexpr std::string_view kService = "pm.v1.ControlService";
constexpr std::string_view kWildcard = "*";

constexpr std::array<Condition, 6> kConditions = {
    Condition::always,    Condition::self,          Condition::assigned_device,
    Condition::own_token, Condition::own_execution, Condition::scoped,
};

bool needs_field(Condition condition) {
    return condition != Condition::always && condition != Condition::scoped;
}

// A (method, role) key that looks rules up without building two std::strings per call.
struct KeyView {
    std::string_view method;
    std::string_view role;

    using Key = std::pair<std::string, std::string>;
    // Compared field by field: libstdc++ 12 with clang 14 has no tuple<string&> <
    // tuple<string_view&>.
    static bool less(std::string_view a1, std::string_view a2, std::string_view b1,
                     std::string_view b2) {
        return a1 != b1 ? a1 < b1 : a2 < b2;
    }
    friend bool operator<(const Key& a, const KeyView& b) {
        return less(a.first, a.second, b.method, b.role);
    }
    friend bool operator<(const KeyView& a, const Key& b) {
        return less(a.method, a.role, b.first, b.second);
    }
};

const gp::ServiceDescriptor& control_service() {
    const auto* service = pm::contract::pool().FindServiceByName(std::string(kService));
    if (service == nullptr) {
        throw std::logic_error("the contract has no pm.v1.ControlService");
    }
    return *service;
}

// The reason `field` cannot carry a target id in `method`'s request, or empty if it can.
std::string field_problem(std::string_view method, const std::string& field) {
    const auto* descriptor = control_service().FindMethodByName(std::string(method));
    if (descriptor == nullptr) {
        return "the ControlService has no method " + std::string(method) +
               " whose request could hold field \"" + field + "\"";
    }
    const auto* request = descriptor->input_type();
    const auto* f = request->FindFieldByName(field);
    if (f == nullptr) {
        return "field \"" + field + "\" is not a field of " + request->full_name();
    }
    // Target ids are ULIDs: a single string field.
    if (f->type() != gp::FieldDescriptor::TYPE_STRING || f->is_repeated()) {
        return "field \"" + field + "\" of " + request->full_name() +
               " is not a single string, so it cannot hold an id";
    }
    return {};
}

const json::value* member(const json::object& object, std::string_view key) {
    return object.if_contains(key);
}

}  // namespace

std::string_view to_string(Condition condition) {
    switch (condition) {
        case Condition::always:
            return "always";
        case Condition::self:
            return "self";
        case Condition::assigned_device:
            return "assigned_device";
        case Condition::own_token:
            return "own_token";
        case Condition::own_execution:
            return "own_execution";
        case Condition::scoped:
            return "scoped";
    }
    return "unknown";
}

const std::vector<std::string>& Policy::roles() {
    static const std::vector<std::string> roles = {"admin", "user", "device"};
    return roles;
}

Policy Policy::default_policy() {
    // Parsed once: the text is compiled in, so it is the same on every call (and its own test
    // proves it parses).
    static const Policy policy =
        from_json(detail::default_policy_json(), control_service_methods());
    return policy;
}

Policy Policy::from_json(std::string_view text, const std::vector<std::string>& known_methods) {
    boost::system::error_code ec;
    const json::value document = json::parse(text, ec);
    if (ec) {
        throw std::invalid_argument("policy: not valid JSON: " + ec.message());
    }
    if (!document.is_object()) {
        throw std::invalid_argument("policy: the document must be a JSON object");
    }
    const json::object& root = document.get_object();
    for (const auto& entry : root) {
        if (entry.key() != "version" && entry.key() != "rules") {
            throw std::invalid_argument("policy: unknown top-level key \"" +
                                        std::string(entry.key()) + "\"");
        }
    }
    const auto* version = member(root, "version");
    if (version == nullptr || !version->is_number() || !version->is_int64() ||
        version->get_int64() != 1) {
        throw std::invalid_argument("policy: \"version\": 1 is required");
    }
    const auto* rules = member(root, "rules");
    if (rules == nullptr || !rules->is_array()) {
        throw std::invalid_argument("policy: \"rules\" must be an array");
    }

    Policy policy;
    std::size_t index = 0;
    for (const json::value& item : rules->get_array()) {
        std::string where = "policy rule " + std::to_string(index);
        const auto fail = [&where](const std::string& why) {
            throw std::invalid_argument(where + ": " + why);
        };
        ++index;
        if (!item.is_object()) {
            fail("must be a JSON object");
        }
        const json::object& rule = item.get_object();
        for (const auto& entry : rule) {
            const std::string_view key = entry.key();
            if (key != "method" && key != "role" && key != "allow" && key != "field") {
                fail("unknown key \"" + std::string(key) + "\"");
            }
            if (!entry.value().is_string()) {
                fail("\"" + std::string(key) + "\" must be a string");
            }
        }
        const auto text_of = [&rule](std::string_view key) -> std::optional<std::string> {
            const auto* v = rule.if_contains(key);
            if (v == nullptr) {
                return std::nullopt;
            }
            return std::string(v->get_string());
        };
        const auto method = text_of("method");
        if (!method) {
            fail("\"method\" is missing");
        }
        where += " (method " + *method + ")";
        const auto role = text_of("role");
        const auto allow = text_of("allow");
        const auto field = text_of("field");
        if (*method != kWildcard &&
            std::find(known_methods.begin(), known_methods.end(), *method) == known_methods.end()) {
            fail("unknown method \"" + *method + "\"");
        }
        if (!role) {
            fail("\"role\" is missing");
        }
        if (std::find(roles().begin(), roles().end(), *role) == roles().end()) {
            fail("unknown role \"" + *role + "\" (roles are admin, user, device)");
        }
        if (!allow) {
            fail("\"allow\" is missing");
        }
        const auto condition = std::find_if(kConditions.begin(), kConditions.end(),
                                            [&](Condition c) { return to_string(c) == *allow; });
        if (condition == kConditions.end()) {
            fail("unknown condition \"" + *allow + "\"");
        }
        Permission permission{*condition, field.value_or("")};
        if (needs_field(*condition)) {
            if (!field || field->empty()) {
                fail("condition \"" + *allow +
                     "\" needs \"field\", the request field holding "
                     "the target id");
            }
            // A wildcard rule's field must exist in every request it can apply to.
            std::vector<std::string> targets;
            if (*method == kWildcard) {
                targets = known_methods;
            } else {
                targets.push_back(*method);
            }
            for (const auto& target : targets) {
                if (auto problem = field_problem(target, *field); !problem.empty()) {
                    fail(problem);
                }
            }
        } else if (field) {
            fail("condition \"" + *allow + "\" takes no \"field\"");
        }
        if (!policy.rules_.emplace(std::pair{*method, *role}, std::move(permission)).second) {
            fail("a second rule for role " + *role + "; each (method, role) may have one");
        }
    }
    return policy;
}

Policy Policy::from_file(const std::string& path, const std::vector<std::string>& known_methods) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::invalid_argument("policy file " + path + ": cannot be read");
    }
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return from_json(text.str(), known_methods);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("policy file " + path + ": " + e.what());
    }
}

std::optional<Permission> Policy::lookup(std::string_view method, std::string_view role) const {
    if (const auto it = rules_.find(KeyView{method, role}); it != rules_.end()) {
        return it->second;
    }
    if (const auto it = rules_.find(KeyView{kWildcard, role}); it != rules_.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::vector<std::string> control_service_methods() {
    const gp::ServiceDescriptor& service = control_service();
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(service.method_count()));
    for (int i = 0; i < service.method_count(); ++i) {
        names.push_back(service.method(i)->name());
    }
    return names;
}

}  // namespace pm::auth
