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

// Privileged reads: the check must see rows the caller's own view would hide.
bool exists(db::ConnectionPool& pool, const std::string& sql, const std::string& a,
            const std::string& b) {
    return db::with_actor(pool, db::Actor::system("authorization"), [&](db::Transaction& tx) {
        return tx.exec(sql, {a, b}).rows() > 0;
    });
}

}  // namespace

void ControlService::Impl::authorize(const Call& call, const google::protobuf::Message& request) {
    const auth::Permission& permission = call.permission;
    if (permission.condition == auth::Condition::always ||
        permission.condition == auth::Condition::scoped) {
        return;
    }
    const std::string target = target_id(request, permission.field);
    const bool is_device = call.role == "device";
    switch (permission.condition) {
        case auth::Condition::self:
            if (target.empty() || target != call.caller_id) {
                fail(rpc::Code::not_found, is_device ? "device not found" : "user not found");
            }
            return;
        case auth::Condition::assigned_device:
            if (is_device ? target != call.caller_id
                          : !exists(pool_,
                                    "SELECT 1 FROM devices_projection WHERE id = $1 "
                                    "AND assigned_user_id = $2 AND NOT is_deleted",
                                    target, call.caller_id)) {
                fail(rpc::Code::not_found, "device not found");
            }
            return;
        case auth::Condition::own_token:
            if (!exists(pool_,
                        "SELECT 1 FROM tokens_projection WHERE id = $1 AND owner_id = $2 "
                        "AND NOT is_deleted",
                        target, call.caller_id)) {
                fail(rpc::Code::not_found, "token not found");
            }
            return;
        case auth::Condition::own_execution:
            if (!exists(pool_,
                        "SELECT 1 FROM executions_projection e "
                        "JOIN devices_projection d ON d.id = e.device_id "
                        "WHERE e.id = $1 AND (e.device_id = $2 OR d.assigned_user_id = $2)",
                        target, call.caller_id)) {
                fail(rpc::Code::not_found, "execution not found");
            }
            return;
        case auth::Condition::always:
        case auth::Condition::scoped:
            return;
    }
}

}  // namespace pm::control
