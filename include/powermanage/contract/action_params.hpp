#pragma once
/// @file
/// @brief An action's typed params and their stored form: the proto3 JSON of the params message
/// of the `Action.params` oneof (camelCase names, zero values left out, enums by name), which is
/// what executions and stored actions keep in `params` and what the reference stores too.
#include <string_view>

#include <boost/json/object.hpp>

namespace pm::v1 {
class Action;
}  // namespace pm::v1

namespace pm::contract {

/// The `Action.params` oneof member that carries the params of action type `type` (a
/// pm.v1.ActionType number): "package", "update", "repository", "app" (AppImage, DEB, RPM),
/// "flatpak", "shell", "systemd", "file", "directory"; empty for a type without params.
std::string_view params_field(int action_type);

/// The params the action carries, as proto3 JSON; an empty object when none is set.
boost::json::object params_to_json(const pm::v1::Action& action);

/// Sets the action's params from their stored JSON, as the member that `action_type` uses.
/// An empty object sets nothing. Throws std::invalid_argument if the JSON does not fit the
/// params message (unknown fields are refused).
void params_from_json(const boost::json::object& params, int action_type, pm::v1::Action& action);

}  // namespace pm::contract
