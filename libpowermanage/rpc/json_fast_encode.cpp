// fast_json_encode(): see json_fast.hpp for the subset and why it exists.

#include <array>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/wrappers.pb.h>

#include "rpc/json_fast.hpp"

namespace pm::rpc::detail {
namespace {

namespace gp = google::protobuf;
using Field = gp::FieldDescriptor;

// Deeper nesting goes to the converter, which has its own limit and error.
constexpr int kMaxDepth = 32;

// The printable ASCII characters protobuf's JSON writer prints as they are (it escapes some,
// such as '<' and '>', beyond what JSON requires). Asked of the writer itself, once, through
// google.protobuf.StringValue (which prints as a bare string), so this cannot drift from it.
const std::array<bool, 128>& verbatim_chars() {
    static const auto table = [] {
        std::array<bool, 128> verbatim{};
        gp::StringValue probe;
        std::string out;
        for (int c = 0x20; c < 0x7F; ++c) {
            probe.set_value(std::string(1, static_cast<char>(c)));
            out.clear();
            verbatim[static_cast<std::size_t>(c)] =
                gp::util::MessageToJsonString(probe, &out).ok() && out.size() == 3 &&
                out[1] == static_cast<char>(c);
        }
        return verbatim;
    }();
    return table;
}

bool well_known(const gp::FileDescriptor& file) {
    return file.package() == "google.protobuf";
}

bool append_string(std::string_view text, std::string& out) {
    const auto& verbatim = verbatim_chars();
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= verbatim.size() || !verbatim[byte]) {
            return false;
        }
    }
    out += '"';
    out += text;
    out += '"';
    return true;
}

bool append_message(const gp::Message& message, std::string& out, int depth);

// One value of `field`: the singular value when `index` is negative, else that element.
bool append_value(const gp::Message& message, const Field& field, int index, std::string& out,
                  int depth) {
    const auto& r = *message.GetReflection();
    const bool one = index < 0;
    switch (field.cpp_type()) {
        case Field::CPPTYPE_INT32:
            out += std::to_string(one ? r.GetInt32(message, &field)
                                      : r.GetRepeatedInt32(message, &field, index));
            return true;
        case Field::CPPTYPE_UINT32:
            out += std::to_string(one ? r.GetUInt32(message, &field)
                                      : r.GetRepeatedUInt32(message, &field, index));
            return true;
        case Field::CPPTYPE_INT64:
            out += '"';
            out += std::to_string(one ? r.GetInt64(message, &field)
                                      : r.GetRepeatedInt64(message, &field, index));
            out += '"';
            return true;
        case Field::CPPTYPE_UINT64:
            out += '"';
            out += std::to_string(one ? r.GetUInt64(message, &field)
                                      : r.GetRepeatedUInt64(message, &field, index));
            out += '"';
            return true;
        case Field::CPPTYPE_BOOL:
            out += (one ? r.GetBool(message, &field) : r.GetRepeatedBool(message, &field, index))
                       ? "true"
                       : "false";
            return true;
        case Field::CPPTYPE_ENUM: {
            // A value without a name prints as a number: left to the converter.
            const int number = one ? r.GetEnumValue(message, &field)
                                   : r.GetRepeatedEnumValue(message, &field, index);
            const auto* value = field.enum_type()->FindValueByNumber(number);
            return value != nullptr && !well_known(*field.enum_type()->file()) &&
                   append_string(value->name(), out);
        }
        case Field::CPPTYPE_STRING: {
            if (field.type() == Field::TYPE_BYTES) {
                return false;
            }
            std::string scratch;
            const auto& text = one ? r.GetStringReference(message, &field, &scratch)
                                   : r.GetRepeatedStringReference(message, &field, index, &scratch);
            return append_string(text, out);
        }
        case Field::CPPTYPE_MESSAGE:
            return append_message(
                one ? r.GetMessage(message, &field) : r.GetRepeatedMessage(message, &field, index),
                out, depth + 1);
        default:  // float and double: the converter's number formatting is its own
            return false;
    }
}

bool append_message(const gp::Message& message, std::string& out, int depth) {
    const auto& descriptor = *message.GetDescriptor();
    const auto& r = *message.GetReflection();
    if (depth > kMaxDepth || well_known(*descriptor.file()) ||
        descriptor.file()->syntax() != gp::FileDescriptor::SYNTAX_PROTO3 ||
        !r.GetUnknownFields(message).empty()) {
        return false;
    }
    std::vector<const Field*> fields;
    r.ListFields(message, &fields);  // the set fields in number order, as the converter prints
    out += '{';
    bool first = true;
    for (const auto* field : fields) {
        if (field->is_extension() || field->is_map()) {
            return false;
        }
        if (!first) {
            out += ',';
        }
        first = false;
        if (!append_string(field->json_name(), out)) {
            return false;
        }
        out += ':';
        if (!field->is_repeated()) {
            if (!append_value(message, *field, -1, out, depth)) {
                return false;
            }
            continue;
        }
        out += '[';
        const int size = r.FieldSize(message, field);
        for (int i = 0; i < size; ++i) {
            if (i > 0) {
                out += ',';
            }
            if (!append_value(message, *field, i, out, depth)) {
                return false;
            }
        }
        out += ']';
    }
    out += '}';
    return true;
}

}  // namespace

bool fast_json_encode(const gp::Message& message, std::string& out) {
    return append_message(message, out, 0);
}

}  // namespace pm::rpc::detail
