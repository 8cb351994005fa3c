// The policy's conditions, checked against the ids the request names. A target outside the
// caller's scope answers not_found, exactly as a target that does not exist, so that callers
// cannot probe for other users' objects.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace {

std::string target_id(const google::protobuf::Message& request, const std::string& field_name) {
    const auto* field = request.GetDescriptor()->FindFieldByName(field_name);
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
        // Policy::from_json checks the field exists; a non-string one is a policy bug.
        fail(rpc::Code::internal, "the authorization policy names field '" + field_name +
                                      "', which is not a string id of this request");
    }
    return request.GetReflection()->GetString(request, field);
}

}  // namespace

void ControlService::Impl::authorize(const Call& call, const google::protobuf::Message& request) {
    if (auto check = condition_check(call, request)) {
        run_check(*check);
    }
}

void ControlService::Impl::run_check(const ConditionCheck& check) {
    // A privileged read: the check must see rows the caller's own view would hide.
    const db::Result rows = db::read_as(pool_, db::Actor::system("authorization"), check.sql,
                                        {check.target, check.caller});
    if (rows.rows() == 0) {
        fail(rpc::Code::not_found, check.not_found_message);
    }
}

rpc::Task<db::Result> ControlService::Impl::read_one(Call& call, const std::string& sql,
                                                     std::vector<db::Param> params) {
    std::vector<db::ActorStatement> statements;
    std::string message;
    if (call.deferred_check) {
        ConditionCheck& check = *call.deferred_check;
        message = std::move(check.not_found_message);
        statements.push_back({db::Actor::system("authorization"),
                              std::move(check.sql),
                              {std::move(check.target), std::move(check.caller)}});
        call.deferred_check.reset();
    }
    const bool checked = !statements.empty();
    statements.push_back({call.actor(), sql, std::move(params)});
    std::vector<db::Result> rows = co_await reads_.read_as(std::move(statements));
    if (checked && rows.front().rows() == 0) {
        fail(rpc::Code::not_found, message);
    }
    co_return std::move(rows.back());
}

rpc::Task<void> ControlService::Impl::run_check_async(ConditionCheck check) {
    // A privileged read, as run_check().
    std::vector<db::ActorStatement> statements;
    statements.push_back({db::Actor::system("authorization"),
                          std::move(check.sql),
                          {std::move(check.target), std::move(check.caller)}});
    const std::vector<db::Result> rows = co_await reads_.read_as(std::move(statements));
    if (rows.front().rows() == 0) {
        fail(rpc::Code::not_found, check.not_found_message);
    }
}

std::optional<ConditionCheck> ControlService::Impl::condition_check(
    const Call& call, const google::protobuf::Message& request) {
    const auth::Permission& permission = call.permission;
    if (permission.condition == auth::Condition::always ||
        permission.condition == auth::Condition::scoped) {
        return std::nullopt;
    }
    const std::string target = target_id(request, permission.field);
    const bool is_device = call.role == "device";
    switch (permission.condition) {
        case auth::Condition::self:
            if (target.empty() || target != call.caller_id) {
                fail(rpc::Code::not_found, is_device ? "device not found" : "user not found");
            }
            return std::nullopt;
        case auth::Condition::assigned_device:
            if (is_device) {
                if (target != call.caller_id) {
                    fail(rpc::Code::not_found, "device not found");
                }
                return std::nullopt;
            }
            return ConditionCheck{
                "SELECT 1 FROM devices_projection WHERE id = $1 "
                "AND assigned_user_id = $2 AND NOT is_deleted",
                target, call.caller_id, "device not found"};
        case auth::Condition::own_token:
            return ConditionCheck{
                "SELECT 1 FROM tokens_projection WHERE id = $1 AND owner_id = $2 "
                "AND NOT is_deleted",
                target, call.caller_id, "token not found"};
        case auth::Condition::own_execution:
            return ConditionCheck{
                "SELECT 1 FROM executions_projection e "
                "JOIN devices_projection d ON d.id = e.device_id "
                "WHERE e.id = $1 AND (e.device_id = $2 OR d.assigned_user_id = $2)",
                target, call.caller_id, "execution not found"};
        case auth::Condition::always:
        case auth::Condition::scoped:
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace pm::control
