// The selection RPCs over real HTTP on a real database: SetUserSelection (needs an AVAILABLE
// assignment reaching the device; one stream per device and item; users only on their own
// devices) and ListAvailableActions (the catalogue with selection state and action previews).
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

class SelectionsTest : public CatalogTest {
protected:
    Reply<pm::v1::SetUserSelectionResponse> choose(const std::string& device,
                                                   const std::string& source_type,
                                                   const std::string& source_id, bool selected,
                                                   std::string bearer = {}) {
        pm::v1::SetUserSelectionRequest request;
        request.set_device_id(device);
        request.set_source_type(source_type);
        request.set_source_id(source_id);
        request.set_selected(selected);
        return call<pm::v1::SetUserSelectionResponse>("SetUserSelection", request,
                                                      bearer.empty() ? admin_token() : bearer);
    }
    Reply<pm::v1::ListAvailableActionsResponse> catalogue(const std::string& device,
                                                          std::string bearer = {}) {
        pm::v1::ListAvailableActionsRequest request;
        request.set_device_id(device);
        return call<pm::v1::ListAvailableActionsResponse>("ListAvailableActions", request,
                                                          bearer.empty() ? admin_token() : bearer);
    }
    std::vector<std::string> resolved(const std::string& device) {
        pm::v1::GetDeviceAssignmentsRequest request;
        request.set_device_id(device);
        auto reply = call<pm::v1::GetDeviceAssignmentsResponse>("GetDeviceAssignments", request,
                                                                admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        std::vector<std::string> out;
        for (const auto& a : reply.response.actions()) {
            out.push_back(a.name());
        }
        return out;
    }
};

TEST_F(SelectionsTest, UserSelectsAnAvailableItemOnTheirDevice) {
    const auto device = new_device();
    const auto user = owner_of(device, "owner@example.com");
    const auto s = set({action("vlc"), action("gimp")}, "media");
    ASSERT_OK(assign("action_set", s, "device", device, ASSIGNMENT_MODE_AVAILABLE));
    EXPECT_TRUE(resolved(device).empty());

    auto reply = choose(device, "action_set", s, true, user);
    ASSERT_OK(reply);
    const auto& got = reply.response.selection();
    EXPECT_FALSE(got.id().empty());
    EXPECT_EQ(got.device_id(), device);
    EXPECT_EQ(got.source_type(), "action_set");
    EXPECT_EQ(got.source_id(), s);
    EXPECT_TRUE(got.selected());
    EXPECT_GT(got.updated_at().seconds(), 0);
    EXPECT_EQ(resolved(device), (std::vector<std::string>{"vlc", "gimp"}));

    // Opting out keeps the same stream and makes the actions absent (still listed).
    auto out = choose(device, "action_set", s, false, user);
    ASSERT_OK(out);
    EXPECT_EQ(out.response.selection().id(), got.id());
    EXPECT_FALSE(out.response.selection().selected());
    EXPECT_EQ(resolved(device), (std::vector<std::string>{"vlc", "gimp"}));
    EXPECT_EQ(sql("SELECT count(DISTINCT stream_id), count(*) FROM events "
                  "WHERE stream_type = 'user_selection'")
                  .text(0, 0),
              "1");
    EXPECT_EQ(sql("SELECT version FROM streams WHERE stream_type = 'user_selection' "
                  "AND stream_id = $1",
                  {got.id()})
                  .text(0, 0),
              "2");
}

TEST_F(SelectionsTest, AvailableThroughAGroupCounts) {
    const auto device = new_device();
    const auto g = group({device});
    const auto a = action("a");
    ASSERT_OK(assign("action", a, "device_group", g, ASSIGNMENT_MODE_AVAILABLE));
    EXPECT_OK(choose(device, "action", a, true));
    EXPECT_EQ(resolved(device), std::vector<std::string>{"a"});
}

TEST_F(SelectionsTest, RefusedWithoutAnAvailableAssignment) {
    const auto device = new_device();
    const auto other = new_device("other");
    const auto a = action("a");
    auto none = choose(device, "action", a, true);
    EXPECT_CODE(none, Code::not_found);
    EXPECT_NE(none.status.message.find("no available assignment"), std::string::npos)
        << none.status.message;
    ASSERT_OK(assign("action", a, "device", device, ASSIGNMENT_MODE_PRESENT));
    EXPECT_CODE(choose(device, "action", a, true), Code::not_found) << "PRESENT is not a choice";
    ASSERT_OK(assign("action", a, "device", other, ASSIGNMENT_MODE_AVAILABLE));
    EXPECT_CODE(choose(device, "action", a, true), Code::not_found)
        << "available on another device";
    auto created = assign("action", a, "device", device, ASSIGNMENT_MODE_AVAILABLE);
    ASSERT_OK(created);
    EXPECT_OK(choose(device, "action", a, true));
    pm::v1::DeleteAssignmentRequest del;
    del.set_id(created.response.assignment().id());
    ASSERT_OK(call<pm::v1::DeleteAssignmentResponse>("DeleteAssignment", del, admin_token()));
    EXPECT_CODE(choose(device, "action", a, false), Code::not_found) << "after the delete";
    EXPECT_CODE(choose(new_ulid(), "action", a, true), Code::not_found);
    EXPECT_CODE(choose(device, "widget", a, true), Code::invalid_argument);
    EXPECT_CODE(choose(device, "action", "x", true), Code::invalid_argument);
}

TEST_F(SelectionsTest, UsersOnlyOnTheirDevicesAndDevicesNever) {
    const auto mine = new_device("mine");
    const auto theirs = new_device("theirs");
    const auto user = owner_of(mine, "owner@example.com");
    const auto a = action("a");
    ASSERT_OK(assign("action", a, "device", mine, ASSIGNMENT_MODE_AVAILABLE));
    ASSERT_OK(assign("action", a, "device", theirs, ASSIGNMENT_MODE_AVAILABLE));
    EXPECT_CODE(choose(theirs, "action", a, true, user), Code::not_found);
    EXPECT_CODE(catalogue(theirs, user), Code::not_found);
    EXPECT_CODE(choose(mine, "action", a, true, device_token(mine)), Code::permission_denied);
    EXPECT_CODE(catalogue(mine, device_token(mine)), Code::permission_denied);
    EXPECT_EQ(sql("SELECT count(*) FROM events WHERE stream_type = 'user_selection'").text(0, 0),
              "0");
}

TEST_F(SelectionsTest, ListAvailableActionsShowsTheCatalogueWithPreviews) {
    const auto device = new_device();
    const auto user = owner_of(device, "owner@example.com");
    const auto g = group({device});
    const auto vlc = action("vlc");
    const auto gimp = action("gimp");
    const auto media = set({vlc, gimp}, "media");
    const auto office = action("office");
    const auto mandatory = action("mandatory");
    ASSERT_OK(assign("action_set", media, "device_group", g, ASSIGNMENT_MODE_AVAILABLE));
    ASSERT_OK(assign("action", office, "device", device, ASSIGNMENT_MODE_AVAILABLE));
    ASSERT_OK(assign("action", mandatory, "device", device, ASSIGNMENT_MODE_PRESENT));
    ASSERT_OK(assign("action", vlc, "device", device, ASSIGNMENT_MODE_ABSENT));
    ASSERT_OK(choose(device, "action", office, true, user));

    auto reply = catalogue(device, user);
    ASSERT_OK(reply);
    ASSERT_EQ(reply.response.items_size(), 2);
    const auto& first = reply.response.items(0);
    EXPECT_EQ(first.source_type(), "action_set");
    EXPECT_EQ(first.source_id(), media);
    EXPECT_EQ(first.source_name(), "media");
    EXPECT_EQ(first.source_description(), "a set");
    EXPECT_FALSE(first.selected());
    ASSERT_EQ(first.actions_size(), 2);
    EXPECT_EQ(first.actions(0).name(), "vlc");
    EXPECT_EQ(first.actions(1).name(), "gimp");
    EXPECT_EQ(first.actions(1).package().name(), "gimp");
    const auto& second = reply.response.items(1);
    EXPECT_EQ(second.source_id(), office);
    EXPECT_EQ(second.source_name(), "office");
    EXPECT_EQ(second.source_description(), "office description");
    EXPECT_TRUE(second.selected());
    ASSERT_EQ(second.actions_size(), 1);
    EXPECT_EQ(second.actions(0).id(), office);

    EXPECT_CODE(catalogue(new_ulid()), Code::not_found);
    auto empty = catalogue(new_device("bare"));
    ASSERT_OK(empty);
    EXPECT_EQ(empty.response.items_size(), 0);
}

}  // namespace
}  // namespace pm::testing
