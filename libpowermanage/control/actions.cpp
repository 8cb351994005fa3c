// Stored actions. Admins only (the policy's `*` rule). The params must be those of the action's
// type (the reference took any variant). Every change of params is signed by the CA in the same
// command: ActionCreated or ActionParamsUpdated is followed by ActionSigned in one append, so an
// action is never stored unsigned and a rebuild keeps the signature (the reference wrote it
// beside the log and lost it on rebuild). The signature covers
// `<action id>:<type>:<base64(params_canonical)>` exactly as a Feb-2026 agent rebuilds it.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <powermanage/common/base64.hpp>
#include <powermanage/contract/action_params.hpp>
#include <powermanage/eventstore/events.hpp>
#include <powermanage/validation/validator.hpp>

#include "control/collections.hpp"
#include "control/domains.hpp"
#include "control/records.hpp"
#include "pm/v1/actions.pb.h"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

// Timeouts of 0 (unset) run with the agent's usual limit, as in the reference.
constexpr std::int32_t kDefaultTimeoutSeconds = 300;

es::StreamId action_stream(const std::string& id) {
    return {std::string(es::kActionStream), id};
}

std::string type_name(int type) {
    const auto& name = pm::v1::ActionType_Name(static_cast<pm::v1::ActionType>(type));
    return name.empty() ? std::to_string(type) : name;
}

// The params a request carries, checked against the action's type: the variant set must be the
// one the type uses. With none set, the type's params message with every field at its default
// must pass the contract's rules (an update action needs nothing; a shell action needs a
// script), and the params are then `{}`.
boost::json::object checked_params(const google::protobuf::Message& request, int type) {
    const auto expected = contract::params_field(type);
    if (expected.empty()) {
        fail(rpc::Code::invalid_argument,
             fmt::format("type {} is not an action type this server knows", type));
    }
    const auto* oneof = request.GetDescriptor()->FindOneofByName("params");
    const auto* set = request.GetReflection()->GetOneofFieldDescriptor(request, oneof);
    if (set == nullptr) {
        const auto* field = request.GetDescriptor()->FindFieldByName(std::string(expected));
        const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            field->message_type());
        auto violations = validation::RuleSet::contract().validate(*prototype);
        if (!violations.empty()) {
            fail(rpc::Code::invalid_argument,
                 fmt::format("{} actions need their params in `{}`: {}", type_name(type), expected,
                             validation::describe(violations)));
        }
        return {};
    }
    if (set->name() != expected) {
        fail(rpc::Code::invalid_argument,
             fmt::format("{} actions take their params in `{}`, not `{}`", type_name(type),
                         expected, set->name()));
    }
    std::string json;
    auto status = google::protobuf::util::MessageToJsonString(
        request.GetReflection()->GetMessage(request, set), &json);
    if (!status.ok()) {
        fail(rpc::Code::invalid_argument,
             fmt::format("the params cannot be encoded: {}", std::string(status.message())));
    }
    return boost::json::parse(json).as_object();
}

boost::json::object schedule_json(const pm::v1::ActionSchedule& schedule) {
    std::string json;
    auto status = google::protobuf::util::MessageToJsonString(schedule, &json);
    if (!status.ok()) {
        fail(rpc::Code::invalid_argument,
             fmt::format("the schedule cannot be encoded: {}", std::string(status.message())));
    }
    return boost::json::parse(json).as_object();
}

// The CA's signature of the action's params, as the event that stores it. The canonical bytes
// are the compact JSON serialization of the params as they are in the event; they travel
// base64-encoded (the projection decodes them into bytea), so the agent gets those exact bytes.
es::ActionSigned signed_event(const ca::CertificateAuthority& authority, const std::string& id,
                              int type, const boost::json::object& params) {
    const std::string canonical = boost::json::serialize(params);
    es::ActionSigned event;
    event.signature = pm::base64_encode(authority.sign_action(id, type, canonical));
    event.params_canonical = pm::base64_encode(canonical);
    return event;
}

std::string action_columns() {
    return "id, name, description, action_type, params::text, timeout_seconds, "
           "coalesce(schedule::text, ''), " +
           epoch_us("created_at") + ", created_by";
}

void read_action(const db::Result& rows, int row, pm::v1::ManagedAction* out) {
    out->set_id(std::string(rows.text(row, 0)));
    out->set_name(std::string(rows.text(row, 1)));
    out->set_description(std::string(rows.text(row, 2)));
    const int type = static_cast<int>(rows.int64(row, 3));
    out->set_type(static_cast<pm::v1::ActionType>(type));
    // The stored params decode into pm.v1.Action's oneof, whose members ManagedAction repeats
    // by name; every type gets its variant, even with all its fields at their defaults.
    pm::v1::Action action;
    try {
        contract::params_from_json(boost::json::parse(rows.text(row, 4)).as_object(), type, action);
    } catch (const std::exception& error) {
        fail(rpc::Code::internal, fmt::format("action {} has stored params that cannot be read: {}",
                                              out->id(), error.what()));
    }
    const auto* oneof = pm::v1::Action::descriptor()->FindOneofByName("params");
    const auto* from = action.GetReflection()->GetOneofFieldDescriptor(action, oneof);
    const auto expected = contract::params_field(type);
    const auto* to = pm::v1::ManagedAction::descriptor()->FindFieldByName(
        from != nullptr ? from->name() : std::string(expected));
    if (to != nullptr) {
        auto* target = out->GetReflection()->MutableMessage(out, to);
        if (from != nullptr) {
            target->CopyFrom(action.GetReflection()->GetMessage(action, from));
        }
    }
    out->set_timeout_seconds(static_cast<std::int32_t>(rows.int64(row, 5)));
    set_timestamp(out->mutable_created_at(), rows.int64(row, 7));
    out->set_created_by(std::string(rows.text(row, 8)));
    const auto schedule = rows.text(row, 6);
    // An empty schedule object is how UpdateActionParams clears one.
    if (!schedule.empty() && schedule != "{}") {
        auto status = google::protobuf::util::JsonStringToMessage(std::string(schedule),
                                                                  out->mutable_schedule());
        if (!status.ok()) {
            fail(rpc::Code::internal, fmt::format("action {} has a stored schedule that cannot "
                                                  "be read: {}",
                                                  out->id(), std::string(status.message())));
        }
    }
}

std::optional<pm::v1::ManagedAction> find_action(db::Transaction& tx, const std::string& id) {
    auto rows = tx.exec(
        "SELECT " + action_columns() + " FROM actions_projection WHERE id = $1 AND NOT is_deleted",
        {id});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    pm::v1::ManagedAction action;
    read_action(rows, 0, &action);
    return action;
}

pm::v1::ManagedAction require_action(db::Transaction& tx, const std::string& id) {
    auto action = find_action(tx, id);
    if (!action) {
        fail(rpc::Code::not_found, "action not found");
    }
    return std::move(*action);
}

// One change to a live action: `make_events(tx, type, params)` returns the events to append
// after the check (it may check more and fail); then the action as it is afterwards.
template <class MakeEvents>
pm::v1::ManagedAction change_action(ControlService::Impl& service, const Call& call,
                                    const std::string& id, MakeEvents&& make_events,
                                    const std::string& duplicate = "already exists") {
    return service.command(
        call,
        [&](db::Transaction& tx) -> Changes {
            auto version = live_version(tx, "actions_projection", es::kActionStream, id);
            if (!version) {
                fail(rpc::Code::not_found, "action not found");
            }
            return {{action_stream(id), es::ExpectedVersion::exactly(*version), make_events(tx)}};
        },
        [&](db::Transaction& tx) { return find_action(tx, id).value_or(pm::v1::ManagedAction{}); },
        duplicate);
}

}  // namespace

pm::v1::CreateActionResponse Actions::create_action(Call& call,
                                                    const pm::v1::CreateActionRequest& request) {
    const int type = request.type();
    es::ActionCreated created;
    created.name = request.name();
    created.description = request.description();
    created.action_type = type;
    created.desired_state = pm::v1::DESIRED_STATE_PRESENT;
    created.params = checked_params(request, type);
    created.timeout_seconds =
        request.timeout_seconds() > 0 ? request.timeout_seconds() : kDefaultTimeoutSeconds;
    if (request.has_schedule()) {
        created.schedule = schedule_json(request.schedule());
    }
    const std::string id = service_.ids_.next_string();
    const auto signature = signed_event(service_.authority_, id, type, created.params);
    const std::string duplicate = name_exists_message("action", request.name());
    pm::v1::CreateActionResponse response;
    *response.mutable_action() = service_.command(
        call,
        [&](db::Transaction& tx) -> Changes {
            if (name_taken(tx, "actions_projection", request.name())) {
                fail(rpc::Code::already_exists, duplicate);
            }
            return {{action_stream(id),
                     es::ExpectedVersion::no_stream(),
                     {es::NewEvent::of(created), es::NewEvent::of(signature)}}};
        },
        [&](db::Transaction& tx) { return require_action(tx, id); }, duplicate);
    return response;
}

pm::v1::GetActionResponse Actions::get_action(Call& call, const pm::v1::GetActionRequest& request) {
    pm::v1::GetActionResponse response;
    *response.mutable_action() =
        service_.read(call, [&](db::Transaction& tx) { return require_action(tx, request.id()); });
    return response;
}

pm::v1::ListActionsResponse Actions::list_actions(Call& call,
                                                  const pm::v1::ListActionsRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    std::vector<db::Param> params;
    std::string where = "NOT is_deleted";
    if (request.type_filter() != pm::v1::ACTION_TYPE_UNSPECIFIED) {
        params.emplace_back(std::to_string(request.type_filter()));
        where += " AND action_type = $1";
    }
    pm::v1::ListActionsResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        auto total = tx.exec("SELECT count(*) FROM actions_projection WHERE " + where, params);
        const auto n = params.size();
        params.emplace_back(std::to_string(page.limit));
        params.emplace_back(std::to_string(page.offset));
        // By name: a catalogue is looked through by name; id breaks no ties (names are unique
        // among live actions) but keeps the order total.
        auto rows = tx.exec(fmt::format("SELECT {} FROM actions_projection WHERE {} ORDER BY "
                                        "name, id LIMIT ${} OFFSET ${}",
                                        action_columns(), where, n + 1, n + 2),
                            params);
        for (int i = 0; i < rows.rows(); ++i) {
            read_action(rows, i, response.add_actions());
        }
        response.set_total_count(static_cast<std::int32_t>(total.int64(0, 0)));
        response.set_next_page_token(page.next_token(total.int64(0, 0)));
    });
    return response;
}

pm::v1::UpdateActionResponse Actions::rename_action(Call& call,
                                                    const pm::v1::RenameActionRequest& request) {
    const std::string duplicate = name_exists_message("action", request.name());
    pm::v1::UpdateActionResponse response;
    *response.mutable_action() = change_action(
        service_, call, request.id(),
        [&](db::Transaction& tx) {
            if (name_taken(tx, "actions_projection", request.name(), request.id())) {
                fail(rpc::Code::already_exists, duplicate);
            }
            return std::vector<es::NewEvent>{
                es::NewEvent::of(es::ActionRenamed{.name = request.name()})};
        },
        duplicate);
    return response;
}

pm::v1::UpdateActionResponse Actions::update_action_description(
    Call& call, const pm::v1::UpdateActionDescriptionRequest& request) {
    pm::v1::UpdateActionResponse response;
    *response.mutable_action() = change_action(service_, call, request.id(), [&](db::Transaction&) {
        return std::vector<es::NewEvent>{
            es::NewEvent::of(es::ActionDescriptionUpdated{.description = request.description()})};
    });
    return response;
}

// Without a params variant the params stay as they are (the reference emptied them); a timeout
// of 0 keeps the timeout; a schedule replaces the schedule, and an empty one removes it. The
// action is signed again either way: ActionParamsUpdated voids the old signature.
pm::v1::UpdateActionResponse Actions::update_action_params(
    Call& call, const pm::v1::UpdateActionParamsRequest& request) {
    const auto* oneof = request.GetDescriptor()->FindOneofByName("params");
    const bool has_params =
        request.GetReflection()->GetOneofFieldDescriptor(request, oneof) != nullptr;
    pm::v1::UpdateActionResponse response;
    *response.mutable_action() =
        change_action(service_, call, request.id(), [&](db::Transaction& tx) {
            auto current =
                tx.exec("SELECT action_type, params::text FROM actions_projection WHERE id = $1",
                        {request.id()});
            const int type = static_cast<int>(current.int64(0, 0));
            es::ActionParamsUpdated updated;
            updated.params = has_params ? checked_params(request, type)
                                        : boost::json::parse(current.text(0, 1)).as_object();
            if (request.timeout_seconds() > 0) {
                updated.timeout_seconds = request.timeout_seconds();
            }
            if (request.has_schedule()) {
                updated.schedule = schedule_json(request.schedule());
            }
            return std::vector<es::NewEvent>{
                es::NewEvent::of(updated),
                es::NewEvent::of(
                    signed_event(service_.authority_, request.id(), type, updated.params))};
        });
    return response;
}

pm::v1::DeleteActionResponse Actions::delete_action(Call& call,
                                                    const pm::v1::DeleteActionRequest& request) {
    change_action(service_, call, request.id(), [&](db::Transaction&) {
        return std::vector<es::NewEvent>{es::NewEvent::of(es::ActionDeleted{})};
    });
    return {};
}

}  // namespace pm::control
