#pragma once

/// @file
/// @brief One value read out of a message by reflection, and the keyword tests on it.

#include <cstdint>
#include <string>
#include <string_view>

#include "rule.hpp"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace pm::validation::detail {

/// A field value, an element of a repeated field, or a map key or value. Strings are viewed,
/// not copied; the view lives as long as the message (or the scratch string it was read into).
struct Value {
    Shape shape = Shape::kMessage;
    std::string_view text;             ///< kString, kBytes
    std::int64_t signed_value = 0;     ///< kSigned, kEnum
    std::uint64_t unsigned_value = 0;  ///< kUnsigned; element count of a kCollection
    double float_value = 0;            ///< kFloat
    bool flag = false;                 ///< kBool; for kMessage: the message is set
};

/// Reads `field` of `message`: element `index` of a repeated field, or the singular value
/// when `index` is negative (a repeated field read that way is a kCollection of its size).
/// `scratch` backs the text of string fields stored in a form that needs a copy.
Value read_value(const google::protobuf::Message& message,
                 const google::protobuf::FieldDescriptor& field, int index, std::string& scratch);

/// validator's notion of "has no value": empty, zero, false, unset or no elements.
bool is_zero(const Value& value);

/// Runs one check (never kOmitEmpty, which the caller handles). `owner` is the message that
/// holds the field, where `required_without` looks up its sibling.
bool passes(const Check& check, const Value& value, const google::protobuf::Message& owner);

}  // namespace pm::validation::detail
