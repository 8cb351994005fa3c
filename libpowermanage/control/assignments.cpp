// PLACEHOLDER: replaced by the Assignments implementation before it lands.
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

pm::v1::CreateAssignmentResponse Assignments::create_assignment(
    Call&, const pm::v1::CreateAssignmentRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::DeleteAssignmentResponse Assignments::delete_assignment(
    Call&, const pm::v1::DeleteAssignmentRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::ListAssignmentsResponse Assignments::list_assignments(
    Call&, const pm::v1::ListAssignmentsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

pm::v1::GetDeviceAssignmentsResponse Assignments::get_device_assignments(
    Call&, const pm::v1::GetDeviceAssignmentsRequest&) {
    (void)service_;
    fail(rpc::Code::unimplemented, "not implemented yet");
}

}  // namespace pm::control
