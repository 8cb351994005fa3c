#include "walker.hpp"

#include <algorithm>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "value.hpp"

namespace pm::validation::detail {
namespace {

namespace gp = google::protobuf;

enum class Outcome {
    kPassed,   ///< every check passed: held messages are validated next
    kSkipped,  ///< `omitempty` met a zero value
    kFailed,   ///< a check failed and was recorded
};

std::string map_key_text(const gp::Message& entry) {
    const gp::FieldDescriptor& key = *entry.GetDescriptor()->map_key();
    const gp::Reflection& reflection = *entry.GetReflection();
    switch (key.cpp_type()) {
        case gp::FieldDescriptor::CPPTYPE_STRING:
            return reflection.GetString(entry, &key);
        case gp::FieldDescriptor::CPPTYPE_INT32:
            return std::to_string(reflection.GetInt32(entry, &key));
        case gp::FieldDescriptor::CPPTYPE_INT64:
            return std::to_string(reflection.GetInt64(entry, &key));
        case gp::FieldDescriptor::CPPTYPE_UINT32:
            return std::to_string(reflection.GetUInt32(entry, &key));
        case gp::FieldDescriptor::CPPTYPE_UINT64:
            return std::to_string(reflection.GetUInt64(entry, &key));
        case gp::FieldDescriptor::CPPTYPE_BOOL:
            return reflection.GetBool(entry, &key) ? "true" : "false";
        default:
            return "?";  // proto3 allows no other key types
    }
}

class Walker {
public:
    Walker(const CompiledRules& rules, std::vector<Violation>& out) : rules_(rules), out_(out) {}

    void walk_message(const gp::Message& message, const PathNode* path) {
        const auto it = rules_.plans.find(message.GetDescriptor());
        if (it != rules_.plans.end()) {
            visit_fields(message, it->second, path);
        } else {
            visit_fields(message, fallback_plan(*message.GetDescriptor()), path);
        }
    }

private:
    void visit_fields(const gp::Message& message, const std::vector<FieldPlan>& plan,
                      const PathNode* path) {
        for (const FieldPlan& field : plan) {
            visit(message, field, path);
        }
    }

    void visit(const gp::Message& message, const FieldPlan& plan, const PathNode* path) {
        const gp::FieldDescriptor& field = *plan.field;
        const PathNode node{path, &field, -1, nullptr};
        std::string scratch;
        const Value value = read_value(message, field, -1, scratch);
        if (plan.rule != nullptr &&
            run(plan.rule->outer, value, message, node) != Outcome::kPassed) {
            return;
        }
        if (field.is_repeated()) {
            // validator visits elements only under `dive`; build_plans() already dropped
            // repeated fields without one.
            if (plan.rule != nullptr && plan.rule->dive) {
                if (field.is_map()) {
                    dive_map(message, plan, path);
                } else {
                    dive_list(message, plan, path);
                }
            }
            return;
        }
        if (plan.recurse && value.flag) {
            walk_message(message.GetReflection()->GetMessage(message, &field), &node);
        }
    }

    void dive_list(const gp::Message& message, const FieldPlan& plan, const PathNode* path) {
        const gp::FieldDescriptor& field = *plan.field;
        const gp::Reflection& reflection = *message.GetReflection();
        const int size = reflection.FieldSize(message, &field);
        std::string scratch;
        for (int i = 0; i < size; ++i) {
            const PathNode node{path, &field, i, nullptr};
            const Value value = read_value(message, field, i, scratch);
            if (run(plan.rule->elements, value, message, node) == Outcome::kPassed &&
                plan.recurse) {
                walk_message(reflection.GetRepeatedMessage(message, &field, i), &node);
            }
        }
    }

    void dive_map(const gp::Message& message, const FieldPlan& plan, const PathNode* path) {
        const gp::FieldDescriptor& field = *plan.field;
        const gp::FieldDescriptor& key_field = *field.message_type()->map_key();
        const gp::FieldDescriptor& value_field = *field.message_type()->map_value();
        const gp::Reflection& reflection = *message.GetReflection();
        const int size = reflection.FieldSize(message, &field);
        const std::size_t first = out_.size();
        std::string scratch;
        for (int i = 0; i < size; ++i) {
            const gp::Message& entry = reflection.GetRepeatedMessage(message, &field, i);
            const PathNode node{path, &field, -1, &entry};
            if (!plan.rule->keys.empty()) {
                run(plan.rule->keys, read_value(entry, key_field, -1, scratch), message, node);
            }
            const Value value = read_value(entry, value_field, -1, scratch);
            if (run(plan.rule->elements, value, message, node) == Outcome::kPassed &&
                plan.recurse && value.flag) {
                walk_message(entry.GetReflection()->GetMessage(entry, &value_field), &node);
            }
        }
        // Map order is unspecified; sorting this field's violations keeps reports stable.
        std::stable_sort(out_.begin() + static_cast<std::ptrdiff_t>(first), out_.end(),
                         [](const Violation& a, const Violation& b) { return a.field < b.field; });
    }

    Outcome run(const Chain& chain, const Value& value, const gp::Message& owner,
                const PathNode& node) {
        for (const Check& check : chain) {
            if (check.keyword == Keyword::kOmitEmpty) {
                if (is_zero(value)) {
                    return Outcome::kSkipped;
                }
                continue;
            }
            if (!passes(check, value, owner)) {
                std::string path = render_path(node);
                std::string message = path + " " + check.message;
                out_.push_back({std::move(path), check.rule, std::move(message)});
                return Outcome::kFailed;
            }
        }
        return Outcome::kPassed;
    }

    const CompiledRules& rules_;
    std::vector<Violation>& out_;
};

}  // namespace

std::string render_path(const PathNode& node) {
    std::vector<const PathNode*> steps;
    for (const PathNode* step = &node; step != nullptr; step = step->parent) {
        steps.push_back(step);
    }
    std::string path;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
        const PathNode& step = **it;
        if (!path.empty()) {
            path += '.';
        }
        path += step.field->name();
        if (step.index >= 0) {
            path += '[' + std::to_string(step.index) + ']';
        } else if (step.map_entry != nullptr) {
            path += '[' + map_key_text(*step.map_entry) + ']';
        }
    }
    return path;
}

void walk(const CompiledRules& rules, const gp::Message& message, const PathNode* path,
          std::vector<Violation>& out) {
    Walker(rules, out).walk_message(message, path);
}

}  // namespace pm::validation::detail
