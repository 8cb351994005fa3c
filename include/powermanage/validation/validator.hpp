#pragma once

/// @file
/// @brief Input validation for the pm.v1 contract: one rule table, evaluated over any message
/// by protobuf reflection with go-playground/validator v10 semantics (wire-contract.md §4).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace google::protobuf {
class DescriptorPool;
class Message;
}  // namespace google::protobuf

namespace pm::validation {

namespace detail {
struct CompiledRules;
}  // namespace detail

/// One failed rule.
struct Violation {
    /// Path of the offending value in proto snake_case names: `email`, `action.id.value`,
    /// `actions[2].id`, `labels[env]` (map entries are named by their key).
    std::string field;
    /// The rule keyword that failed, as written in the table, e.g. `max=100`.
    std::string rule;
    /// Human-readable sentence naming the field, e.g. `name must be at most 100 characters`.
    std::string message;

    /// Violations compare member-wise, which keeps test expectations short.
    friend bool operator==(const Violation&, const Violation&) = default;
};

/// A compiled rule table: for each tagged field, the checks of its validator tag.
///
/// A table has one line per tagged field, `Message.field<TAB>rule`, where `Message` is named
/// relative to the package and `rule` is a go-playground/validator tag such as
/// `omitempty,dive,keys,max=64,endkeys,max=1024`. Blank lines and lines starting with `#` are
/// ignored. Rules are compiled once by parse(); validate() only walks the message.
///
/// A RuleSet is immutable and cheap to copy (copies share the compiled rules), so one instance
/// may validate from any number of threads.
class RuleSet {
public:
    /// Compiles `table` against the message types of `package` in `pool`. The messages later
    /// passed to validate() must come from the same pool.
    /// @throws std::invalid_argument naming the table line for an unknown message or field, a
    /// duplicate field, an unknown keyword, a bad argument, or a keyword that does not apply
    /// to the field's type.
    static RuleSet parse(std::string_view table, const google::protobuf::DescriptorPool& pool,
                         std::string_view package = "pm.v1");

    /// The pm.v1 contract's rules (libpowermanage/validation/contract_rules.tsv, compiled into
    /// the library), parsed on first use.
    static const RuleSet& contract();

    /// Every violation in `message` and in the messages it holds, in field order. Set
    /// singular message fields are validated with their own type's rules; elements of
    /// repeated message fields and message map values only when their rule says `dive`.
    std::vector<Violation> validate(const google::protobuf::Message& message) const;

    /// Number of tagged fields in the table.
    std::size_t rule_count() const;

private:
    explicit RuleSet(std::shared_ptr<const detail::CompiledRules> rules);

    std::shared_ptr<const detail::CompiledRules> rules_;
};

/// The text the server answers with: `validation failed: ` followed by the violation messages
/// joined with `; `. Empty when there are no violations.
std::string describe(const std::vector<Violation>& violations);

}  // namespace pm::validation
