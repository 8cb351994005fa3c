// The assignment and user selection projectors, event by event, against docs/events.md: each
// event appended through the real EventStore, its effect read back from assignments_projection
// and user_selections_projection.
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

class AssignmentProjector : public pm::testing::ProjectorTest {
protected:
    static AssignmentCreated assignment(const std::string& source_id = "act-1",
                                        const std::string& target_id = "dev-1") {
        return AssignmentCreated{.source_type = "action",
                                 .source_id = source_id,
                                 .target_type = "device",
                                 .target_id = target_id,
                                 .mode = 1,
                                 .sort_order = 4};
    }
    std::string create(const AssignmentCreated& a = assignment()) {
        const auto id = pm::new_ulid();
        append(id, a, Actor::admin("admin-1"));
        return id;
    }
    // source_type, source_id, target_type, target_id, mode, sort_order, is_deleted
    Row assignment_row(const std::string& id) {
        return row(
            "SELECT source_type, source_id, target_type, target_id, mode, sort_order, is_deleted "
            "FROM assignments_projection WHERE id = $1",
            {id});
    }
    std::string version(const std::string& id) {
        return value("SELECT projection_version FROM assignments_projection WHERE id = $1", {id});
    }
};

TEST_F(AssignmentProjector, AssignmentCreatedInsertsEveryField) {
    const auto id = pm::new_ulid();
    const auto position = append(id,
                                 AssignmentCreated{.source_type = "definition",
                                                   .source_id = "def-1",
                                                   .target_type = "device_group",
                                                   .target_id = "grp-1",
                                                   .mode = 2,
                                                   .sort_order = 7},
                                 Actor::admin("admin-1"));
    EXPECT_EQ(row("SELECT id, source_type, source_id, target_type, target_id, mode, sort_order, " +
                  us("created_at") +
                  ", created_by, is_deleted, projection_version FROM assignments_projection"),
              (Row{id, "definition", "def-1", "device_group", "grp-1", "2", "7", micros(kT0),
                   "admin-1", "f", text(position)}));
}

TEST_F(AssignmentProjector, AssignmentCreatedWithoutSortOrderSortsAtZero) {
    const auto id = pm::new_ulid();
    append_raw({"assignment", id}, NewEvent{"AssignmentCreated",
                                            {{"source_type", "action_set"},
                                             {"source_id", "set-1"},
                                             {"target_type", "device"},
                                             {"target_id", "dev-1"},
                                             {"mode", 0}},
                                            {},
                                            "assignment"});
    EXPECT_EQ(assignment_row(id), (Row{"action_set", "set-1", "device", "dev-1", "0", "0", "f"}));
}

TEST_F(AssignmentProjector, AssignmentCreatedWithANullSortOrderSortsAtZero) {
    const auto id = pm::new_ulid();
    auto data = to_json(assignment());
    data["sort_order"] = nullptr;
    append_raw({"assignment", id}, NewEvent{"AssignmentCreated", data, {}, "assignment"});
    EXPECT_EQ(assignment_row(id), (Row{"action", "act-1", "device", "dev-1", "1", "0", "f"}));
}

// A CreateAssignment that raced the delete of its source, and lost in position order.
TEST_F(AssignmentProjector, AnAssignmentOfASourceDeletedEarlierInTheLogIsRecordedAsDeleted) {
    append("act-gone", ActionCreated{.name = "gone", .action_type = 1, .timeout_seconds = 60},
           Actor::admin("admin-1"));
    append("act-gone", ActionDeleted{}, Actor::admin("admin-1"));
    const auto id = create(assignment("act-gone"));
    EXPECT_EQ(assignment_row(id).back(), "t");
    // A live source, and a source with no row at all (references are not checked), are live.
    EXPECT_EQ(assignment_row(create(assignment("act-never-seen", "dev-2"))).back(), "f");
}

TEST_F(AssignmentProjector, AssignmentModeChangedSetsTheModeOnly) {
    const auto id = create();
    const auto position = append(id, AssignmentModeChanged{.mode = 0});
    EXPECT_EQ(assignment_row(id), (Row{"action", "act-1", "device", "dev-1", "0", "4", "f"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(AssignmentProjector, AssignmentDeletedSoftDeletes) {
    const auto id = create();
    const auto position = append(id, AssignmentDeleted{});
    EXPECT_EQ(assignment_row(id), (Row{"action", "act-1", "device", "dev-1", "1", "4", "t"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(AssignmentProjector, ALiveDuplicateOfTheNaturalKeyIsAlreadyExistsAndWritesNothing) {
    create(assignment("act-1", "dev-1"));
    const auto second = pm::new_ulid();
    auto duplicate = assignment("act-1", "dev-1");
    duplicate.mode = 0;  // another mode or sort order does not make it another assignment
    duplicate.sort_order = 9;
    try {
        append(second, duplicate);
        FAIL() << "the same source was assigned to the same target twice";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), "assignments_projection_natural_key");
        const std::string message = e.what();
        EXPECT_NE(message.find("AssignmentCreated"), std::string::npos) << message;
    }
    EXPECT_TRUE(store().read_stream({"assignment", second}).empty());
    EXPECT_EQ(value("SELECT count(*) FROM assignments_projection"), "1");
}

TEST_F(AssignmentProjector, TheNaturalKeyIsSourceAndTargetTypesAndIds) {
    create(assignment("act-1", "dev-1"));
    EXPECT_NO_THROW(create(assignment("act-2", "dev-1")));
    EXPECT_NO_THROW(create(assignment("act-1", "dev-2")));
    auto group = assignment("act-1", "dev-1");
    group.target_type = "device_group";
    EXPECT_NO_THROW(create(group));
    auto set = assignment("act-1", "dev-1");
    set.source_type = "action_set";
    EXPECT_NO_THROW(create(set));
    EXPECT_EQ(value("SELECT count(*) FROM assignments_projection"), "5");
}

TEST_F(AssignmentProjector, ADeletedAssignmentsNaturalKeyCanBeAssignedAgain) {
    const auto first = create();
    append(first, AssignmentDeleted{});
    const auto again = create();
    EXPECT_EQ(assignment_row(again), (Row{"action", "act-1", "device", "dev-1", "1", "4", "f"}));
    EXPECT_EQ(assignment_row(first)[6], "t");
}

TEST_F(AssignmentProjector, EveryUpdateOfAnAssignmentThatWasNeverCreatedIsRefused) {
    expect_refused_without_creation(AssignmentModeChanged{.mode = 1}, AssignmentDeleted{});
}

TEST_F(AssignmentProjector, ReplayingTheWholeAssignmentHistoryChangesNothing) {
    const auto a = create();
    append(a, AssignmentModeChanged{.mode = 2});
    append(a, AssignmentDeleted{});
    const auto b = create();
    append(b, AssignmentModeChanged{.mode = 0});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 5u);
    EXPECT_EQ(snapshot(), before);
}

// ---- user selections ------------------------------------------------------------------------

class UserSelectionProjector : public pm::testing::ProjectorTest {
protected:
    static UserSelectionChanged selection(bool selected, const std::string& source_id = "act-1") {
        return UserSelectionChanged{.device_id = "dev-1",
                                    .source_type = "action",
                                    .source_id = source_id,
                                    .selected = selected};
    }
    // id, device_id, source_type, source_id, selected, updated_at, projection_version
    std::vector<Row> selections() {
        return rows("SELECT id, device_id, source_type, source_id, selected, " + us("updated_at") +
                    ", projection_version FROM user_selections_projection ORDER BY source_id");
    }
};

TEST_F(UserSelectionProjector, UserSelectionChangedInsertsTheSelection) {
    const auto id = pm::new_ulid();
    const auto position = append(id, selection(true), Actor::user("alice"));
    EXPECT_EQ(
        selections(),
        (std::vector<Row>{{id, "dev-1", "action", "act-1", "t", micros(kT0), text(position)}}));
    EXPECT_EQ(value("SELECT created_by FROM user_selections_projection"), "alice");
}

TEST_F(UserSelectionProjector, UserSelectionChangedAgainUpdatesTheSameRow) {
    const auto id = pm::new_ulid();
    append(id, selection(true));
    clock_.advance(1h);
    const auto position = append(id, selection(false));
    EXPECT_EQ(selections(), (std::vector<Row>{{id, "dev-1", "action", "act-1", "f",
                                               micros(kT0 + 1h), text(position)}}));
}

TEST_F(UserSelectionProjector, AnotherSelectionStreamUpsertsOnTheNaturalKeyKeepingTheFirstId) {
    const auto first = pm::new_ulid();
    const auto second = pm::new_ulid();
    append(first, selection(true));
    clock_.advance(1h);
    const auto position = append(second, selection(false));
    EXPECT_EQ(selections(), (std::vector<Row>{{first, "dev-1", "action", "act-1", "f",
                                               micros(kT0 + 1h), text(position)}}));
}

TEST_F(UserSelectionProjector, SelectionsOfOtherItemsAreOtherRows) {
    const auto a = pm::new_ulid();
    const auto b = pm::new_ulid();
    const auto pa = append(a, selection(true, "act-1"));
    const auto pb = append(b, selection(false, "act-2"));
    EXPECT_EQ(selections(),
              (std::vector<Row>{{a, "dev-1", "action", "act-1", "t", micros(kT0), text(pa)},
                                {b, "dev-1", "action", "act-2", "f", micros(kT0), text(pb)}}));
}

TEST_F(UserSelectionProjector, ReplayingAnOlderSelectionLeavesTheNewestInPlace) {
    const auto first = pm::new_ulid();
    const auto second = pm::new_ulid();
    const auto older = append(first, selection(true));
    append(second, selection(false));
    const auto before = snapshot();
    EXPECT_EQ(reproject(older), "UserSelectionChanged");
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(selections().at(0).at(4), "f");
}

TEST_F(UserSelectionProjector, ReplayingTheWholeSelectionHistoryChangesNothing) {
    const auto a = pm::new_ulid();
    append(a, selection(true));
    append(a, selection(false));
    append(pm::new_ulid(), selection(true));
    append(pm::new_ulid(), selection(true, "act-2"));
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 4u);
    EXPECT_EQ(snapshot(), before);
}

}  // namespace
