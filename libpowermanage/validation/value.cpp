#include "value.hpp"

#include <algorithm>
#include <compare>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <powermanage/common/ulid.hpp>

#include "text_checks.hpp"

namespace pm::validation::detail {
namespace {

namespace gp = google::protobuf;

// The measure min/max/len/gte/lte/ne compare for strings, bytes and collections: Go's rune
// count, byte length and element count respectively.
std::int64_t length_of(const Value& value) {
    switch (value.shape) {
        case Shape::kString:
            return static_cast<std::int64_t>(rune_count(value.text));
        case Shape::kBytes:
            return static_cast<std::int64_t>(value.text.size());
        default:
            return static_cast<std::int64_t>(value.unsigned_value);
    }
}

// The value against the check's numeric argument; unordered for NaN, which then fails every
// bound and passes `ne`, as Go's float comparisons do.
std::partial_ordering compare_with_bound(const Check& check, const Value& value) {
    switch (value.shape) {
        case Shape::kString:
        case Shape::kBytes:
        case Shape::kCollection:
            return length_of(value) <=> check.signed_arg;
        case Shape::kSigned:
        case Shape::kEnum:
            return value.signed_value <=> check.signed_arg;
        case Shape::kUnsigned:
            return value.unsigned_value <=> check.unsigned_arg;
        case Shape::kFloat:
            return value.float_value <=> check.float_arg;
        default:
            return std::partial_ordering::unordered;
    }
}

bool not_equal(const Check& check, const Value& value) {
    switch (value.shape) {
        case Shape::kString:
            return value.text != check.text_arg;  // validator compares the text itself
        case Shape::kBool:
            return value.flag != check.bool_arg;
        default:
            return compare_with_bound(check, value) != 0;
    }
}

bool is_one_of(const Check& check, const Value& value) {
    switch (value.shape) {
        case Shape::kString:
            return std::find(check.words.begin(), check.words.end(), value.text) !=
                   check.words.end();
        case Shape::kUnsigned:
            return std::find(check.unsigned_words.begin(), check.unsigned_words.end(),
                             value.unsigned_value) != check.unsigned_words.end();
        default:
            return std::find(check.signed_words.begin(), check.signed_words.end(),
                             value.signed_value) != check.signed_words.end();
    }
}

bool sibling_is_zero(const Check& check, const gp::Message& owner) {
    std::string scratch;
    return is_zero(read_value(owner, *check.sibling, -1, scratch));
}

}  // namespace

Value read_value(const gp::Message& message, const gp::FieldDescriptor& field, int index,
                 std::string& scratch) {
    const gp::Reflection& reflection = *message.GetReflection();
    Value value;
    if (field.is_repeated() && index < 0) {
        value.shape = Shape::kCollection;
        value.unsigned_value = static_cast<std::uint64_t>(reflection.FieldSize(message, &field));
        return value;
    }
    value.shape = element_shape(field);
    const bool element = index >= 0;
    switch (field.cpp_type()) {
        case gp::FieldDescriptor::CPPTYPE_STRING:
            value.text =
                element ? reflection.GetRepeatedStringReference(message, &field, index, &scratch)
                        : reflection.GetStringReference(message, &field, &scratch);
            break;
        case gp::FieldDescriptor::CPPTYPE_INT32:
            value.signed_value = element ? reflection.GetRepeatedInt32(message, &field, index)
                                         : reflection.GetInt32(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_INT64:
            value.signed_value = element ? reflection.GetRepeatedInt64(message, &field, index)
                                         : reflection.GetInt64(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_UINT32:
            value.unsigned_value = element ? reflection.GetRepeatedUInt32(message, &field, index)
                                           : reflection.GetUInt32(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_UINT64:
            value.unsigned_value = element ? reflection.GetRepeatedUInt64(message, &field, index)
                                           : reflection.GetUInt64(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_FLOAT:
            value.float_value = element ? reflection.GetRepeatedFloat(message, &field, index)
                                        : reflection.GetFloat(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_DOUBLE:
            value.float_value = element ? reflection.GetRepeatedDouble(message, &field, index)
                                        : reflection.GetDouble(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_BOOL:
            value.flag = element ? reflection.GetRepeatedBool(message, &field, index)
                                 : reflection.GetBool(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_ENUM:
            value.signed_value = element ? reflection.GetRepeatedEnumValue(message, &field, index)
                                         : reflection.GetEnumValue(message, &field);
            break;
        case gp::FieldDescriptor::CPPTYPE_MESSAGE:
            // An unset oneof member reads as unset, like any other absent message.
            value.flag = element || reflection.HasField(message, &field);
            break;
    }
    return value;
}

bool is_zero(const Value& value) {
    switch (value.shape) {
        case Shape::kString:
        case Shape::kBytes:
            return value.text.empty();
        case Shape::kSigned:
        case Shape::kEnum:
            return value.signed_value == 0;
        case Shape::kUnsigned:
        case Shape::kCollection:
            return value.unsigned_value == 0;
        case Shape::kFloat:
            return value.float_value == 0;
        case Shape::kBool:
        case Shape::kMessage:
            return !value.flag;
    }
    return true;
}

bool passes(const Check& check, const Value& value, const gp::Message& owner) {
    switch (check.keyword) {
        case Keyword::kRequired:
            return !is_zero(value);
        case Keyword::kOmitEmpty:
            return true;
        case Keyword::kRequiredWithout:
            return !sibling_is_zero(check, owner) || !is_zero(value);
        case Keyword::kUlid:
            // The reference's custom validator lets the empty string through, so `required`
            // alone decides emptiness.
            return value.text.empty() || Ulid::is_valid(value.text);
        case Keyword::kEmail:
            return is_email(value.text);
        case Keyword::kUrl:
            return is_url(value.text);
        case Keyword::kMin:
        case Keyword::kGte:
            return compare_with_bound(check, value) >= 0;
        case Keyword::kMax:
        case Keyword::kLte:
            return compare_with_bound(check, value) <= 0;
        case Keyword::kLen:
            return compare_with_bound(check, value) == 0;
        case Keyword::kNe:
            return not_equal(check, value);
        case Keyword::kOneOf:
            return is_one_of(check, value);
        case Keyword::kStartsWith:
            return value.text.starts_with(check.text_arg);
        case Keyword::kHexadecimal:
            return is_hexadecimal(value.text);
        case Keyword::kAlphanum:
            return is_alphanum(value.text);
    }
    return false;
}

}  // namespace pm::validation::detail
