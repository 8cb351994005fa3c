// PLACEHOLDER: replaced by the DeviceGroups implementation before it lands.
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

pm::v1::CreateDeviceGroupResponse DeviceGroups::create_device_group(
    Call&, const pm::v1::CreateDeviceGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::GetDeviceGroupResponse DeviceGroups::get_device_group(
    Call&, const pm::v1::GetDeviceGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ListDeviceGroupsResponse DeviceGroups::list_device_groups(
    Call&, const pm::v1::ListDeviceGroupsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateDeviceGroupResponse DeviceGroups::rename_device_group(
    Call&, const pm::v1::RenameDeviceGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateDeviceGroupResponse DeviceGroups::update_device_group_description(
    Call&, const pm::v1::UpdateDeviceGroupDescriptionRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateDeviceGroupQueryResponse DeviceGroups::update_device_group_query(
    Call&, const pm::v1::UpdateDeviceGroupQueryRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DeleteDeviceGroupResponse DeviceGroups::delete_device_group(
    Call&, const pm::v1::DeleteDeviceGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::AddDeviceToGroupResponse DeviceGroups::add_device_to_group(
    Call&, const pm::v1::AddDeviceToGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::RemoveDeviceFromGroupResponse DeviceGroups::remove_device_from_group(
    Call&, const pm::v1::RemoveDeviceFromGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ValidateDynamicQueryResponse DeviceGroups::validate_dynamic_query(
    Call&, const pm::v1::ValidateDynamicQueryRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::EvaluateDynamicGroupResponse DeviceGroups::evaluate_dynamic_group(
    Call&, const pm::v1::EvaluateDynamicGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::UpdateDeviceGroupResponse DeviceGroups::set_device_group_sync_interval(
    Call&, const pm::v1::SetDeviceGroupSyncIntervalRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DispatchToGroupResponse DeviceGroups::dispatch_to_group(
    Call&, const pm::v1::DispatchToGroupRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

}  // namespace pm::control
