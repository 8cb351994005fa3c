// PLACEHOLDER: replaced by the Selections implementation before it lands.
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

pm::v1::SetUserSelectionResponse Selections::set_user_selection(
    Call&, const pm::v1::SetUserSelectionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ListAvailableActionsResponse Selections::list_available_actions(
    Call&, const pm::v1::ListAvailableActionsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

}  // namespace pm::control
