#pragma once

/// @file
/// @brief The traversal behind RuleSet::validate(): walks a message by reflection along the
/// compiled plans and records every failed check.

#include <vector>

#include <powermanage/validation/validator.hpp>

#include "rule.hpp"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace pm::validation::detail {

/// One step of the path to the value being checked. Paths are kept as a chain of stack frames
/// and only rendered to text when a check fails, so valid messages cost no allocation.
struct PathNode {
    const PathNode* parent = nullptr;
    const google::protobuf::FieldDescriptor* field = nullptr;
    int index = -1;                                        ///< element of a repeated field
    const google::protobuf::Message* map_entry = nullptr;  ///< entry of a map field
};

/// Renders a path as `items[1].name` or `labels[env]`.
std::string render_path(const PathNode& node);

/// Appends the violations of `message` (and of the messages it holds) to `out`.
void walk(const CompiledRules& rules, const google::protobuf::Message& message,
          const PathNode* path, std::vector<Violation>& out);

}  // namespace pm::validation::detail
