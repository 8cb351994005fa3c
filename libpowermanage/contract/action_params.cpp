#include <stdexcept>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <google/protobuf/util/json_util.h>

#include <powermanage/contract/action_params.hpp>

#include "pm/v1/actions.pb.h"

namespace pm::contract {

std::string_view params_field(int action_type) {
    switch (action_type) {
        case pm::v1::ACTION_TYPE_PACKAGE:
            return "package";
        case pm::v1::ACTION_TYPE_UPDATE:
            return "update";
        case pm::v1::ACTION_TYPE_REPOSITORY:
            return "repository";
        case pm::v1::ACTION_TYPE_APP_IMAGE:
        case pm::v1::ACTION_TYPE_DEB:
        case pm::v1::ACTION_TYPE_RPM:
            return "app";
        case pm::v1::ACTION_TYPE_FLATPAK:
            return "flatpak";
        case pm::v1::ACTION_TYPE_SHELL:
            return "shell";
        case pm::v1::ACTION_TYPE_SYSTEMD:
            return "systemd";
        case pm::v1::ACTION_TYPE_FILE:
            return "file";
        case pm::v1::ACTION_TYPE_DIRECTORY:
            return "directory";
        default:
            return {};
    }
}

boost::json::object params_to_json(const pm::v1::Action& action) {
    const auto* oneof = pm::v1::Action::descriptor()->FindOneofByName("params");
    const auto* field = action.GetReflection()->GetOneofFieldDescriptor(action, oneof);
    if (field == nullptr) {
        return {};
    }
    std::string json;
    const auto& params = action.GetReflection()->GetMessage(action, field);
    auto status = google::protobuf::util::MessageToJsonString(params, &json);
    if (!status.ok()) {
        throw std::invalid_argument("cannot encode the action's params: " +
                                    std::string(status.message()));
    }
    return boost::json::parse(json).as_object();
}

void params_from_json(const boost::json::object& params, int action_type, pm::v1::Action& action) {
    if (params.empty()) {
        return;
    }
    const auto name = params_field(action_type);
    const auto* field =
        name.empty() ? nullptr : pm::v1::Action::descriptor()->FindFieldByName(std::string(name));
    if (field == nullptr) {
        throw std::invalid_argument("action type " + std::to_string(action_type) +
                                    " takes no params");
    }
    auto* message = action.GetReflection()->MutableMessage(&action, field);
    auto status =
        google::protobuf::util::JsonStringToMessage(boost::json::serialize(params), message);
    if (!status.ok()) {
        throw std::invalid_argument("the stored params do not fit " +
                                    message->GetDescriptor()->name() + ": " +
                                    std::string(status.message()));
    }
}

}  // namespace pm::contract
