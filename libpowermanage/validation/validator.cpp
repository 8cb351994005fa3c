#include <algorithm>
#include <stdexcept>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <powermanage/contract/contract.hpp>
#include <powermanage/validation/validator.hpp>

#include "contract_rules.hpp"
#include "rule.hpp"
#include "walker.hpp"

namespace pm::validation {
namespace {

namespace gp = google::protobuf;

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpace = " \t\r";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// Resolves `Message.field` (message relative to `package`; nested messages keep their dots).
const gp::FieldDescriptor& resolve_field(std::string_view key, const gp::DescriptorPool& pool,
                                         std::string_view package) {
    const auto dot = key.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == key.size()) {
        throw std::invalid_argument("expected Message.field, got '" + std::string(key) + "'");
    }
    std::string message_name(package);
    if (!message_name.empty()) {
        message_name += '.';
    }
    message_name += key.substr(0, dot);
    const gp::Descriptor* message = pool.FindMessageTypeByName(message_name);
    if (message == nullptr) {
        throw std::invalid_argument("unknown message '" + message_name + "'");
    }
    const std::string field_name(key.substr(dot + 1));
    const gp::FieldDescriptor* field = message->FindFieldByName(field_name);
    if (field == nullptr) {
        throw std::invalid_argument("message '" + message_name + "' has no field '" + field_name +
                                    "'");
    }
    return *field;
}

// Compiles one table line into `rules`; errors do not name the line, the caller adds it.
void add_line(std::string_view line, const gp::DescriptorPool& pool, std::string_view package,
              detail::CompiledRules& rules) {
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos) {
        throw std::invalid_argument("expected 'Message.field<TAB>rule'");
    }
    const std::string_view key = trim(line.substr(0, tab));
    const gp::FieldDescriptor& field = resolve_field(key, pool, package);
    if (rules.rules.contains(&field)) {
        throw std::invalid_argument("second rule for '" + std::string(key) + "'");
    }
    rules.rules.emplace(&field, detail::compile_rule(field, trim(line.substr(tab + 1))));
}

}  // namespace

RuleSet::RuleSet(std::shared_ptr<const detail::CompiledRules> rules) : rules_(std::move(rules)) {}

RuleSet RuleSet::parse(std::string_view table, const gp::DescriptorPool& pool,
                       std::string_view package) {
    auto rules = std::make_shared<detail::CompiledRules>();
    std::size_t line_number = 0;
    std::size_t pos = 0;
    while (pos < table.size()) {
        const auto end = std::min(table.find('\n', pos), table.size());
        const std::string_view line = table.substr(pos, end - pos);
        pos = end + 1;
        ++line_number;
        const std::string_view content = trim(line);
        if (content.empty() || content.front() == '#') {
            continue;
        }
        try {
            add_line(line, pool, package, *rules);
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument("validation rules line " + std::to_string(line_number) +
                                        ": " + error.what() + " (in '" + std::string(content) +
                                        "')");
        }
    }
    detail::build_plans(*rules);
    return RuleSet(std::move(rules));
}

const RuleSet& RuleSet::contract() {
    static const RuleSet rules = parse(detail::contract_rules_text(), pm::contract::pool());
    return rules;
}

std::vector<Violation> RuleSet::validate(const gp::Message& message) const {
    std::vector<Violation> violations;
    detail::walk(*rules_, message, nullptr, violations);
    return violations;
}

std::size_t RuleSet::rule_count() const {
    return rules_->rules.size();
}

std::string describe(const std::vector<Violation>& violations) {
    if (violations.empty()) {
        return {};
    }
    std::string text = "validation failed: ";
    for (std::size_t i = 0; i < violations.size(); ++i) {
        text += i == 0 ? "" : "; ";
        text += violations[i].message;
    }
    return text;
}

}  // namespace pm::validation
