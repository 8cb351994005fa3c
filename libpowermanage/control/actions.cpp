// PLACEHOLDER: replaced by the Actions implementation before it lands.
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

pm::v1::CreateActionResponse Actions::create_action(Call&, const pm::v1::CreateActionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::GetActionResponse Actions::get_action(Call&, const pm::v1::GetActionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ListActionsResponse Actions::list_actions(Call&, const pm::v1::ListActionsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateActionResponse Actions::rename_action(Call&, const pm::v1::RenameActionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateActionResponse Actions::update_action_description(
    Call&, const pm::v1::UpdateActionDescriptionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateActionResponse Actions::update_action_params(
    Call&, const pm::v1::UpdateActionParamsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DeleteActionResponse Actions::delete_action(Call&, const pm::v1::DeleteActionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

}  // namespace pm::control
