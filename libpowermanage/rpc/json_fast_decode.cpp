// fast_json_decode(): see json_fast.hpp for the subset and why it exists. Strict on purpose:
// whatever the converter might read differently (escapes, null, quoted int32, numbers with a
// fraction or exponent, leading zeros, unquoted keys, repeated keys, two members of a oneof,
// unknown names) is declined, never guessed.

#include <charconv>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "rpc/json_fast.hpp"

namespace pm::rpc::detail {
namespace {

namespace gp = google::protobuf;
using Field = gp::FieldDescriptor;

constexpr int kMaxDepth = 32;

bool well_known(const gp::FileDescriptor& file) {
    return file.package() == "google.protobuf";
}

class Reader {
public:
    explicit Reader(std::string_view json) : at_(json.data()), end_(json.data() + json.size()) {}

    bool document(gp::Message& message) {
        if (!object(message, 0)) {
            return false;
        }
        skip_space();
        return at_ == end_;
    }

private:
    void skip_space() {
        while (at_ != end_ && (*at_ == ' ' || *at_ == '\t' || *at_ == '\n' || *at_ == '\r')) {
            ++at_;
        }
    }

    bool take(char c) {
        skip_space();
        if (at_ != end_ && *at_ == c) {
            ++at_;
            return true;
        }
        return false;
    }

    // A string of printable ASCII without escapes.
    bool plain_string(std::string_view& text) {
        if (!take('"')) {
            return false;
        }
        const char* start = at_;
        while (at_ != end_ && *at_ != '"') {
            const auto byte = static_cast<unsigned char>(*at_);
            if (byte < 0x20 || byte > 0x7E || byte == '\\') {
                return false;
            }
            ++at_;
        }
        if (at_ == end_) {
            return false;
        }
        text = std::string_view(start, static_cast<std::size_t>(at_ - start));
        ++at_;
        return true;
    }

    // -?digits, no leading zero, not followed by a fraction or exponent.
    static bool integer_text(std::string_view text) {
        const auto digits = text.starts_with('-') ? text.substr(1) : text;
        if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) {
            return false;
        }
        for (const char c : digits) {
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    bool bare_token(std::string_view& token) {
        skip_space();
        const char* start = at_;
        while (at_ != end_ && *at_ != ',' && *at_ != '}' && *at_ != ']' && *at_ != ' ' &&
               *at_ != '\t' && *at_ != '\n' && *at_ != '\r') {
            ++at_;
        }
        token = std::string_view(start, static_cast<std::size_t>(at_ - start));
        return !token.empty();
    }

    template <class Int>
    static bool to_int(std::string_view text, Int& value) {
        if (!integer_text(text)) {
            return false;
        }
        const auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        return error == std::errc{} && ptr == text.data() + text.size();
    }

    // int64 and uint64 come quoted or bare.
    template <class Int>
    bool wide_int(Int& value) {
        skip_space();
        std::string_view text;
        if (at_ != end_ && *at_ == '"') {
            return plain_string(text) && to_int(text, value);
        }
        return bare_token(text) && to_int(text, value);
    }

    template <class Int>
    bool narrow_int(Int& value) {
        std::string_view text;
        return bare_token(text) && to_int(text, value);
    }

    bool value(gp::Message& message, const Field& field, int depth) {
        const auto& r = *message.GetReflection();
        const bool add = field.is_repeated();
        switch (field.cpp_type()) {
            case Field::CPPTYPE_INT32: {
                std::int32_t v = 0;
                if (!narrow_int(v)) {
                    return false;
                }
                add ? r.AddInt32(&message, &field, v) : r.SetInt32(&message, &field, v);
                return true;
            }
            case Field::CPPTYPE_UINT32: {
                std::uint32_t v = 0;
                if (!narrow_int(v)) {
                    return false;
                }
                add ? r.AddUInt32(&message, &field, v) : r.SetUInt32(&message, &field, v);
                return true;
            }
            case Field::CPPTYPE_INT64: {
                std::int64_t v = 0;
                if (!wide_int(v)) {
                    return false;
                }
                add ? r.AddInt64(&message, &field, v) : r.SetInt64(&message, &field, v);
                return true;
            }
            case Field::CPPTYPE_UINT64: {
                std::uint64_t v = 0;
                if (!wide_int(v)) {
                    return false;
                }
                add ? r.AddUInt64(&message, &field, v) : r.SetUInt64(&message, &field, v);
                return true;
            }
            case Field::CPPTYPE_BOOL: {
                std::string_view token;
                if (!bare_token(token) || (token != "true" && token != "false")) {
                    return false;
                }
                const bool v = token == "true";
                add ? r.AddBool(&message, &field, v) : r.SetBool(&message, &field, v);
                return true;
            }
            case Field::CPPTYPE_ENUM: {
                std::string_view name;
                if (well_known(*field.enum_type()->file()) || !plain_string(name)) {
                    return false;
                }
                const auto* v = field.enum_type()->FindValueByName(std::string(name));
                if (v == nullptr) {
                    return false;
                }
                add ? r.AddEnumValue(&message, &field, v->number())
                    : r.SetEnumValue(&message, &field, v->number());
                return true;
            }
            case Field::CPPTYPE_STRING: {
                std::string_view text;
                if (field.type() == Field::TYPE_BYTES || !plain_string(text)) {
                    return false;
                }
                add ? r.AddString(&message, &field, std::string(text))
                    : r.SetString(&message, &field, std::string(text));
                return true;
            }
            case Field::CPPTYPE_MESSAGE:
                if (field.is_map() || well_known(*field.message_type()->file())) {
                    return false;
                }
                return object(
                    add ? *r.AddMessage(&message, &field) : *r.MutableMessage(&message, &field),
                    depth + 1);
            default:  // float and double
                return false;
        }
    }

    // The field a key names: its JSON name or its proto name, never two different fields.
    static const Field* find_field(const gp::Descriptor& descriptor, std::string_view key) {
        const Field* found = nullptr;
        for (int i = 0; i < descriptor.field_count(); ++i) {
            const auto* field = descriptor.field(i);
            if (field->json_name() == key || field->name() == key) {
                if (found != nullptr) {
                    return nullptr;
                }
                found = field;
            }
        }
        return found;
    }

    bool object(gp::Message& message, int depth) {
        const auto& descriptor = *message.GetDescriptor();
        if (depth > kMaxDepth || well_known(*descriptor.file()) ||
            descriptor.file()->syntax() != gp::FileDescriptor::SYNTAX_PROTO3 || !take('{')) {
            return false;
        }
        if (take('}')) {
            return true;
        }
        std::vector<bool> seen(static_cast<std::size_t>(descriptor.field_count()));
        std::vector<bool> oneof_seen(static_cast<std::size_t>(descriptor.oneof_decl_count()));
        do {
            std::string_view key;
            if (!plain_string(key) || !take(':')) {
                return false;
            }
            const auto* field = find_field(descriptor, key);
            if (field == nullptr || seen[static_cast<std::size_t>(field->index())]) {
                return false;
            }
            seen[static_cast<std::size_t>(field->index())] = true;
            if (const auto* oneof = field->containing_oneof()) {
                if (oneof_seen[static_cast<std::size_t>(oneof->index())]) {
                    return false;
                }
                oneof_seen[static_cast<std::size_t>(oneof->index())] = true;
            }
            if (!field->is_repeated()) {
                if (!value(message, *field, depth)) {
                    return false;
                }
                continue;
            }
            if (field->is_map() || !take('[')) {
                return false;
            }
            if (take(']')) {
                continue;
            }
            do {
                if (!value(message, *field, depth)) {
                    return false;
                }
            } while (take(','));
            if (!take(']')) {
                return false;
            }
        } while (take(','));
        return take('}');
    }

    const char* at_;
    const char* end_;
};

}  // namespace

bool fast_json_decode(std::string_view json, gp::Message& message) {
    return Reader(json).document(message);
}

}  // namespace pm::rpc::detail
