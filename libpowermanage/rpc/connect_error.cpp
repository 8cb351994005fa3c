#include "rpc/connect_error.hpp"

#include <boost/json.hpp>

namespace pm::rpc::detail {
namespace {

namespace json = boost::json;

json::object error_object(const Status& status) {
    json::object error;
    error["code"] = code_name(status.code);
    if (!status.message.empty()) {
        error["message"] = status.message;
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
            auto& values = metadata[name];
            if (!values.is_array()) {
                values = json::array();
            }
            values.as_array().emplace_back(value);
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
