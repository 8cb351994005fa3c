#include "rpc/connect_error.hpp"

#include <cstdint>

#include <boost/json.hpp>

namespace pm::rpc::detail {
namespace {

namespace json = boost::json;

// JSON text is UTF-8 (RFC 8259 8.1), and boost::json writes strings as they are: a message or
// metadata value that quotes request bytes (a parser's error does) would make a body Connect
// clients refuse to parse. Each byte of an invalid sequence becomes U+FFFD, as Go's
// encoding/json (connect-go) does.
std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            out += text[i++];
            continue;
        }
        std::size_t length = 0;
        std::uint32_t min = 0;  // the smallest code point of that length: no overlong forms
        if ((lead & 0xE0) == 0xC0) {
            length = 2;
            min = 0x80;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            min = 0x800;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            min = 0x10000;
        }
        bool valid = length != 0 && i + length <= text.size();
        std::uint32_t code_point = lead & (0x7Fu >> length);
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            valid = (next & 0xC0) == 0x80;
            code_point = (code_point << 6) | (next & 0x3Fu);
        }
        valid = valid && code_point >= min && code_point <= 0x10FFFF &&
                (code_point < 0xD800 || code_point > 0xDFFF);
        if (valid) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

json::object error_object(const Status& status) {
    json::object error;
    error["code"] = code_name(status.code);
    if (!status.message.empty()) {
        error["message"] = valid_utf8(status.message);
    }
    return error;
}

std::optional<Status> status_from(const json::value& value) {
    const auto* error = value.if_object();
    if (error == nullptr) {
        return std::nullopt;
    }
    const auto* code = error->if_contains("code");
    if (code == nullptr || !code->is_string()) {
        return std::nullopt;
    }
    // An unknown code (or "ok" in an error) is still an error; Connect reads it as unknown.
    const auto parsed = code_from_name(std::string_view(code->get_string()));
    Status status{parsed && *parsed != Code::ok ? *parsed : Code::unknown, ""};
    if (const auto* message = error->if_contains("message");
        message != nullptr && message->is_string()) {
        status.message = std::string(message->get_string());
    }
    return status;
}

}  // namespace

std::string connect_error_json(const Status& status) {
    return json::serialize(error_object(status));
}

std::string connect_end_stream_json(const Status& status, const Headers& trailers) {
    json::object end;
    if (!status.ok()) {
        end["error"] = error_object(status);
    }
    if (!trailers.fields().empty()) {
        json::object metadata;
        for (const auto& [name, value] : trailers.fields()) {
            auto& values = metadata[valid_utf8(name)];
            if (!values.is_array()) {
                values = json::array();
            }
            values.as_array().emplace_back(valid_utf8(value));
        }
        end["metadata"] = std::move(metadata);
    }
    return json::serialize(end);
}

std::optional<Status> parse_connect_error(std::string_view body) {
    boost::system::error_code error;
    const auto value = json::parse(body, error);
    if (error) {
        return std::nullopt;
    }
    return status_from(value);
}

std::optional<EndStream> parse_connect_end_stream(std::string_view body) {
    boost::system::error_code error;
    const auto value = json::parse(body, error);
    if (error || !value.is_object()) {
        return std::nullopt;
    }
    EndStream end;
    const auto& object = value.get_object();
    if (const auto* e = object.if_contains("error"); e != nullptr && !e->is_null()) {
        auto status = status_from(*e);
        if (!status) {
            return std::nullopt;
        }
        end.status = std::move(*status);
    }
    if (const auto* metadata = object.if_contains("metadata");
        metadata != nullptr && metadata->is_object()) {
        for (const auto& [name, values] : metadata->get_object()) {
            if (!values.is_array()) {
                continue;
            }
            for (const auto& item : values.get_array()) {
                if (item.is_string()) {
                    end.trailers.add(std::string(name), std::string(item.get_string()));
                }
            }
        }
    }
    return end;
}

}  // namespace pm::rpc::detail
