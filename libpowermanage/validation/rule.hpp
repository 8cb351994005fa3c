#pragma once

/// @file
/// @brief The compiled form of a rule table: checks per field, and per message the fields the
/// validator has to visit. Built once by compile_rule() / build_plans(), read-only afterwards.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace google::protobuf {
class Descriptor;
class DescriptorPool;
class FieldDescriptor;
}  // namespace google::protobuf

namespace pm::validation::detail {

/// The kind of value a check reads. Repeated and map fields are a kCollection as a whole;
/// their elements, keys and values have the shape of their own type.
enum class Shape {
    kString,
    kBytes,
    kSigned,    ///< int32, sint32, sfixed32 and their 64-bit forms
    kUnsigned,  ///< uint32, fixed32 and their 64-bit forms
    kFloat,     ///< float, double
    kBool,
    kEnum,  ///< compared by number
    kMessage,
    kCollection,
};

/// Every keyword that tests a value. `dive`, `keys` and `endkeys` only shape the chains.
enum class Keyword {
    kRequired,
    kOmitEmpty,
    kRequiredWithout,
    kUlid,
    kEmail,
    kUrl,
    kMin,
    kMax,
    kLen,
    kGte,
    kLte,
    kNe,
    kOneOf,
    kStartsWith,
    kHexadecimal,
    kAlphanum,
};

/// One compiled keyword. Only the argument members its keyword and shape need are set.
struct Check {
    Keyword keyword = Keyword::kRequired;
    Shape shape = Shape::kString;  ///< shape of the value the check reads
    std::string rule;              ///< the keyword as written, reported in Violation::rule
    std::string message;           ///< sentence tail after the field path: "is required"

    std::int64_t signed_arg = 0;                ///< bounds for kSigned/kEnum values and for lengths
    std::uint64_t unsigned_arg = 0;             ///< bounds for kUnsigned values
    double float_arg = 0;                       ///< bounds for kFloat values
    bool bool_arg = false;                      ///< `ne` on a bool
    std::string text_arg;                       ///< `startswith` prefix, `ne` on a string
    std::vector<std::string> words;             ///< `oneof` on a string
    std::vector<std::int64_t> signed_words;     ///< `oneof` on kSigned/kEnum
    std::vector<std::uint64_t> unsigned_words;  ///< `oneof` on kUnsigned
    const google::protobuf::FieldDescriptor* sibling = nullptr;  ///< `required_without`
};

/// Checks run in order; the first failure ends the chain, `omitempty` on a zero value too.
using Chain = std::vector<Check>;

/// The compiled tag of one field.
struct FieldRule {
    const google::protobuf::FieldDescriptor* field = nullptr;
    std::string tag;    ///< the whole tag, for diagnostics
    Chain outer;        ///< checks on the field itself (a collection when repeated)
    bool dive = false;  ///< true when elements / map entries are visited
    Chain keys;         ///< between `keys` and `endkeys`: checks on map keys
    Chain elements;     ///< after `dive` (or `endkeys`): checks on elements / map values
};

/// A field the validator visits: it has a rule, or holds messages that (transitively) do.
struct FieldPlan {
    const google::protobuf::FieldDescriptor* field = nullptr;
    const FieldRule* rule = nullptr;  ///< null for an untagged message field
    bool recurse = false;             ///< validate held messages with their own rules
};

/// The whole compiled table.
struct CompiledRules {
    /// Tagged fields; node-based so FieldPlan::rule stays valid.
    std::unordered_map<const google::protobuf::FieldDescriptor*, FieldRule> rules;
    /// Fields to visit for every message type of the table's files and their imports.
    std::unordered_map<const google::protobuf::Descriptor*, std::vector<FieldPlan>> plans;
};

/// The shape of one value of `field` (an element, for repeated fields).
Shape element_shape(const google::protobuf::FieldDescriptor& field);

/// Compiles one validator tag for `field`.
/// @throws std::invalid_argument with a message that does not name the line (the caller adds
/// it) for an unknown keyword, a bad argument, or a keyword that does not fit the field.
FieldRule compile_rule(const google::protobuf::FieldDescriptor& field, std::string_view tag);

/// Fills `compiled.plans` from `compiled.rules`: every message of the ruled messages' files
/// (and their imports) gets the fields worth visiting.
void build_plans(CompiledRules& compiled);

/// The fields to visit in a message type the table does not know: every singular message
/// field, since its value may be of a type that has rules.
std::vector<FieldPlan> fallback_plan(const google::protobuf::Descriptor& message);

}  // namespace pm::validation::detail
