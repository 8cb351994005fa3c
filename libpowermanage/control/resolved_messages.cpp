// ManagedAction from a resolved action. The params are parsed by the contract's own reader
// (contract/action_params), which targets pm.v1.Action; ManagedAction's params oneof uses the
// same member names and messages, so the parsed member is copied across by name.
#include "control/resolved_messages.hpp"

#include <boost/json/parse.hpp>
#include <google/protobuf/util/json_util.h>

#include <powermanage/contract/action_params.hpp>

#include "control/records.hpp"
#include "pm/v1/actions.pb.h"

namespace pm::control {

namespace {

void copy_params(const projection::ResolvedAction& action, pm::v1::ManagedAction* out) {
    const auto name = contract::params_field(action.action_type);
    if (name.empty()) {
        return;
    }
    pm::v1::Action parsed;
    try {
        contract::params_from_json(boost::json::parse(action.params_json).as_object(),
                                   action.action_type, parsed);
    } catch (const std::exception&) {
        return;
    }
    const auto* from = pm::v1::Action::descriptor()->FindFieldByName(std::string(name));
    const auto* to = pm::v1::ManagedAction::descriptor()->FindFieldByName(std::string(name));
    if (from == nullptr || to == nullptr || !parsed.GetReflection()->HasField(parsed, from)) {
        return;
    }
    out->GetReflection()->MutableMessage(out, to)->CopyFrom(
        parsed.GetReflection()->GetMessage(parsed, from));
}

}  // namespace

void to_managed_action(const projection::ResolvedAction& action, pm::v1::ManagedAction* out) {
    out->set_id(action.action_id);
    out->set_name(action.name);
    out->set_description(action.description);
    out->set_type(static_cast<pm::v1::ActionType>(action.action_type));
    out->set_timeout_seconds(action.timeout_seconds);
    set_timestamp(out->mutable_created_at(), action.created_at_us);
    out->set_created_by(action.created_by);
    copy_params(action, out);
    if (action.schedule_json) {
        pm::v1::ActionSchedule schedule;
        if (google::protobuf::util::JsonStringToMessage(*action.schedule_json, &schedule).ok()) {
            *out->mutable_schedule() = std::move(schedule);
        }
    }
}

}  // namespace pm::control
