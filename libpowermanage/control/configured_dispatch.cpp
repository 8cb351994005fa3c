// PLACEHOLDER: replaced by the ConfiguredDispatch implementation before it lands.
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

pm::v1::DispatchAssignedActionsResponse ConfiguredDispatch::dispatch_assigned_actions(
    Call&, const pm::v1::DispatchAssignedActionsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DispatchActionSetResponse ConfiguredDispatch::dispatch_action_set(
    Call&, const pm::v1::DispatchActionSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DispatchDefinitionResponse ConfiguredDispatch::dispatch_definition(
    Call&, const pm::v1::DispatchDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

}  // namespace pm::control
