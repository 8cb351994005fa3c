// The resolution read model (projection/resolution.hpp) against docs/events.md "Resolution":
// actions, sets, definitions, groups, assignments and selections appended as events through
// the real EventStore (the projectors build the tables), then resolve_device read as the
// system.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/events.hpp>
#include <powermanage/projection/resolution.hpp>

#include "projection/projector_fixture.hpp"

namespace {

using namespace pm::eventstore;
using namespace std::chrono_literals;
using pm::db::Actor;
using pm::projection::DeviceConfiguration;

constexpr int kPresent = 0;
constexpr int kAvailable = 1;
constexpr int kAbsent = 2;
constexpr int kDesiredPresent = 0;
constexpr int kDesiredAbsent = 1;

class Resolution : public pm::testing::ProjectorTest {
protected:
    std::string device(int sync_interval = 0) {
        const auto id = pm::new_ulid();
        append(id, DeviceRegistered{.hostname = "pc",
                                    .agent_version = "1.0.0",
                                    .cert_fingerprint = "fp",
                                    .cert_serial = id,
                                    .cert_not_after = kT0 + 24h * 365,
                                    .registration_token_id = "tok"});
        if (sync_interval > 0) {
            append(id, DeviceSyncIntervalSet{sync_interval});
        }
        return id;
    }
    std::string action(const std::string& name) {
        const auto id = pm::new_ulid();
        append(id, ActionCreated{.name = name,
                                 .description = name + " description",
                                 .action_type = 1,
                                 .desired_state = 0,
                                 .params = boost::json::object{{"name", name}},
                                 .timeout_seconds = 60});
        return id;
    }
    std::string set(const std::vector<std::pair<std::string, int>>& members) {
        const auto id = pm::new_ulid();
        append(id, ActionSetCreated{"set-" + id, ""});
        for (const auto& [action_id, order] : members) {
            append(id, ActionSetMemberAdded{action_id, order});
        }
        return id;
    }
    std::string definition(const std::vector<std::pair<std::string, int>>& members) {
        const auto id = pm::new_ulid();
        append(id, DefinitionCreated{"def-" + id, ""});
        for (const auto& [set_id, order] : members) {
            append(id, DefinitionMemberAdded{set_id, order});
        }
        return id;
    }
    std::string group(const std::vector<std::string>& devices, int sync_interval = 0) {
        const auto id = pm::new_ulid();
        append(id, DeviceGroupCreated{"group-" + id, "", false, ""});
        for (const auto& d : devices) {
            append(id, DeviceGroupMemberAdded{d});
        }
        if (sync_interval > 0) {
            append(id, DeviceGroupSyncIntervalSet{sync_interval});
        }
        return id;
    }
    std::string assign(const std::string& source_type, const std::string& source_id,
                       const std::string& target_type, const std::string& target_id, int mode,
                       int sort_order = 0) {
        const auto id = pm::new_ulid();
        append(id,
               AssignmentCreated{source_type, source_id, target_type, target_id, mode, sort_order});
        return id;
    }
    void select(const std::string& device_id, const std::string& source_type,
                const std::string& source_id, bool selected) {
        append(pm::new_ulid(), UserSelectionChanged{device_id, source_type, source_id, selected});
    }
    std::optional<DeviceConfiguration> resolve(const std::string& device_id) {
        return pm::db::with_actor(pool(), Actor::system("test"), [&](pm::db::Transaction& tx) {
            return pm::projection::resolve_device(tx, device_id);
        });
    }
    // "id=state" for each resolved action, in order.
    std::vector<std::string> states(const std::string& device_id) {
        std::vector<std::string> out;
        auto config = resolve(device_id);
        if (!config) {
            ADD_FAILURE() << "device " << device_id << " did not resolve";
            return out;
        }
        for (const auto& a : config->actions) {
            out.push_back(a.action_id + "=" + std::to_string(a.desired_state));
        }
        return out;
    }
    static std::string at(const std::string& id, int state) {
        return id + "=" + std::to_string(state);
    }
};

TEST_F(Resolution, UnknownOrDeletedDeviceResolvesToNothing) {
    EXPECT_FALSE(resolve(pm::new_ulid()).has_value());
    const auto d = device();
    ASSERT_TRUE(resolve(d).has_value());
    append(d, DeviceDeleted{});
    EXPECT_FALSE(resolve(d).has_value());
}

TEST_F(Resolution, RefusesAnActorThatCannotSeeAssignments) {
    const auto d = device();
    EXPECT_THROW(pm::db::with_actor(pool(), Actor::device(d),
                                    [&](pm::db::Transaction& tx) {
                                        return pm::projection::resolve_device(tx, d);
                                    }),
                 std::logic_error);
    EXPECT_TRUE(pm::db::with_actor(pool(), Actor::admin("admin-1"), [&](pm::db::Transaction& tx) {
                    return pm::projection::resolve_device(tx, d);
                }).has_value());
}

TEST_F(Resolution, PresentAssignmentGivesPresentWithEveryField) {
    const auto d = device();
    const auto a = action("firefox");
    append(a, ActionSigned{"c2lnbmF0dXJl", "Y2Fub25pY2Fs"});  // "signature", "canonical"
    assign("action", a, "device", d, kPresent);
    auto config = resolve(d);
    ASSERT_TRUE(config);
    ASSERT_EQ(config->actions.size(), 1u);
    const auto& r = config->actions[0];
    EXPECT_EQ(r.action_id, a);
    EXPECT_EQ(r.name, "firefox");
    EXPECT_EQ(r.description, "firefox description");
    EXPECT_EQ(r.action_type, 1);
    EXPECT_EQ(r.desired_state, kDesiredPresent);
    EXPECT_EQ(r.params_json, R"({"name": "firefox"})");
    EXPECT_EQ(r.timeout_seconds, 60);
    EXPECT_EQ(r.signature, std::optional<std::string>("signature"));
    EXPECT_EQ(r.params_canonical, std::optional<std::string>("canonical"));
    ASSERT_EQ(config->items.size(), 1u);
    EXPECT_EQ(config->items[0].source_type, "action");
    EXPECT_EQ(config->items[0].name, "firefox");
    EXPECT_EQ(config->items[0].mode, kPresent);
}

TEST_F(Resolution, AbsentAssignmentGivesAbsent) {
    const auto d = device();
    const auto a = action("a");
    assign("action", a, "device", d, kAbsent);
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredAbsent)});
}

TEST_F(Resolution, AbsentBeatsPresent) {
    const auto d = device();
    const auto a = action("a");
    const auto b = action("b");
    const auto s = set({{a, 0}, {b, 1}});
    assign("action_set", s, "device", d, kPresent);
    assign("action", b, "device", d, kAbsent);
    EXPECT_EQ(states(d), (std::vector<std::string>{at(a, kDesiredPresent), at(b, kDesiredAbsent)}));
}

TEST_F(Resolution, AvailableCountsOnlyWhenSelected) {
    const auto d = device();
    const auto a = action("a");
    assign("action", a, "device", d, kAvailable);
    EXPECT_TRUE(states(d).empty()) << "never selected: nothing";
    auto config = resolve(d);
    ASSERT_EQ(config->items.size(), 1u);
    EXPECT_TRUE(config->items[0].available);
    EXPECT_FALSE(config->items[0].selected);

    select(d, "action", a, true);
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredPresent)});
    EXPECT_TRUE(resolve(d)->items[0].selected);

    select(d, "action", a, false);
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredAbsent)})
        << "available and rejected is absent";
}

TEST_F(Resolution, SelectionOfAnotherDeviceDoesNotCount) {
    const auto d = device();
    const auto other = device();
    const auto a = action("a");
    assign("action", a, "device", d, kAvailable);
    select(other, "action", a, true);
    EXPECT_TRUE(states(d).empty());
}

TEST_F(Resolution, RejectedAvailableBeatsPresentElsewhere) {
    const auto d = device();
    const auto a = action("a");
    const auto s = set({{a, 0}});
    assign("action", a, "device", d, kPresent);
    assign("action_set", s, "device", d, kAvailable);
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredPresent)});
    select(d, "action_set", s, false);
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredAbsent)});
}

TEST_F(Resolution, GroupAssignmentsReachMembersOnly) {
    const auto d = device();
    const auto outsider = device();
    const auto g = group({d});
    const auto a = action("a");
    assign("action", a, "device_group", g, kPresent);
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredPresent)});
    EXPECT_TRUE(states(outsider).empty());

    append(g, DeviceGroupMemberRemoved{d});
    EXPECT_TRUE(states(d).empty()) << "a former member";
}

TEST_F(Resolution, DynamicGroupMembershipReaches) {
    const auto d = device();
    const auto g = pm::new_ulid();
    append(g, DeviceGroupCreated{"dyn", "", true, "labels.os == \"linux\""});
    append(g, DeviceGroupMembershipEvaluated{{d}, {}});
    const auto a = action("a");
    assign("action", a, "device_group", g, kAbsent);
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredAbsent)});
}

TEST_F(Resolution, DefinitionsReachThroughTheirSets) {
    const auto d = device();
    const auto a = action("a");
    const auto b = action("b");
    const auto c = action("c");
    const auto s1 = set({{a, 0}});
    const auto s2 = set({{b, 0}, {c, 1}});
    const auto def = definition({{s2, 0}, {s1, 1}});
    assign("definition", def, "device", d, kPresent);
    EXPECT_EQ(states(d), (std::vector<std::string>{at(b, kDesiredPresent), at(c, kDesiredPresent),
                                                   at(a, kDesiredPresent)}));
}

TEST_F(Resolution, OrderIsAssignmentThenDefinitionThenSetThenId) {
    const auto d = device();
    const auto a = action("a");
    const auto b = action("b");
    const auto c = action("c");
    const auto e = action("e");
    // Equal set order: ties by action id (ULIDs: creation order).
    const auto s = set({{c, 1}, {b, 0}, {a, 0}});
    assign("action", e, "device", d, kPresent, 1);      // later by assignment sort order
    assign("action_set", s, "device", d, kPresent, 0);  // first
    EXPECT_EQ(states(d),
              (std::vector<std::string>{at(a, kDesiredPresent), at(b, kDesiredPresent),
                                        at(c, kDesiredPresent), at(e, kDesiredPresent)}));
}

TEST_F(Resolution, AnActionReachedTwiceAppearsOnceAtItsFirstPlace) {
    const auto d = device();
    const auto g = group({d});
    const auto a = action("a");
    const auto b = action("b");
    const auto s = set({{b, 0}, {a, 1}});
    assign("action_set", s, "device_group", g, kPresent, 0);
    assign("action", a, "device", d, kPresent, 5);
    EXPECT_EQ(states(d),
              (std::vector<std::string>{at(b, kDesiredPresent), at(a, kDesiredPresent)}));
}

TEST_F(Resolution, DeletedThingsAreExcluded) {
    const auto d = device();
    const auto g = group({d});
    const auto a = action("a");
    const auto b = action("b");
    const auto c = action("c");
    const auto x = action("x");
    const auto s = set({{a, 0}, {b, 1}});
    const auto def = definition({{set({{c, 0}}), 0}});
    assign("action_set", s, "device", d, kPresent);
    assign("definition", def, "device", d, kPresent);
    const auto via_group = assign("action", x, "device_group", g, kPresent);
    ASSERT_EQ(states(d).size(), 4u);

    append(a, ActionDeleted{});
    EXPECT_EQ(states(d), (std::vector<std::string>{at(b, kDesiredPresent), at(c, kDesiredPresent),
                                                   at(x, kDesiredPresent)}));
    append(def, DefinitionDeleted{});
    EXPECT_EQ(states(d),
              (std::vector<std::string>{at(b, kDesiredPresent), at(x, kDesiredPresent)}));
    append(g, DeviceGroupDeleted{});
    EXPECT_EQ(states(d), (std::vector<std::string>{at(b, kDesiredPresent)}));
    append(s, ActionSetDeleted{});
    EXPECT_TRUE(states(d).empty());
    EXPECT_TRUE(resolve(d)->items.empty()) << "deleted sources are not listed as items";

    const auto direct = assign("action", b, "device", d, kPresent);
    EXPECT_EQ(states(d).size(), 1u);
    append(direct, AssignmentDeleted{});
    EXPECT_TRUE(states(d).empty());
    (void)via_group;
}

TEST_F(Resolution, ModeChangeApplies) {
    const auto d = device();
    const auto a = action("a");
    const auto id = assign("action", a, "device", d, kPresent);
    append(id, AssignmentModeChanged{kAbsent});
    EXPECT_EQ(states(d), std::vector<std::string>{at(a, kDesiredAbsent)});
}

// The contract: a group's non-zero interval "overrides device-level setting"; with several
// groups the smallest wins (the device syncs often enough for every group).
TEST_F(Resolution, SyncIntervalIsTheSmallestOfItsGroupsElseTheDevices) {
    const auto d = device();
    append(d, DeviceSyncIntervalSet{45});
    EXPECT_EQ(resolve(d)->sync_interval_minutes, 45);
    group({d}, 30);
    group({d}, 15);
    group({d}, 0);
    EXPECT_EQ(resolve(d)->sync_interval_minutes, 15);
    EXPECT_EQ(resolve(device())->sync_interval_minutes, 0);
}

TEST_F(Resolution, ItemsCarryTheStrongestModeAndWhetherAvailable) {
    const auto d = device();
    const auto g = group({d});
    const auto a = action("a");
    assign("action", a, "device", d, kAvailable);
    assign("action", a, "device_group", g, kPresent);
    auto config = resolve(d);
    ASSERT_EQ(config->items.size(), 1u);
    EXPECT_EQ(config->items[0].mode, kPresent);
    EXPECT_TRUE(config->items[0].available);
}

TEST_F(Resolution, ItemActionsPreviewInItemOrder) {
    const auto a = action("a");
    const auto b = action("b");
    const auto c = action("c");
    const auto s = set({{b, 0}, {a, 1}});
    const auto def = definition({{set({{c, 0}}), 0}, {s, 1}});
    std::vector<pm::projection::ResolvedItem> items(3);
    items[0].source_type = "definition";
    items[0].source_id = def;
    items[1].source_type = "action";
    items[1].source_id = a;
    items[2].source_type = "action_set";
    items[2].source_id = pm::new_ulid();  // unknown: empty preview
    auto previews = pm::db::with_actor(pool(), Actor::system("test"), [&](pm::db::Transaction& tx) {
        return pm::projection::item_actions(tx, items);
    });
    ASSERT_EQ(previews.size(), 3u);
    std::vector<std::string> first;
    for (const auto& r : previews[0]) {
        first.push_back(r.name);
    }
    EXPECT_EQ(first, (std::vector<std::string>{"c", "b", "a"}));
    ASSERT_EQ(previews[1].size(), 1u);
    EXPECT_EQ(previews[1][0].action_id, a);
    EXPECT_TRUE(previews[2].empty());
}

}  // namespace
