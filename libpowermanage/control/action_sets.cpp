// PLACEHOLDER: replaced by the ActionSets implementation before it lands.
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

pm::v1::CreateActionSetResponse ActionSets::create_action_set(
    Call&, const pm::v1::CreateActionSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::GetActionSetResponse ActionSets::get_action_set(Call&, const pm::v1::GetActionSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ListActionSetsResponse ActionSets::list_action_sets(Call&,
                                                            const pm::v1::ListActionSetsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateActionSetResponse ActionSets::rename_action_set(
    Call&, const pm::v1::RenameActionSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateActionSetResponse ActionSets::update_action_set_description(
    Call&, const pm::v1::UpdateActionSetDescriptionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DeleteActionSetResponse ActionSets::delete_action_set(
    Call&, const pm::v1::DeleteActionSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::AddActionToSetResponse ActionSets::add_action_to_set(Call&,
                                                             const pm::v1::AddActionToSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::RemoveActionFromSetResponse ActionSets::remove_action_from_set(
    Call&, const pm::v1::RemoveActionFromSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ReorderActionInSetResponse ActionSets::reorder_action_in_set(
    Call&, const pm::v1::ReorderActionInSetRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

}  // namespace pm::control
