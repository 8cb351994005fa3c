// Turns one validator tag into checks (compile_rule). All tag parsing happens here, once per
// table line; validation itself never looks at rule text.

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>

#include <google/protobuf/descriptor.h>

#include "rule.hpp"

namespace pm::validation::detail {
namespace {

namespace gp = google::protobuf;

[[noreturn]] void fail(const std::string& what) {
    throw std::invalid_argument(what);
}

std::string quoted(std::string_view text) {
    return "'" + std::string(text) + "'";
}

// ---- arguments -------------------------------------------------------------------------------

// Go's strconv accepts a leading '+'; std::from_chars does not.
std::string_view without_plus(std::string_view text) {
    return text.starts_with('+') ? text.substr(1) : text;
}

template <typename T>
std::optional<T> parse_number(std::string_view text) {
    text = without_plus(text);
    T value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

// The spellings Go's strconv.ParseBool accepts.
std::optional<bool> parse_bool(std::string_view text) {
    for (const std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"}) {
        if (text == yes) {
            return true;
        }
    }
    for (const std::string_view no : {"0", "f", "F", "FALSE", "false", "False"}) {
        if (text == no) {
            return false;
        }
    }
    return std::nullopt;
}

// validator's oneof words: space-separated, a word may be 'single quoted' to hold spaces.
std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (text[pos] == ' ') {
            ++pos;
            continue;
        }
        if (text[pos] == '\'') {
            const auto close = text.find('\'', pos + 1);
            if (close != std::string_view::npos) {
                words.emplace_back(text.substr(pos + 1, close - pos - 1));
                pos = close + 1;
                continue;
            }
        }
        const auto end = std::min(text.find(' ', pos), text.size());
        words.emplace_back(text.substr(pos, end - pos));
        pos = end;
    }
    return words;
}

// protoc-gen-go's GoCamelCase, so `required_without=GpgKeyUrl` finds `gpg_key_url`.
std::string go_camel_case(std::string_view name) {
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    std::string out;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c == '_' && i == 0) {
            out += 'X';
        } else if (c == '_' && i + 1 < name.size() && lower(name[i + 1])) {
            continue;
        } else if (c >= '0' && c <= '9') {
            out += c;
        } else {
            if (lower(c)) {
                c = static_cast<char>(c - 'a' + 'A');
            }
            out += c;
            for (; i + 1 < name.size() && lower(name[i + 1]); ++i) {
                out += name[i + 1];
            }
        }
    }
    return out;
}

const gp::FieldDescriptor* find_sibling(const gp::FieldDescriptor& field, std::string_view name) {
    const gp::Descriptor& message = *field.containing_type();
    for (int i = 0; i < message.field_count(); ++i) {
        const gp::FieldDescriptor* candidate = message.field(i);
        if (go_camel_case(candidate->name()) == name || candidate->name() == name) {
            return candidate;
        }
    }
    return nullptr;
}

// ---- messages ------------------------------------------------------------------------------

bool is_length_shape(Shape shape) {
    return shape == Shape::kString || shape == Shape::kBytes || shape == Shape::kCollection;
}

bool is_number_shape(Shape shape) {
    return shape == Shape::kSigned || shape == Shape::kUnsigned || shape == Shape::kFloat ||
           shape == Shape::kEnum;
}

std::string_view shape_name(Shape shape) {
    switch (shape) {
        case Shape::kString:
            return "string";
        case Shape::kBytes:
            return "bytes";
        case Shape::kSigned:
            return "signed integer";
        case Shape::kUnsigned:
            return "unsigned integer";
        case Shape::kFloat:
            return "floating-point";
        case Shape::kBool:
            return "bool";
        case Shape::kEnum:
            return "enum";
        case Shape::kMessage:
            return "message";
        case Shape::kCollection:
            return "repeated/map";
    }
    return "unknown";
}

// "must be at least 8 characters", "must contain at most 3 items", "must be at least 1".
std::string bound_message(Shape shape, std::string_view relation, std::string_view amount) {
    const bool one = amount == "1";
    switch (shape) {
        case Shape::kString:
            return "must be " + std::string(relation) + " " + std::string(amount) +
                   (one ? " character" : " characters");
        case Shape::kBytes:
            return "must be " + std::string(relation) + " " + std::string(amount) +
                   (one ? " byte" : " bytes");
        case Shape::kCollection:
            return "must contain " + std::string(relation) + " " + std::string(amount) +
                   (one ? " item" : " items");
        default:
            return relation == "exactly"
                       ? "must equal " + std::string(amount)
                       : "must be " + std::string(relation) + " " + std::string(amount);
    }
}

std::string ne_message(Shape shape, std::string_view param, const gp::FieldDescriptor& field,
                       std::int64_t number) {
    switch (shape) {
        case Shape::kString:
            return "must not be \"" + std::string(param) + "\"";
        case Shape::kBytes:
        case Shape::kCollection:
            return "must not " + bound_message(shape, "exactly", param).substr(5);
        case Shape::kEnum: {
            const gp::EnumDescriptor* type =
                field.is_map() ? field.message_type()->map_value()->enum_type() : field.enum_type();
            const gp::EnumValueDescriptor* value =
                type == nullptr ? nullptr : type->FindValueByNumber(static_cast<int>(number));
            return "must not be " + (value != nullptr ? value->name() : std::string(param));
        }
        default:
            return "must not be " + std::string(param);
    }
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) {
        out += out.empty() ? "" : ", ";
        out += word;
    }
    return out;
}

// ---- keywords ------------------------------------------------------------------------------

struct KeywordInfo {
    std::string_view name;
    Keyword keyword;
    bool takes_argument;
};

constexpr KeywordInfo kKeywords[] = {
    {"required", Keyword::kRequired, false},
    {"omitempty", Keyword::kOmitEmpty, false},
    {"required_without", Keyword::kRequiredWithout, true},
    {"ulid", Keyword::kUlid, false},
    {"email", Keyword::kEmail, false},
    {"url", Keyword::kUrl, false},
    {"min", Keyword::kMin, true},
    {"max", Keyword::kMax, true},
    {"len", Keyword::kLen, true},
    {"gte", Keyword::kGte, true},
    {"lte", Keyword::kLte, true},
    {"ne", Keyword::kNe, true},
    {"oneof", Keyword::kOneOf, true},
    {"startswith", Keyword::kStartsWith, true},
    {"hexadecimal", Keyword::kHexadecimal, false},
    {"alphanum", Keyword::kAlphanum, false},
};

bool applies(Keyword keyword, Shape shape) {
    switch (keyword) {
        case Keyword::kRequired:
        case Keyword::kOmitEmpty:
        case Keyword::kRequiredWithout:
            return true;
        case Keyword::kUlid:
        case Keyword::kEmail:
        case Keyword::kUrl:
        case Keyword::kStartsWith:
        case Keyword::kHexadecimal:
        case Keyword::kAlphanum:
            return shape == Shape::kString;
        case Keyword::kMin:
        case Keyword::kMax:
        case Keyword::kLen:
        case Keyword::kGte:
        case Keyword::kLte:
            return is_length_shape(shape) || is_number_shape(shape);
        case Keyword::kNe:
            return is_length_shape(shape) || is_number_shape(shape) || shape == Shape::kBool;
        case Keyword::kOneOf:
            return shape == Shape::kString || shape == Shape::kSigned ||
                   shape == Shape::kUnsigned || shape == Shape::kEnum;
    }
    return false;
}

// Stores the numeric argument of min/max/len/gte/lte/ne in the member `shape` compares with.
void set_bound(Check& check, std::string_view param) {
    bool ok = false;
    if (check.shape == Shape::kUnsigned) {
        const auto value = parse_number<std::uint64_t>(param);
        ok = value.has_value();
        check.unsigned_arg = value.value_or(0);
    } else if (check.shape == Shape::kFloat) {
        const auto value = parse_number<double>(param);
        ok = value.has_value();
        check.float_arg = value.value_or(0);
    } else if (check.shape == Shape::kBool) {
        const auto value = parse_bool(param);
        ok = value.has_value();
        check.bool_arg = value.value_or(false);
    } else if (check.shape == Shape::kString && check.keyword == Keyword::kNe) {
        ok = true;  // ne on a string compares text, as validator does
        check.text_arg = std::string(param);
    } else {
        const auto value = parse_number<std::int64_t>(param);
        ok = value.has_value();
        check.signed_arg = value.value_or(0);
    }
    if (!ok) {
        fail("bad argument " + quoted(param) + " for " + quoted(check.rule) + " on a " +
             std::string(shape_name(check.shape)) + " value");
    }
}

void set_words(Check& check, std::string_view param) {
    const auto words = split_words(param);
    if (words.empty()) {
        fail(quoted(check.rule) + " needs at least one word");
    }
    for (const auto& word : words) {
        if (check.shape == Shape::kString) {
            check.words.push_back(word);
        } else if (check.shape == Shape::kUnsigned) {
            const auto value = parse_number<std::uint64_t>(word);
            if (!value) {
                fail("bad argument " + quoted(word) + " in " + quoted(check.rule));
            }
            check.unsigned_words.push_back(*value);
        } else {
            const auto value = parse_number<std::int64_t>(word);
            if (!value) {
                fail("bad argument " + quoted(word) + " in " + quoted(check.rule));
            }
            check.signed_words.push_back(*value);
        }
    }
    check.message = "must be one of: " + join_words(words);
}

Check compile_check(std::string_view token, Shape shape, const gp::FieldDescriptor& field,
                    bool on_keys) {
    const auto equals = token.find('=');
    const std::string_view name = token.substr(0, equals);
    const std::string_view param =
        equals == std::string_view::npos ? std::string_view() : token.substr(equals + 1);

    const KeywordInfo* info = nullptr;
    for (const auto& candidate : kKeywords) {
        if (candidate.name == name) {
            info = &candidate;
        }
    }
    if (info == nullptr) {
        fail("unknown keyword " + quoted(name));
    }
    if (info->takes_argument && equals == std::string_view::npos) {
        fail(quoted(name) + " needs an argument (" + std::string(name) + "=...)");
    }
    if (!info->takes_argument && equals != std::string_view::npos) {
        fail(quoted(name) + " takes no argument");
    }
    if (!applies(info->keyword, shape)) {
        fail(quoted(token) + " does not apply to a " + std::string(shape_name(shape)) + " value");
    }

    Check check;
    check.keyword = info->keyword;
    check.shape = shape;
    check.rule = std::string(token);
    switch (check.keyword) {
        case Keyword::kRequired:
            check.message = "is required";
            break;
        case Keyword::kOmitEmpty:
            break;
        case Keyword::kRequiredWithout:
            check.sibling = find_sibling(field, param);
            if (check.sibling == nullptr || check.sibling == &field) {
                fail("no sibling field " + quoted(param) + " for " + quoted(token));
            }
            check.message = "is required unless " + check.sibling->name() + " is set";
            break;
        case Keyword::kUlid:
            check.message = "must be a valid ULID";
            break;
        case Keyword::kEmail:
            check.message = "must be a valid email address";
            break;
        case Keyword::kUrl:
            check.message = "must be a valid URL";
            break;
        case Keyword::kMin:
        case Keyword::kGte:
            set_bound(check, param);
            check.message = bound_message(shape, "at least", param);
            break;
        case Keyword::kMax:
        case Keyword::kLte:
            set_bound(check, param);
            check.message = bound_message(shape, "at most", param);
            break;
        case Keyword::kLen:
            set_bound(check, param);
            check.message = bound_message(shape, "exactly", param);
            break;
        case Keyword::kNe:
            set_bound(check, param);
            check.message = ne_message(shape, param, field, check.signed_arg);
            break;
        case Keyword::kOneOf:
            set_words(check, param);
            break;
        case Keyword::kStartsWith:
            check.text_arg = std::string(param);
            check.message = "must start with \"" + check.text_arg + "\"";
            break;
        case Keyword::kHexadecimal:
            check.message = "must be a hexadecimal string";
            break;
        case Keyword::kAlphanum:
            check.message = "must contain only ASCII letters and digits";
            break;
    }
    if (on_keys && !check.message.empty()) {
        check.message = "key " + check.message;
    }
    return check;
}

}  // namespace

Shape element_shape(const gp::FieldDescriptor& field) {
    switch (field.cpp_type()) {
        case gp::FieldDescriptor::CPPTYPE_STRING:
            return field.type() == gp::FieldDescriptor::TYPE_BYTES ? Shape::kBytes : Shape::kString;
        case gp::FieldDescriptor::CPPTYPE_INT32:
        case gp::FieldDescriptor::CPPTYPE_INT64:
            return Shape::kSigned;
        case gp::FieldDescriptor::CPPTYPE_UINT32:
        case gp::FieldDescriptor::CPPTYPE_UINT64:
            return Shape::kUnsigned;
        case gp::FieldDescriptor::CPPTYPE_FLOAT:
        case gp::FieldDescriptor::CPPTYPE_DOUBLE:
            return Shape::kFloat;
        case gp::FieldDescriptor::CPPTYPE_BOOL:
            return Shape::kBool;
        case gp::FieldDescriptor::CPPTYPE_ENUM:
            return Shape::kEnum;
        case gp::FieldDescriptor::CPPTYPE_MESSAGE:
            return Shape::kMessage;
    }
    return Shape::kMessage;
}

FieldRule compile_rule(const gp::FieldDescriptor& field, std::string_view tag) {
    enum class Section { kOuter, kKeys, kElements };

    FieldRule rule;
    rule.field = &field;
    rule.tag = std::string(tag);
    if (tag.empty()) {
        fail("empty rule");
    }
    const gp::FieldDescriptor* value_field =
        field.is_map() ? field.message_type()->map_value() : &field;

    Section section = Section::kOuter;
    Shape shape = field.is_repeated() ? Shape::kCollection : element_shape(field);
    std::string_view previous;
    std::size_t pos = 0;
    while (pos <= tag.size()) {
        const auto comma = std::min(tag.find(',', pos), tag.size());
        const std::string_view token = tag.substr(pos, comma - pos);
        pos = comma + 1;
        if (token.empty()) {
            fail("empty keyword in " + quoted(tag));
        }
        if (token.find('|') != std::string_view::npos) {
            fail("alternatives ('|') are not supported: " + quoted(token));
        }
        if (token == "dive") {
            if (!field.is_repeated()) {
                fail("'dive' needs a repeated or map field");
            }
            if (section != Section::kOuter) {
                fail("only one 'dive' is supported");
            }
            rule.dive = true;
            section = Section::kElements;
            shape = element_shape(*value_field);
        } else if (token == "keys") {
            if (previous != "dive" || !field.is_map()) {
                fail("'keys' must directly follow 'dive' on a map field");
            }
            section = Section::kKeys;
            shape = element_shape(*field.message_type()->map_key());
        } else if (token == "endkeys") {
            if (section != Section::kKeys) {
                fail("'endkeys' without 'keys'");
            }
            section = Section::kElements;
            shape = element_shape(*value_field);
        } else {
            Chain& chain = section == Section::kOuter  ? rule.outer
                           : section == Section::kKeys ? rule.keys
                                                       : rule.elements;
            chain.push_back(compile_check(token, shape, field, section == Section::kKeys));
        }
        previous = token;
    }
    if (section == Section::kKeys) {
        fail("'keys' without 'endkeys'");
    }
    return rule;
}

}  // namespace pm::validation::detail
