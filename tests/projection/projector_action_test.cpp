// The action, action set and definition projectors, event by event, against docs/events.md:
// each event appended through the real EventStore, its effect read back from the projections
// (and the member tables the deletions reach into).
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

class ActionProjector : public pm::testing::ProjectorTest {
protected:
    static ActionCreated action(const std::string& name) {
        return ActionCreated{.name = name,
                             .description = "installs it",
                             .action_type = 3,
                             .desired_state = 1,
                             .params = boost::json::object{{"package", "firefox"}},
                             .timeout_seconds = 300,
                             .schedule = boost::json::object{{"cron", "0 3 * * *"}}};
    }
    std::string create(const std::string& name = "firefox") {
        const auto id = pm::new_ulid();
        append(id, action(name), Actor::admin("admin-1"));
        return id;
    }
    // name, description, action_type, desired_state, params, timeout_seconds, schedule,
    // signature (base64), params_canonical (base64), is_deleted
    Row action_row(const std::string& id) {
        return row(
            "SELECT name, description, action_type, desired_state, params::text, "
            "timeout_seconds, schedule::text, encode(signature, 'base64'), "
            "encode(params_canonical, 'base64'), is_deleted FROM actions_projection "
            "WHERE id = $1",
            {id});
    }
    std::string updated_at(const std::string& id) {
        return value("SELECT " + us("updated_at") + " FROM actions_projection WHERE id = $1", {id});
    }
    std::string version(const std::string& id) {
        return value("SELECT projection_version FROM actions_projection WHERE id = $1", {id});
    }
    void sign(const std::string& id) {
        append(id, ActionSigned{.signature = "c2lnbmF0dXJl", .params_canonical = "e30="});
    }
};

TEST_F(ActionProjector, ActionCreatedInsertsEveryField) {
    const auto id = pm::new_ulid();
    const auto position = append(id, action("firefox"), Actor::admin("admin-1"));
    EXPECT_EQ(row("SELECT id, name, description, action_type, desired_state, params::text, "
                  "timeout_seconds, schedule::text, signature, params_canonical, " +
                  us("created_at") + ", " + us("updated_at") +
                  ", created_by, is_deleted, projection_version FROM actions_projection"),
              (Row{id, "firefox", "installs it", "3", "1", R"({"package": "firefox"})", "300",
                   R"({"cron": "0 3 * * *"})", "NULL", "NULL", micros(kT0), micros(kT0), "admin-1",
                   "f", text(position)}));
}

TEST_F(ActionProjector, ActionCreatedWithoutScheduleIsUnscheduled) {
    const auto id = pm::new_ulid();
    auto a = action("unscheduled");
    a.schedule.reset();
    append(id, a);
    EXPECT_EQ(value("SELECT schedule FROM actions_projection WHERE id = $1", {id}), "NULL");
}

TEST_F(ActionProjector, ActionRenamedSetsTheNameOnly) {
    const auto id = create();
    clock_.advance(1h);
    const auto position = append(id, ActionRenamed{.name = "firefox-esr"});
    EXPECT_EQ(action_row(id),
              (Row{"firefox-esr", "installs it", "3", "1", R"({"package": "firefox"})", "300",
                   R"({"cron": "0 3 * * *"})", "NULL", "NULL", "f"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ActionProjector, ActionRenamedToAnotherLiveActionsNameIsAlreadyExists) {
    create("taken");
    const auto id = create("free");
    try {
        append(id, ActionRenamed{.name = "taken"});
        FAIL() << "two live actions got the same name";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), "actions_projection_name_key");
    }
    EXPECT_EQ(action_row(id).front(), "free");
}

TEST_F(ActionProjector, ActionDescriptionUpdatedSetsTheDescriptionOnly) {
    const auto id = create();
    clock_.advance(1h);
    const auto position = append(id, ActionDescriptionUpdated{.description = "the browser"});
    EXPECT_EQ(action_row(id), (Row{"firefox", "the browser", "3", "1", R"({"package": "firefox"})",
                                   "300", R"({"cron": "0 3 * * *"})", "NULL", "NULL", "f"}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ActionProjector, ActionParamsUpdatedWithParamsOnlyKeepsTheOptionalColumns) {
    const auto id = create();
    sign(id);
    clock_.advance(1h);
    const auto position =
        append(id, ActionParamsUpdated{.params = boost::json::object{{"package", "firefox-esr"}}});
    EXPECT_EQ(action_row(id),
              (Row{"firefox", "installs it", "3", "1", R"({"package": "firefox-esr"})", "300",
                   R"({"cron": "0 3 * * *"})", "NULL", "NULL", "f"}))
        << "timeout, desired state and schedule unchanged; the signature cleared";
    EXPECT_EQ(value("SELECT signature IS NULL AND params_canonical IS NULL FROM "
                    "actions_projection WHERE id = $1",
                    {id}),
              "t");
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ActionProjector, ActionParamsUpdatedWithEveryKeySetsThemAll) {
    const auto id = create();
    append(id, ActionParamsUpdated{.params = boost::json::object{{"package", "vlc"}},
                                   .timeout_seconds = 60,
                                   .desired_state = 2,
                                   .schedule = boost::json::object{{"cron", "@hourly"}}});
    EXPECT_EQ(action_row(id), (Row{"firefox", "installs it", "3", "2", R"({"package": "vlc"})",
                                   "60", R"({"cron": "@hourly"})", "NULL", "NULL", "f"}));
}

TEST_F(ActionProjector, ActionParamsUpdatedWithANullScheduleRemovesTheSchedule) {
    const auto id = create();
    append_raw({"action", id}, NewEvent{"ActionParamsUpdated",
                                        {{"params", boost::json::object{{"package", "vlc"}}},
                                         {"schedule", nullptr}},
                                        {},
                                        "action"});
    EXPECT_EQ(action_row(id), (Row{"firefox", "installs it", "3", "1", R"({"package": "vlc"})",
                                   "300", "NULL", "NULL", "NULL", "f"}));
}

TEST_F(ActionProjector, ActionParamsUpdatedWithNullTimeoutAndStateKeepsThem) {
    const auto id = create();
    append_raw({"action", id}, NewEvent{"ActionParamsUpdated",
                                        {{"params", boost::json::object{{"package", "vlc"}}},
                                         {"timeout_seconds", nullptr},
                                         {"desired_state", nullptr}},
                                        {},
                                        "action"});
    EXPECT_EQ(action_row(id), (Row{"firefox", "installs it", "3", "1", R"({"package": "vlc"})",
                                   "300", R"({"cron": "0 3 * * *"})", "NULL", "NULL", "f"}));
}

TEST_F(ActionProjector, ActionSignedStoresTheDecodedSignature) {
    const auto id = create();
    clock_.advance(1h);
    const auto position =
        append(id, ActionSigned{.signature = "3q2+7w==", .params_canonical = "eyJhIjoxfQ=="});
    EXPECT_EQ(row("SELECT encode(signature, 'hex'), convert_from(params_canonical, 'UTF8'), "
                  "projection_version FROM actions_projection WHERE id = $1",
                  {id}),
              (Row{"deadbeef", R"({"a":1})", text(position)}));
}

TEST_F(ActionProjector, ActionParamsUpdatedAfterSigningVoidsTheSignatureUntilSignedAgain) {
    const auto id = create();
    sign(id);
    append(id, ActionParamsUpdated{.params = boost::json::object{{"package", "vlc"}}});
    EXPECT_EQ(value("SELECT signature IS NULL FROM actions_projection WHERE id = $1", {id}), "t");
    append(id, ActionSigned{.signature = "AQID", .params_canonical = "BAUG"});
    EXPECT_EQ(value("SELECT encode(signature, 'hex') || '/' || encode(params_canonical, 'hex') "
                    "FROM actions_projection WHERE id = $1",
                    {id}),
              "010203/040506");
}

TEST_F(ActionProjector, ActionDeletedSoftDeletesAndFreesTheName) {
    const auto id = create("gone");
    clock_.advance(1h);
    const auto position = append(id, ActionDeleted{});
    EXPECT_EQ(row("SELECT name, is_deleted, projection_version FROM actions_projection "
                  "WHERE id = $1",
                  {id}),
              (Row{"gone", "t", text(position)}));
    EXPECT_EQ(updated_at(id), micros(kT0 + 1h));
    const auto again = create("gone");
    EXPECT_EQ(action_row(again)[9], "f");
}

TEST_F(ActionProjector, ActionDeletedLeavesEverySetAndRecountsThem) {
    const auto gone = create("gone");
    const auto stays = create("stays");
    const auto s1 = pm::new_ulid();
    const auto s2 = pm::new_ulid();
    append(s1, ActionSetCreated{.name = "s1", .description = ""});
    append(s2, ActionSetCreated{.name = "s2", .description = ""});
    append(s1, ActionSetMemberAdded{.action_id = gone, .sort_order = 1});
    const auto s1_version = append(s1, ActionSetMemberAdded{.action_id = stays, .sort_order = 2});
    const auto s2_version = append(s2, ActionSetMemberAdded{.action_id = gone, .sort_order = 1});
    append(gone, ActionDeleted{});
    EXPECT_EQ(rows("SELECT set_id, action_id, sort_order FROM action_set_members_projection"),
              (std::vector<Row>{{s1, stays, "2"}}));
    EXPECT_EQ(rows("SELECT id, member_count, projection_version FROM action_sets_projection "
                   "ORDER BY name"),
              (std::vector<Row>{{s1, "1", text(s1_version)}, {s2, "0", text(s2_version)}}))
        << "member counts recounted; the sets' own versions untouched";
}

TEST_F(ActionProjector, ASecondLiveActionWithTheSameNameIsAlreadyExists) {
    create("dup");
    try {
        append(pm::new_ulid(), action("dup"));
        FAIL() << "two live actions got the same name";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), "actions_projection_name_key");
    }
    EXPECT_EQ(value("SELECT count(*) FROM actions_projection"), "1");
}

TEST_F(ActionProjector, EveryUpdateOfAnActionThatWasNeverCreatedIsRefused) {
    expect_refused_without_creation(ActionRenamed{.name = "n"},
                                    ActionDescriptionUpdated{.description = "d"},
                                    ActionParamsUpdated{}, ActionSigned{}, ActionDeleted{});
}

TEST_F(ActionProjector, ReplayingTheWholeActionHistoryChangesNothing) {
    const auto id = create();
    append(id, ActionRenamed{.name = "renamed"});
    append(id, ActionDescriptionUpdated{.description = "d"});
    sign(id);
    append(id, ActionParamsUpdated{.params = boost::json::object{{"x", 1}}, .timeout_seconds = 9});
    sign(id);
    const auto set = pm::new_ulid();
    append(set, ActionSetCreated{.name = "s", .description = ""});
    append(set, ActionSetMemberAdded{.action_id = id, .sort_order = 1});
    append(id, ActionDeleted{});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 9u);
    EXPECT_EQ(snapshot(), before);
}

// ---- action sets and definitions ------------------------------------------------------------

// Action sets and definitions have the same shape: a parent with a member_count and ordered
// members. One fixture checks both through their own tables and event types.
struct Ordered {
    std::string stream;      // stream type
    std::string parents;     // parent table
    std::string members;     // member table
    std::string parent_key;  // member table's column naming the parent
    std::string member_key;  // member table's column naming the member
    std::string name_key;    // the live-name unique index
};

class SetProjector : public pm::testing::ProjectorTest {
protected:
    const Ordered set_{
        "action_set", "action_sets_projection",         "action_set_members_projection", "set_id",
        "action_id",  "action_sets_projection_name_key"};
    const Ordered definition_{
        "definition",    "definitions_projection", "definition_members_projection",
        "definition_id", "action_set_id",          "definitions_projection_name_key"};

    // name, description, member_count, is_deleted, created_by, created_at, updated_at
    Row parent(const Ordered& o, const std::string& id) {
        return row("SELECT name, description, member_count, is_deleted, created_by, " +
                       us("created_at") + ", " + us("updated_at") + " FROM " + o.parents +
                       " WHERE id = $1",
                   {id});
    }
    std::string version(const Ordered& o, const std::string& id) {
        return value("SELECT projection_version FROM " + o.parents + " WHERE id = $1", {id});
    }
    // member id, sort_order, added_at, in sort order
    std::vector<Row> members(const Ordered& o, const std::string& id) {
        return rows("SELECT " + o.member_key + ", sort_order, " + us("added_at") + " FROM " +
                        o.members + " WHERE " + o.parent_key + " = $1 ORDER BY sort_order, " +
                        o.member_key,
                    {id});
    }
};

TEST_F(SetProjector, ActionSetCreatedInserts) {
    const auto id = pm::new_ulid();
    const auto position =
        append(id, ActionSetCreated{.name = "browsers", .description = "all of them"},
               Actor::admin("admin-1"));
    EXPECT_EQ(parent(set_, id),
              (Row{"browsers", "all of them", "0", "f", "admin-1", micros(kT0), micros(kT0)}));
    EXPECT_EQ(version(set_, id), text(position));
}

TEST_F(SetProjector, ActionSetRenamedAndDescriptionUpdatedSetTheirColumn) {
    const auto id = pm::new_ulid();
    append(id, ActionSetCreated{.name = "browsers", .description = "all of them"});
    clock_.advance(1h);
    append(id, ActionSetRenamed{.name = "web"});
    EXPECT_EQ(parent(set_, id),
              (Row{"web", "all of them", "0", "f", "server", micros(kT0), micros(kT0 + 1h)}));
    clock_.advance(1h);
    const auto position = append(id, ActionSetDescriptionUpdated{.description = "some"});
    EXPECT_EQ(parent(set_, id),
              (Row{"web", "some", "0", "f", "server", micros(kT0), micros(kT0 + 2h)}));
    EXPECT_EQ(version(set_, id), text(position));
}

TEST_F(SetProjector, ActionSetMemberAddedKeepsTheSortOrderAndCounts) {
    const auto id = pm::new_ulid();
    append(id, ActionSetCreated{.name = "s", .description = ""});
    clock_.advance(1min);
    append(id, ActionSetMemberAdded{.action_id = "a-late", .sort_order = 20});
    clock_.advance(1min);
    const auto position =
        append(id, ActionSetMemberAdded{.action_id = "a-early", .sort_order = 10});
    EXPECT_EQ(members(set_, id), (std::vector<Row>{{"a-early", "10", micros(kT0 + 2min)},
                                                   {"a-late", "20", micros(kT0 + 1min)}}));
    EXPECT_EQ(parent(set_, id)[2], "2");
    EXPECT_EQ(version(set_, id), text(position));
}

TEST_F(SetProjector, ActionSetMemberAddedAgainTakesTheNewSortOrderAndCountsOnce) {
    const auto id = pm::new_ulid();
    append(id, ActionSetCreated{.name = "s", .description = ""});
    append(id, ActionSetMemberAdded{.action_id = "a1", .sort_order = 1});
    clock_.advance(1min);
    append(id, ActionSetMemberAdded{.action_id = "a1", .sort_order = 7});
    EXPECT_EQ(members(set_, id), (std::vector<Row>{{"a1", "7", micros(kT0)}}));
    EXPECT_EQ(parent(set_, id)[2], "1");
}

TEST_F(SetProjector, ActionSetMemberRemovedDeletesAndRecounts) {
    const auto id = pm::new_ulid();
    append(id, ActionSetCreated{.name = "s", .description = ""});
    append(id, ActionSetMemberAdded{.action_id = "a1", .sort_order = 1});
    append(id, ActionSetMemberAdded{.action_id = "a2", .sort_order = 2});
    const auto position = append(id, ActionSetMemberRemoved{.action_id = "a1"});
    EXPECT_EQ(members(set_, id), (std::vector<Row>{{"a2", "2", micros(kT0)}}));
    EXPECT_EQ(parent(set_, id)[2], "1");
    EXPECT_EQ(version(set_, id), text(position));
}

TEST_F(SetProjector, ActionSetMemberReorderedMovesOneMember) {
    const auto id = pm::new_ulid();
    append(id, ActionSetCreated{.name = "s", .description = ""});
    append(id, ActionSetMemberAdded{.action_id = "a1", .sort_order = 1});
    append(id, ActionSetMemberAdded{.action_id = "a2", .sort_order = 2});
    append(id, ActionSetMemberAdded{.action_id = "a3", .sort_order = 3});
    const auto position = append(id, ActionSetMemberReordered{.action_id = "a1", .sort_order = 5});
    EXPECT_EQ(members(set_, id),
              (std::vector<Row>{
                  {"a2", "2", micros(kT0)}, {"a3", "3", micros(kT0)}, {"a1", "5", micros(kT0)}}));
    EXPECT_EQ(parent(set_, id)[2], "3");
    EXPECT_EQ(version(set_, id), text(position));
}

TEST_F(SetProjector, ActionSetMemberAddedWithoutSortOrderIsRefused) {
    // The reference wrote `order`; here that fails loudly instead of storing 0.
    const auto id = pm::new_ulid();
    append(id, ActionSetCreated{.name = "s", .description = ""});
    EXPECT_THROW(append_raw({"action_set", id}, NewEvent{"ActionSetMemberAdded",
                                                         {{"action_id", "a1"}, {"order", 3}},
                                                         {},
                                                         "action_set"}),
                 pm::db::DatabaseError);
    EXPECT_TRUE(members(set_, id).empty());
    EXPECT_EQ(store().stream_version({"action_set", id}), 1);
}

TEST_F(SetProjector, ActionSetDeletedSoftDeletesEmptiesAndLeavesEveryDefinition) {
    const auto gone = pm::new_ulid();
    const auto stays = pm::new_ulid();
    append(gone, ActionSetCreated{.name = "gone", .description = ""});
    append(stays, ActionSetCreated{.name = "stays", .description = ""});
    append(gone, ActionSetMemberAdded{.action_id = "a1", .sort_order = 1});
    append(gone, ActionSetMemberAdded{.action_id = "a2", .sort_order = 2});
    const auto d1 = pm::new_ulid();
    const auto d2 = pm::new_ulid();
    append(d1, DefinitionCreated{.name = "d1", .description = ""});
    append(d2, DefinitionCreated{.name = "d2", .description = ""});
    append(d1, DefinitionMemberAdded{.action_set_id = gone, .sort_order = 1});
    const auto d1_version =
        append(d1, DefinitionMemberAdded{.action_set_id = stays, .sort_order = 2});
    const auto d2_version =
        append(d2, DefinitionMemberAdded{.action_set_id = gone, .sort_order = 1});

    clock_.advance(1h);
    const auto position = append(gone, ActionSetDeleted{});
    EXPECT_EQ(parent(set_, gone),
              (Row{"gone", "", "0", "t", "server", micros(kT0), micros(kT0 + 1h)}));
    EXPECT_EQ(version(set_, gone), text(position));
    EXPECT_TRUE(members(set_, gone).empty());
    EXPECT_EQ(rows("SELECT definition_id, action_set_id FROM definition_members_projection"),
              (std::vector<Row>{{d1, stays}}));
    EXPECT_EQ(rows("SELECT id, member_count, projection_version FROM definitions_projection "
                   "ORDER BY name"),
              (std::vector<Row>{{d1, "1", text(d1_version)}, {d2, "0", text(d2_version)}}))
        << "member counts recounted; the definitions' own versions untouched";
    // The name is free again.
    append(pm::new_ulid(), ActionSetCreated{.name = "gone", .description = ""});
}

// Migration 0006: an add that comes after its member's delete adds nothing; deletes end the
// live assignments of what they delete and leave the assignments' own versions alone.
TEST_F(SetProjector, AddingADeletedMemberAddsNothing) {
    const auto action = pm::new_ulid();
    append(action, ActionCreated{.name = "a", .description = "", .params = {}});
    append(action, ActionDeleted{});
    const auto set = pm::new_ulid();
    append(set, ActionSetCreated{.name = "s", .description = ""});
    append(set, ActionSetMemberAdded{.action_id = action, .sort_order = 1});
    EXPECT_TRUE(members(set_, set).empty());
    EXPECT_EQ(parent(set_, set)[2], "0");

    append(set, ActionSetDeleted{});
    const auto definition = pm::new_ulid();
    append(definition, DefinitionCreated{.name = "d", .description = ""});
    append(definition, DefinitionMemberAdded{.action_set_id = set, .sort_order = 1});
    EXPECT_TRUE(members(definition_, definition).empty());
}

TEST_F(SetProjector, DeletesEndTheAssignmentsOfWhatTheyDelete) {
    const auto action = pm::new_ulid();
    const auto set = pm::new_ulid();
    const auto definition = pm::new_ulid();
    append(action, ActionCreated{.name = "a", .description = "", .params = {}});
    append(set, ActionSetCreated{.name = "s", .description = ""});
    append(definition, DefinitionCreated{.name = "d", .description = ""});
    auto assign = [&](const std::string& type, const std::string& source) {
        const auto id = pm::new_ulid();
        AssignmentCreated a{.source_type = type,
                            .source_id = source,
                            .target_type = "device",
                            .target_id = pm::new_ulid()};
        return std::pair{id, append(id, a)};
    };
    const auto [of_action, action_version] = assign("action", action);
    const auto [of_set, set_version] = assign("action_set", set);
    const auto [of_definition, definition_version] = assign("definition", definition);
    const auto [other, other_version] = assign("action", pm::new_ulid());
    append(action, ActionDeleted{});
    append(set, ActionSetDeleted{});
    append(definition, DefinitionDeleted{});
    EXPECT_EQ(rows("SELECT id, is_deleted, projection_version FROM assignments_projection "
                   "ORDER BY source_type, is_deleted"),
              (std::vector<Row>{{other, "f", text(other_version)},
                                {of_action, "t", text(action_version)},
                                {of_set, "t", text(set_version)},
                                {of_definition, "t", text(definition_version)}}))
        << "live assignments of deleted sources end; versions stay (a cross-stream effect)";
}

TEST_F(SetProjector, ASecondLiveActionSetWithTheSameNameIsAlreadyExists) {
    append(pm::new_ulid(), ActionSetCreated{.name = "dup", .description = ""});
    try {
        append(pm::new_ulid(), ActionSetCreated{.name = "dup", .description = ""});
        FAIL() << "two live action sets got the same name";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), set_.name_key);
    }
}

TEST_F(SetProjector, DefinitionCreatedInserts) {
    const auto id = pm::new_ulid();
    const auto position = append(id, DefinitionCreated{.name = "baseline", .description = "all"},
                                 Actor::admin("admin-1"));
    EXPECT_EQ(parent(definition_, id),
              (Row{"baseline", "all", "0", "f", "admin-1", micros(kT0), micros(kT0)}));
    EXPECT_EQ(version(definition_, id), text(position));
}

TEST_F(SetProjector, DefinitionRenamedAndDescriptionUpdatedSetTheirColumn) {
    const auto id = pm::new_ulid();
    append(id, DefinitionCreated{.name = "baseline", .description = "all"});
    clock_.advance(1h);
    append(id, DefinitionRenamed{.name = "base"});
    EXPECT_EQ(parent(definition_, id),
              (Row{"base", "all", "0", "f", "server", micros(kT0), micros(kT0 + 1h)}));
    clock_.advance(1h);
    const auto position = append(id, DefinitionDescriptionUpdated{.description = "most"});
    EXPECT_EQ(parent(definition_, id),
              (Row{"base", "most", "0", "f", "server", micros(kT0), micros(kT0 + 2h)}));
    EXPECT_EQ(version(definition_, id), text(position));
}

TEST_F(SetProjector, DefinitionMembersAreAddedReaddedReorderedAndRemovedWithRecounts) {
    const auto id = pm::new_ulid();
    append(id, DefinitionCreated{.name = "d", .description = ""});
    clock_.advance(1min);
    append(id, DefinitionMemberAdded{.action_set_id = "s1", .sort_order = 10});
    append(id, DefinitionMemberAdded{.action_set_id = "s2", .sort_order = 20});
    append(id, DefinitionMemberAdded{.action_set_id = "s3", .sort_order = 30});
    EXPECT_EQ(parent(definition_, id)[2], "3");

    append(id, DefinitionMemberAdded{.action_set_id = "s3", .sort_order = 5});
    EXPECT_EQ(parent(definition_, id)[2], "3") << "re-adding a member does not count it twice";
    append(id, DefinitionMemberReordered{.action_set_id = "s1", .sort_order = 40});
    EXPECT_EQ(members(definition_, id), (std::vector<Row>{{"s3", "5", micros(kT0 + 1min)},
                                                          {"s2", "20", micros(kT0 + 1min)},
                                                          {"s1", "40", micros(kT0 + 1min)}}));

    const auto position = append(id, DefinitionMemberRemoved{.action_set_id = "s2"});
    EXPECT_EQ(members(definition_, id), (std::vector<Row>{{"s3", "5", micros(kT0 + 1min)},
                                                          {"s1", "40", micros(kT0 + 1min)}}));
    EXPECT_EQ(parent(definition_, id)[2], "2");
    EXPECT_EQ(version(definition_, id), text(position));
}

TEST_F(SetProjector, DefinitionMemberAddedWithoutSortOrderIsRefused) {
    const auto id = pm::new_ulid();
    append(id, DefinitionCreated{.name = "d", .description = ""});
    EXPECT_THROW(append_raw({"definition", id}, NewEvent{"DefinitionMemberAdded",
                                                         {{"action_set_id", "s1"}, {"order", 3}},
                                                         {},
                                                         "definition"}),
                 pm::db::DatabaseError);
    EXPECT_TRUE(members(definition_, id).empty());
}

TEST_F(SetProjector, DefinitionDeletedSoftDeletesAndEmpties) {
    const auto id = pm::new_ulid();
    append(id, DefinitionCreated{.name = "d", .description = ""});
    append(id, DefinitionMemberAdded{.action_set_id = "s1", .sort_order = 1});
    append(id, DefinitionMemberAdded{.action_set_id = "s2", .sort_order = 2});
    clock_.advance(1h);
    const auto position = append(id, DefinitionDeleted{});
    EXPECT_EQ(parent(definition_, id),
              (Row{"d", "", "0", "t", "server", micros(kT0), micros(kT0 + 1h)}));
    EXPECT_TRUE(members(definition_, id).empty());
    EXPECT_EQ(version(definition_, id), text(position));
}

TEST_F(SetProjector, ASecondLiveDefinitionWithTheSameNameIsAlreadyExists) {
    const auto first = pm::new_ulid();
    append(first, DefinitionCreated{.name = "dup", .description = ""});
    try {
        append(pm::new_ulid(), DefinitionCreated{.name = "dup", .description = ""});
        FAIL() << "two live definitions got the same name";
    } catch (const AlreadyExists& e) {
        EXPECT_EQ(e.constraint(), definition_.name_key);
    }
    append(first, DefinitionDeleted{});
    append(pm::new_ulid(), DefinitionCreated{.name = "dup", .description = ""});
}

TEST_F(SetProjector, EveryUpdateOfASetOrDefinitionThatWasNeverCreatedIsRefused) {
    expect_refused_without_creation(
        ActionSetRenamed{.name = "n"}, ActionSetDescriptionUpdated{.description = "d"},
        ActionSetMemberAdded{.action_id = "a"}, ActionSetMemberRemoved{.action_id = "a"},
        ActionSetMemberReordered{.action_id = "a"}, ActionSetDeleted{});
    expect_refused_without_creation(
        DefinitionRenamed{.name = "n"}, DefinitionDescriptionUpdated{.description = "d"},
        DefinitionMemberAdded{.action_set_id = "s"}, DefinitionMemberRemoved{.action_set_id = "s"},
        DefinitionMemberReordered{.action_set_id = "s"}, DefinitionDeleted{});
}

TEST_F(SetProjector, ReplayingAMemberEventAfterLaterOnesChangesNothing) {
    const auto id = pm::new_ulid();
    append(id, ActionSetCreated{.name = "s", .description = ""});
    const auto added = append(id, ActionSetMemberAdded{.action_id = "a1", .sort_order = 1});
    append(id, ActionSetMemberRemoved{.action_id = "a1"});
    const auto before = snapshot();
    EXPECT_EQ(reproject(added), "ActionSetMemberAdded");
    EXPECT_TRUE(members(set_, id).empty()) << "a replayed add must not bring the member back";
    EXPECT_EQ(snapshot(), before);
}

TEST_F(SetProjector, ReplayingTheWholeSetAndDefinitionHistoryChangesNothing) {
    const auto s1 = pm::new_ulid();
    const auto s2 = pm::new_ulid();
    const auto d = pm::new_ulid();
    append(s1, ActionSetCreated{.name = "s1", .description = ""});
    append(s2, ActionSetCreated{.name = "s2", .description = ""});
    append(s1, ActionSetRenamed{.name = "s1b"});
    append(s1, ActionSetDescriptionUpdated{.description = "x"});
    append(s1, ActionSetMemberAdded{.action_id = "a1", .sort_order = 1});
    append(s1, ActionSetMemberAdded{.action_id = "a2", .sort_order = 2});
    append(s1, ActionSetMemberReordered{.action_id = "a1", .sort_order = 3});
    append(s1, ActionSetMemberRemoved{.action_id = "a2"});
    append(d, DefinitionCreated{.name = "d", .description = ""});
    append(d, DefinitionRenamed{.name = "d2"});
    append(d, DefinitionDescriptionUpdated{.description = "y"});
    append(d, DefinitionMemberAdded{.action_set_id = s1, .sort_order = 1});
    append(d, DefinitionMemberAdded{.action_set_id = s2, .sort_order = 2});
    append(d, DefinitionMemberReordered{.action_set_id = s1, .sort_order = 4});
    append(d, DefinitionMemberRemoved{.action_set_id = s1});
    append(s2, ActionSetDeleted{});
    const auto other = pm::new_ulid();
    append(other, DefinitionCreated{.name = "other", .description = ""});
    append(other, DefinitionDeleted{});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 18u);
    EXPECT_EQ(snapshot(), before);
}

}  // namespace
