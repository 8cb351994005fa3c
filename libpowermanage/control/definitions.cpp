// PLACEHOLDER: replaced by the Definitions implementation before it lands.
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

pm::v1::CreateDefinitionResponse Definitions::create_definition(
    Call&, const pm::v1::CreateDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::GetDefinitionResponse Definitions::get_definition(Call&,
                                                          const pm::v1::GetDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ListDefinitionsResponse Definitions::list_definitions(
    Call&, const pm::v1::ListDefinitionsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateDefinitionResponse Definitions::rename_definition(
    Call&, const pm::v1::RenameDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateDefinitionResponse Definitions::update_definition_description(
    Call&, const pm::v1::UpdateDefinitionDescriptionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DeleteDefinitionResponse Definitions::delete_definition(
    Call&, const pm::v1::DeleteDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::AddActionSetToDefinitionResponse Definitions::add_action_set_to_definition(
    Call&, const pm::v1::AddActionSetToDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::RemoveActionSetFromDefinitionResponse Definitions::remove_action_set_from_definition(
    Call&, const pm::v1::RemoveActionSetFromDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ReorderActionSetInDefinitionResponse Definitions::reorder_action_set_in_definition(
    Call&, const pm::v1::ReorderActionSetInDefinitionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

}  // namespace pm::control
