// Decides which fields of which messages the validator visits, so validate() never inspects
// fields that cannot fail: tagged fields, and message fields that lead to tagged ones.

#include <unordered_set>

#include <google/protobuf/descriptor.h>

#include "rule.hpp"

namespace pm::validation::detail {
namespace {

namespace gp = google::protobuf;

void add_file(const gp::FileDescriptor& file, std::unordered_set<const gp::FileDescriptor*>& seen,
              std::vector<const gp::FileDescriptor*>& files) {
    if (!seen.insert(&file).second) {
        return;
    }
    files.push_back(&file);
    for (int i = 0; i < file.dependency_count(); ++i) {
        add_file(*file.dependency(i), seen, files);
    }
}

void add_message(const gp::Descriptor& message, std::vector<const gp::Descriptor*>& messages) {
    messages.push_back(&message);
    for (int i = 0; i < message.nested_type_count(); ++i) {
        add_message(*message.nested_type(i), messages);
    }
}

const FieldRule* find_rule(const CompiledRules& compiled, const gp::FieldDescriptor& field) {
    const auto it = compiled.rules.find(&field);
    return it == compiled.rules.end() ? nullptr : &it->second;
}

// The message type whose rules apply to the messages `field` holds, or null when validator
// would not descend: repeated and map values are only visited under `dive`.
const gp::Descriptor* held_type(const CompiledRules& compiled, const gp::FieldDescriptor& field) {
    if (field.cpp_type() != gp::FieldDescriptor::CPPTYPE_MESSAGE) {
        return nullptr;
    }
    if (!field.is_repeated()) {
        return field.message_type();
    }
    const FieldRule* rule = find_rule(compiled, field);
    if (rule == nullptr || !rule->dive) {
        return nullptr;
    }
    if (field.is_map()) {
        const gp::FieldDescriptor& value = *field.message_type()->map_value();
        return value.cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE ? value.message_type()
                                                                        : nullptr;
    }
    return field.message_type();
}

}  // namespace

void build_plans(CompiledRules& compiled) {
    std::unordered_set<const gp::FileDescriptor*> seen_files;
    std::vector<const gp::FileDescriptor*> files;
    std::unordered_set<const gp::Descriptor*> relevant;
    for (const auto& [field, rule] : compiled.rules) {
        add_file(*field->containing_type()->file(), seen_files, files);
        relevant.insert(field->containing_type());
    }
    std::vector<const gp::Descriptor*> messages;
    for (const auto* file : files) {
        for (int i = 0; i < file->message_type_count(); ++i) {
            add_message(*file->message_type(i), messages);
        }
    }

    // A message is worth descending into when it has rules or holds one that is; iterate to a
    // fixed point because message types may refer to each other in cycles.
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto* message : messages) {
            if (relevant.contains(message)) {
                continue;
            }
            for (int i = 0; i < message->field_count(); ++i) {
                const gp::Descriptor* held = held_type(compiled, *message->field(i));
                if (held != nullptr && relevant.contains(held)) {
                    relevant.insert(message);
                    changed = true;
                    break;
                }
            }
        }
    }

    for (const auto* message : messages) {
        std::vector<FieldPlan> plan;
        for (int i = 0; i < message->field_count(); ++i) {
            const gp::FieldDescriptor& field = *message->field(i);
            const FieldRule* rule = find_rule(compiled, field);
            const gp::Descriptor* held = held_type(compiled, field);
            const bool recurse = held != nullptr && relevant.contains(held);
            if (rule != nullptr || recurse) {
                plan.push_back({&field, rule, recurse});
            }
        }
        compiled.plans.emplace(message, std::move(plan));
    }
}

std::vector<FieldPlan> fallback_plan(const gp::Descriptor& message) {
    std::vector<FieldPlan> plan;
    for (int i = 0; i < message.field_count(); ++i) {
        const gp::FieldDescriptor& field = *message.field(i);
        if (!field.is_repeated() && field.cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) {
            plan.push_back({&field, nullptr, true});
        }
    }
    return plan;
}

}  // namespace pm::validation::detail
