// The device group projector, event by event, against docs/events.md: each event appended
// through the real EventStore, its effect read back from device_groups_projection and
// device_group_members_projection.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/eventstore/events.hpp>

#include "projection/projector_fixture.hpp"

namespace {

using namespace pm::eventstore;
using namespace std::chrono_literals;
using pm::db::Actor;
using pm::testing::Row;

class DeviceGroupProjector : public pm::testing::ProjectorTest {
protected:
    std::string create_static(const std::string& name = "lab") {
        const auto id = pm::new_ulid();
        append(id,
               DeviceGroupCreated{.name = name, .description = "room 101", .is_dynamic = false});
        return id;
    }
    std::string create_dynamic(const std::string& name = "windows",
                               const std::string& query = "labels.os = 'win11'") {
        const auto id = pm::new_ulid();
        append(id,
               DeviceGroupCreated{
                   .name = name, .description = "", .is_dynamic = true, .dynamic_query = query});
        return id;
    }
    // name, description, is_dynamic, dynamic_query, sync_interval_minutes, member_count,
    // is_deleted, updated_at
    Row group(const std::string& id) {
        return row(
            "SELECT name, description, is_dynamic, dynamic_query, sync_interval_minutes, "
            "member_count, is_deleted, " +
                us("updated_at") + " FROM device_groups_projection WHERE id = $1",
            {id});
    }
    std::string count(const std::string& id) {
        return value("SELECT member_count FROM device_groups_projection WHERE id = $1", {id});
    }
    std::string version(const std::string& id) {
        return value("SELECT projection_version FROM device_groups_projection WHERE id = $1", {id});
    }
    // device ids, sorted
    std::vector<Row> members(const std::string& id) {
        return rows(
            "SELECT device_id FROM device_group_members_projection WHERE group_id = $1 "
            "ORDER BY device_id",
            {id});
    }
};

TEST_F(DeviceGroupProjector, DeviceGroupCreatedInsertsAStaticGroup) {
    const auto id = pm::new_ulid();
    const auto position = append(
        id, DeviceGroupCreated{.name = "lab", .description = "room 101", .is_dynamic = false},
        Actor::admin("admin-1"));
    EXPECT_EQ(row("SELECT id, name, description, is_dynamic, dynamic_query, "
                  "sync_interval_minutes, member_count, " +
                  us("created_at") + ", " + us("updated_at") +
                  ", created_by, is_deleted, projection_version FROM device_groups_projection"),
              (Row{id, "lab", "room 101", "f", "", "0", "0", micros(kT0), micros(kT0), "admin-1",
                   "f", text(position)}));
}

TEST_F(DeviceGroupProjector, DeviceGroupCreatedInsertsADynamicGroup) {
    const auto id = create_dynamic("windows", "labels.os = 'win11'");
    EXPECT_EQ(group(id),
              (Row{"windows", "", "t", "labels.os = 'win11'", "0", "0", "f", micros(kT0)}));
}

TEST_F(DeviceGroupProjector, RenamedDescriptionUpdatedAndSyncIntervalSetSetTheirColumn) {
    const auto id = create_static();
    clock_.advance(1h);
    append(id, DeviceGroupRenamed{.name = "lab-a"});
    EXPECT_EQ(group(id), (Row{"lab-a", "room 101", "f", "", "0", "0", "f", micros(kT0 + 1h)}));
    clock_.advance(1h);
    append(id, DeviceGroupDescriptionUpdated{.description = "room 102"});
    EXPECT_EQ(group(id), (Row{"lab-a", "room 102", "f", "", "0", "0", "f", micros(kT0 + 2h)}));
    clock_.advance(1h);
    const auto position = append(id, DeviceGroupSyncIntervalSet{.sync_interval_minutes = 15});
    EXPECT_EQ(group(id), (Row{"lab-a", "room 102", "f", "", "15", "0", "f", micros(kT0 + 3h)}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceGroupProjector, ASecondLiveGroupWithTheSameNameIsAlreadyExists) {
    const auto first = create_static("dup");
    try {
        create_static("dup");
        FAIL() << "two live groups got the same name";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), "device_groups_projection_name_key");
    }
    append(first, DeviceGroupDeleted{});
    EXPECT_NO_THROW(create_static("dup"));
}

TEST_F(DeviceGroupProjector, MemberAddedAndRemovedChangeAStaticGroupAndRecount) {
    const auto id = create_static();
    clock_.advance(1min);
    append(id, DeviceGroupMemberAdded{.device_id = "d1"});
    append(id, DeviceGroupMemberAdded{.device_id = "d2"});
    const auto position = append(id, DeviceGroupMemberAdded{.device_id = "d3"});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d1"}, {"d2"}, {"d3"}}));
    EXPECT_EQ(count(id), "3");
    EXPECT_EQ(version(id), text(position));
    EXPECT_EQ(rows("SELECT " + us("added_at") +
                   ", projection_version FROM device_group_members_projection "
                   "WHERE device_id = 'd3'"),
              (std::vector<Row>{{micros(kT0 + 1min), text(position)}}));

    append(id, DeviceGroupMemberAdded{.device_id = "d2"});
    EXPECT_EQ(count(id), "3") << "adding a member twice counts it once";

    const auto removed = append(id, DeviceGroupMemberRemoved{.device_id = "d2"});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d1"}, {"d3"}}));
    EXPECT_EQ(count(id), "2");
    EXPECT_EQ(version(id), text(removed));
}

TEST_F(DeviceGroupProjector, ManualMembershipEventsDoNotChangeADynamicGroup) {
    const auto id = create_dynamic();
    append(id, DeviceGroupMembershipEvaluated{.added = {"d1"}});
    append(id, DeviceGroupMemberAdded{.device_id = "d2"});
    append(id, DeviceGroupMemberRemoved{.device_id = "d1"});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d1"}}));
    EXPECT_EQ(count(id), "1");
}

TEST_F(DeviceGroupProjector, MembershipEvaluatedAddsAndRemovesInADynamicGroupAndRecounts) {
    const auto id = create_dynamic();
    clock_.advance(1min);
    append(id, DeviceGroupMembershipEvaluated{.added = {"d1", "d2", "d3"}});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d1"}, {"d2"}, {"d3"}}));
    EXPECT_EQ(count(id), "3");
    clock_.advance(1min);
    const auto position =
        append(id, DeviceGroupMembershipEvaluated{.added = {"d4"}, .removed = {"d1", "d3"}});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d2"}, {"d4"}}));
    EXPECT_EQ(count(id), "2");
    EXPECT_EQ(version(id), text(position));
    EXPECT_EQ(group(id)[7], micros(kT0 + 2min));
}

TEST_F(DeviceGroupProjector, MembershipEvaluatedDoesNotChangeAStaticGroup) {
    const auto id = create_static();
    append(id, DeviceGroupMemberAdded{.device_id = "d1"});
    append(id, DeviceGroupMembershipEvaluated{.added = {"d2"}, .removed = {"d1"}});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d1"}}));
    EXPECT_EQ(count(id), "1");
}

TEST_F(DeviceGroupProjector, QueryUpdatedToDynamicClearsTheStaticMembers) {
    const auto id = create_static();
    append(id, DeviceGroupMemberAdded{.device_id = "d1"});
    append(id, DeviceGroupMemberAdded{.device_id = "d2"});
    clock_.advance(1h);
    const auto position = append(
        id, DeviceGroupQueryUpdated{.is_dynamic = true, .dynamic_query = "hostname ~ 'pc-'"});
    EXPECT_EQ(group(id),
              (Row{"lab", "room 101", "t", "hostname ~ 'pc-'", "0", "0", "f", micros(kT0 + 1h)}));
    EXPECT_TRUE(members(id).empty());
    EXPECT_EQ(version(id), text(position));
    // Until the evaluator's result arrives; then that is the membership.
    append(id, DeviceGroupMembershipEvaluated{.added = {"d3"}});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d3"}}));
    EXPECT_EQ(count(id), "1");
}

TEST_F(DeviceGroupProjector, QueryUpdatedToAnotherQueryDropsTheOldResult) {
    const auto id = create_dynamic("windows", "labels.os = 'win10'");
    append(id, DeviceGroupMembershipEvaluated{.added = {"d1", "d2"}});
    append(id, DeviceGroupQueryUpdated{.is_dynamic = true, .dynamic_query = "labels.os = 'win11'"});
    EXPECT_EQ(group(id)[3], "labels.os = 'win11'");
    EXPECT_TRUE(members(id).empty());
    EXPECT_EQ(count(id), "0");
}

TEST_F(DeviceGroupProjector, QueryUpdatedToStaticKeepsTheMembers) {
    // Only a group that is dynamic after the update loses its members.
    const auto id = create_dynamic();
    append(id, DeviceGroupMembershipEvaluated{.added = {"d1", "d2"}});
    append(id, DeviceGroupQueryUpdated{.is_dynamic = false, .dynamic_query = ""});
    EXPECT_EQ(group(id)[2], "f");
    EXPECT_EQ(members(id), (std::vector<Row>{{"d1"}, {"d2"}}));
    EXPECT_EQ(count(id), "2");
    // Static now: manual membership works, the evaluator's does not.
    append(id, DeviceGroupMemberRemoved{.device_id = "d1"});
    append(id, DeviceGroupMembershipEvaluated{.added = {"d9"}});
    EXPECT_EQ(members(id), (std::vector<Row>{{"d2"}}));
    EXPECT_EQ(count(id), "1");
}

TEST_F(DeviceGroupProjector, DeviceGroupDeletedSoftDeletesAndEmpties) {
    const auto id = create_static();
    append(id, DeviceGroupMemberAdded{.device_id = "d1"});
    append(id, DeviceGroupMemberAdded{.device_id = "d2"});
    clock_.advance(1h);
    const auto position = append(id, DeviceGroupDeleted{});
    EXPECT_EQ(group(id), (Row{"lab", "room 101", "f", "", "0", "0", "t", micros(kT0 + 1h)}));
    EXPECT_TRUE(members(id).empty());
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceGroupProjector, AMemberEventWithoutADeviceIdIsRefused) {
    const auto id = create_static();
    EXPECT_THROW(append_raw({"device_group", id},
                            NewEvent{"DeviceGroupMemberAdded", {}, {}, "device_group"}),
                 pm::db::DatabaseError);
    EXPECT_EQ(store().stream_version({"device_group", id}), 1);
}

TEST_F(DeviceGroupProjector, EveryUpdateOfAGroupThatWasNeverCreatedIsRefused) {
    expect_refused_without_creation(
        DeviceGroupRenamed{.name = "n"}, DeviceGroupDescriptionUpdated{.description = "d"},
        DeviceGroupQueryUpdated{.is_dynamic = true, .dynamic_query = "q"},
        DeviceGroupSyncIntervalSet{.sync_interval_minutes = 1},
        DeviceGroupMemberAdded{.device_id = "d"}, DeviceGroupMemberRemoved{.device_id = "d"},
        DeviceGroupMembershipEvaluated{.added = {"d"}}, DeviceGroupDeleted{});
}

TEST_F(DeviceGroupProjector, ReplayingAnEvaluationAfterLaterOnesChangesNothing) {
    const auto id = create_dynamic();
    const auto first = append(id, DeviceGroupMembershipEvaluated{.added = {"d1"}});
    append(id, DeviceGroupMembershipEvaluated{.removed = {"d1"}});
    const auto before = snapshot();
    EXPECT_EQ(reproject(first), "DeviceGroupMembershipEvaluated");
    EXPECT_TRUE(members(id).empty());
    EXPECT_EQ(snapshot(), before);
}

TEST_F(DeviceGroupProjector, ReplayingTheWholeGroupHistoryChangesNothing) {
    const auto s = create_static();
    const auto d = create_dynamic();
    append(s, DeviceGroupRenamed{.name = "lab2"});
    append(s, DeviceGroupDescriptionUpdated{.description = "x"});
    append(s, DeviceGroupSyncIntervalSet{.sync_interval_minutes = 5});
    append(s, DeviceGroupMemberAdded{.device_id = "d1"});
    append(s, DeviceGroupMemberAdded{.device_id = "d2"});
    append(s, DeviceGroupMemberRemoved{.device_id = "d1"});
    append(d, DeviceGroupMembershipEvaluated{.added = {"d1", "d2"}});
    append(d, DeviceGroupMembershipEvaluated{.added = {"d3"}, .removed = {"d2"}});
    append(s, DeviceGroupQueryUpdated{.is_dynamic = true, .dynamic_query = "q"});
    append(s, DeviceGroupMembershipEvaluated{.added = {"d7"}});
    const auto gone = create_static("gone");
    append(gone, DeviceGroupMemberAdded{.device_id = "d1"});
    append(gone, DeviceGroupDeleted{});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 15u);
    EXPECT_EQ(snapshot(), before);
}

}  // namespace
