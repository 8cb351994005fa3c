// The assignment RPCs over real HTTP on a real database: CreateAssignment (new, mode change,
// unchanged, refusals), DeleteAssignment, ListAssignments' filters and pages, and
// GetDeviceAssignments through the resolution read model, as admin, user and device.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>

#include "catalog_fixture.hpp"

namespace pm::testing {
namespace {

using pm::v1::ASSIGNMENT_MODE_ABSENT;
using pm::v1::ASSIGNMENT_MODE_AVAILABLE;
using pm::v1::ASSIGNMENT_MODE_PRESENT;
using rpc::Code;

class AssignmentsTest : public CatalogTest {
protected:
    Reply<pm::v1::DeleteAssignmentResponse> remove(const std::string& id, std::string bearer = {}) {
        pm::v1::DeleteAssignmentRequest request;
        request.set_id(id);
        return call<pm::v1::DeleteAssignmentResponse>("DeleteAssignment", request,
                                                      bearer.empty() ? admin_token() : bearer);
    }
    Reply<pm::v1::ListAssignmentsResponse> list(pm::v1::ListAssignmentsRequest request,
                                                std::string bearer = {}) {
        return call<pm::v1::ListAssignmentsResponse>("ListAssignments", request,
                                                     bearer.empty() ? admin_token() : bearer);
    }
    Reply<pm::v1::GetDeviceAssignmentsResponse> device_assignments(const std::string& device,
                                                                   std::string bearer = {}) {
        pm::v1::GetDeviceAssignmentsRequest request;
        request.set_device_id(device);
        return call<pm::v1::GetDeviceAssignmentsResponse>("GetDeviceAssignments", request,
                                                          bearer.empty() ? admin_token() : bearer);
    }
    static std::vector<std::string> names(const pm::v1::GetDeviceAssignmentsResponse& r) {
        std::vector<std::string> out;
        for (const auto& a : r.actions()) {
            out.push_back(a.name());
        }
        return out;
    }
};

TEST_F(AssignmentsTest, CreateReturnsTheStoredAssignment) {
    const auto device = new_device();
    const auto a = action("firefox");
    auto reply = assign("action", a, "device", device, ASSIGNMENT_MODE_AVAILABLE);
    ASSERT_OK(reply);
    const auto& got = reply.response.assignment();
    EXPECT_TRUE(Ulid::parse(got.id()).has_value()) << got.id();
    EXPECT_EQ(got.source_type(), "action");
    EXPECT_EQ(got.source_id(), a);
    EXPECT_EQ(got.target_type(), "device");
    EXPECT_EQ(got.target_id(), device);
    EXPECT_EQ(got.mode(), ASSIGNMENT_MODE_AVAILABLE);
    EXPECT_FALSE(got.created_by().empty());
    EXPECT_GT(got.created_at().seconds(), 0);
}

TEST_F(AssignmentsTest, AssigningAgainWithAnotherModeChangesTheMode) {
    const auto device = new_device();
    const auto s = set({action("a")});
    auto first = assign("action_set", s, "device", device, ASSIGNMENT_MODE_PRESENT);
    ASSERT_OK(first);
    auto same = assign("action_set", s, "device", device, ASSIGNMENT_MODE_PRESENT);
    ASSERT_OK(same);
    EXPECT_EQ(same.response.assignment().id(), first.response.assignment().id());
    auto changed = assign("action_set", s, "device", device, ASSIGNMENT_MODE_ABSENT);
    ASSERT_OK(changed);
    EXPECT_EQ(changed.response.assignment().id(), first.response.assignment().id());
    EXPECT_EQ(changed.response.assignment().mode(), ASSIGNMENT_MODE_ABSENT);
    EXPECT_EQ(sql("SELECT count(*) FROM events WHERE stream_type = 'assignment'").text(0, 0), "2")
        << "created once, mode changed once, the unchanged call appended nothing";
}

TEST_F(AssignmentsTest, CreateRefusesMissingOrDeletedSourcesAndTargets) {
    const auto device = new_device();
    const auto a = action("a");
    EXPECT_CODE(assign("action", new_ulid(), "device", device, ASSIGNMENT_MODE_PRESENT),
                Code::not_found);
    EXPECT_CODE(assign("definition", a, "device", device, ASSIGNMENT_MODE_PRESENT), Code::not_found)
        << "an action id is not a definition";
    EXPECT_CODE(assign("action", a, "device", new_ulid(), ASSIGNMENT_MODE_PRESENT),
                Code::not_found);
    EXPECT_CODE(assign("action", a, "device_group", new_ulid(), ASSIGNMENT_MODE_PRESENT),
                Code::not_found);
    append(a, eventstore::ActionDeleted{});
    auto reply = assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT);
    EXPECT_CODE(reply, Code::not_found);
    EXPECT_NE(reply.status.message.find("action"), std::string::npos) << reply.status.message;
    EXPECT_EQ(sql("SELECT count(*) FROM events WHERE stream_type = 'assignment'").text(0, 0), "0");
}

TEST_F(AssignmentsTest, CreateRefusesInvalidArguments) {
    const auto device = new_device();
    const auto a = action("a");
    EXPECT_CODE(assign("script", a, "device", device, ASSIGNMENT_MODE_PRESENT),
                Code::invalid_argument);
    EXPECT_CODE(assign("action", a, "user", device, ASSIGNMENT_MODE_PRESENT),
                Code::invalid_argument);
    EXPECT_CODE(assign("action", "not-a-ulid", "device", device, ASSIGNMENT_MODE_PRESENT),
                Code::invalid_argument);
    EXPECT_CODE(assign("action", a, "device", device, static_cast<pm::v1::AssignmentMode>(7)),
                Code::invalid_argument);
}

TEST_F(AssignmentsTest, DeleteRemovesAndThenAnswersNotFound) {
    const auto device = new_device();
    const auto a = action("a");
    auto created = assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT);
    ASSERT_OK(created);
    ASSERT_EQ(device_assignments(device).response.actions_size(), 1);
    ASSERT_OK(remove(created.response.assignment().id()));
    EXPECT_EQ(device_assignments(device).response.actions_size(), 0);
    EXPECT_CODE(remove(created.response.assignment().id()), Code::not_found);
    EXPECT_CODE(remove(new_ulid()), Code::not_found);
    pm::v1::ListAssignmentsRequest all;
    EXPECT_EQ(list(all).response.total_count(), 0);
    // Assigning again after the delete makes a new assignment.
    auto again = assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT);
    ASSERT_OK(again);
    EXPECT_NE(again.response.assignment().id(), created.response.assignment().id());
}

TEST_F(AssignmentsTest, ListFiltersAndPages) {
    const auto d1 = new_device("h1");
    const auto d2 = new_device("h2");
    const auto g = group({d1});
    std::vector<std::string> actions;
    for (int i = 0; i < 5; ++i) {
        actions.push_back(action("a" + std::to_string(i)));
        ASSERT_OK(assign("action", actions.back(), "device", d1, ASSIGNMENT_MODE_PRESENT));
    }
    ASSERT_OK(assign("action", actions[0], "device", d2, ASSIGNMENT_MODE_PRESENT));
    ASSERT_OK(assign("action", actions[0], "device_group", g, ASSIGNMENT_MODE_ABSENT));

    pm::v1::ListAssignmentsRequest request;
    auto all = list(request);
    ASSERT_OK(all);
    EXPECT_EQ(all.response.total_count(), 7);
    // Newest first.
    EXPECT_EQ(all.response.assignments(0).target_type(), "device_group");

    request.set_target_id(d1);
    EXPECT_EQ(list(request).response.total_count(), 5);
    request.set_target_id("");
    request.set_source_id(actions[0]);
    EXPECT_EQ(list(request).response.total_count(), 3);
    request.set_target_type("device");
    EXPECT_EQ(list(request).response.total_count(), 2);
    request.Clear();
    request.set_source_type("action_set");
    EXPECT_EQ(list(request).response.total_count(), 0);

    request.Clear();
    request.set_page_size(3);
    std::vector<std::string> seen;
    std::string token;
    int pages = 0;
    do {
        request.set_page_token(token);
        auto page = list(request);
        ASSERT_OK(page);
        EXPECT_LE(page.response.assignments_size(), 3);
        for (const auto& a : page.response.assignments()) {
            seen.push_back(a.id());
        }
        token = page.response.next_page_token();
        ++pages;
    } while (!token.empty() && pages < 10);
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen.size(), 7u);
    std::vector<std::string> unique = seen;
    std::sort(unique.begin(), unique.end());
    EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end()) << "no row twice";

    request.set_page_token("nonsense");
    EXPECT_CODE(list(request), Code::invalid_argument);
}

TEST_F(AssignmentsTest, GetDeviceAssignmentsResolvesDirectGroupSetsAndDefinitions) {
    const auto device = new_device();
    const auto g = group({device});
    const auto a = action("a");
    const auto b = action("b");
    const auto c = action("c");
    const auto hidden = action("hidden");
    const auto s = set({b, c});
    const auto def = definition({s});
    const auto catalogue = set({hidden});
    ASSERT_OK(assign("definition", def, "device_group", g, ASSIGNMENT_MODE_PRESENT));
    ASSERT_OK(assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT));
    ASSERT_OK(assign("action_set", catalogue, "device", device, ASSIGNMENT_MODE_AVAILABLE));
    auto reply = device_assignments(device);
    ASSERT_OK(reply);
    EXPECT_EQ(names(reply.response), (std::vector<std::string>{"b", "c", "a"}));
    const auto& first = reply.response.actions(0);
    EXPECT_EQ(first.id(), b);
    EXPECT_EQ(first.description(), "b description");
    EXPECT_EQ(first.type(), pm::v1::ACTION_TYPE_PACKAGE);
    EXPECT_EQ(first.package().name(), "b");
    EXPECT_EQ(first.timeout_seconds(), 60);
    ASSERT_EQ(reply.response.definitions_size(), 1);
    EXPECT_EQ(reply.response.definitions(0).id(), def);
    EXPECT_EQ(reply.response.definitions(0).member_count(), 1);
    EXPECT_EQ(reply.response.action_sets_size(), 0)
        << "an AVAILABLE set nobody selected does not apply";
}

TEST_F(AssignmentsTest, GetDeviceAssignmentsForUsersAndDevices) {
    const auto mine = new_device("mine");
    const auto other = new_device("other");
    const auto user = owner_of(mine, "owner@example.com");
    ASSERT_OK(assign("action", action("a"), "device", mine, ASSIGNMENT_MODE_PRESENT));
    auto as_user = device_assignments(mine, user);
    ASSERT_OK(as_user);
    EXPECT_EQ(names(as_user.response), std::vector<std::string>{"a"})
        << "a user reads what applies to their device (row-level security does not hide it)";
    EXPECT_CODE(device_assignments(other, user), Code::not_found);

    auto as_device = device_assignments(mine, device_token(mine));
    ASSERT_OK(as_device);
    EXPECT_EQ(names(as_device.response), std::vector<std::string>{"a"});
    EXPECT_CODE(device_assignments(other, device_token(mine)), Code::not_found);

    EXPECT_CODE(device_assignments(new_ulid()), Code::not_found);
    EXPECT_CODE(device_assignments("nope"), Code::invalid_argument);
}

TEST_F(AssignmentsTest, UsersAndDevicesCannotManageAssignments) {
    const auto device = new_device();
    const auto user = owner_of(device, "owner@example.com");
    const auto a = action("a");
    EXPECT_CODE(assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT, user),
                Code::permission_denied);
    EXPECT_CODE(
        assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT, device_token(device)),
        Code::permission_denied);
    auto created = assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT);
    ASSERT_OK(created);
    EXPECT_CODE(remove(created.response.assignment().id(), user), Code::permission_denied);
    EXPECT_CODE(list({}, user), Code::permission_denied);
    EXPECT_CODE(list({}, device_token(device)), Code::permission_denied);
}

}  // namespace
}  // namespace pm::testing
