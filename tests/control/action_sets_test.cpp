// The action-set RPCs over real HTTP on a real database: each one's success and refusals,
// members in the order their sort orders give (kept through a rebuild; the reference stored 0
// for all), and what deleting a set takes with it.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>

#include "configuration_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;

class ActionSetsTest : public ConfigurationTest {
protected:
    Reply<pm::v1::GetActionSetResponse> get(const std::string& id, const std::string& bearer = {}) {
        pm::v1::GetActionSetRequest request;
        request.set_id(id);
        return call<pm::v1::GetActionSetResponse>("GetActionSet", request,
                                                  bearer.empty() ? admin_token() : bearer);
    }
    Reply<pm::v1::AddActionToSetResponse> add(const std::string& set, const std::string& action,
                                              int order) {
        pm::v1::AddActionToSetRequest request;
        request.set_set_id(set);
        request.set_action_id(action);
        request.set_sort_order(order);
        return call<pm::v1::AddActionToSetResponse>("AddActionToSet", request, admin_token());
    }
    Reply<pm::v1::ReorderActionInSetResponse> reorder(const std::string& set,
                                                      const std::string& action, int order) {
        pm::v1::ReorderActionInSetRequest request;
        request.set_set_id(set);
        request.set_action_id(action);
        request.set_new_order(order);
        return call<pm::v1::ReorderActionInSetResponse>("ReorderActionInSet", request,
                                                        admin_token());
    }
    Reply<pm::v1::RemoveActionFromSetResponse> remove_member(const std::string& set,
                                                             const std::string& action) {
        pm::v1::RemoveActionFromSetRequest request;
        request.set_set_id(set);
        request.set_action_id(action);
        return call<pm::v1::RemoveActionFromSetResponse>("RemoveActionFromSet", request,
                                                         admin_token());
    }
    Reply<pm::v1::DeleteActionSetResponse> remove(const std::string& id) {
        pm::v1::DeleteActionSetRequest request;
        request.set_id(id);
        return call<pm::v1::DeleteActionSetResponse>("DeleteActionSet", request, admin_token());
    }
    // The set's members as (action, sort order), in the order GetActionSet gives.
    std::vector<std::pair<std::string, int>> members(const std::string& set) {
        auto reply = get(set);
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        std::vector<std::pair<std::string, int>> out;
        for (const auto& m : reply.response.members()) {
            out.emplace_back(m.action_id(), m.sort_order());
        }
        return out;
    }
};

TEST_F(ActionSetsTest, CreateRenameDescribe) {
    pm::v1::CreateActionSetRequest request;
    request.set_name("baseline");
    request.set_description("every machine");
    auto created = call<pm::v1::CreateActionSetResponse>("CreateActionSet", request, admin_token());
    ASSERT_OK(created);
    const auto& set = created.response.set();
    EXPECT_EQ(set.name(), "baseline");
    EXPECT_EQ(set.description(), "every machine");
    EXPECT_EQ(set.member_count(), 0);
    EXPECT_FALSE(set.created_by().empty());

    pm::v1::RenameActionSetRequest rename;
    rename.set_id(set.id());
    rename.set_name("base");
    auto renamed = call<pm::v1::UpdateActionSetResponse>("RenameActionSet", rename, admin_token());
    ASSERT_OK(renamed);
    EXPECT_EQ(renamed.response.set().name(), "base");

    pm::v1::UpdateActionSetDescriptionRequest describe;
    describe.set_id(set.id());
    describe.set_description("all of them");
    auto described = call<pm::v1::UpdateActionSetResponse>("UpdateActionSetDescription", describe,
                                                           admin_token());
    ASSERT_OK(described);
    EXPECT_EQ(described.response.set().description(), "all of them");
    EXPECT_EQ(get(set.id()).response.set().name(), "base");
}

TEST_F(ActionSetsTest, MembersKeepTheirSortOrdersThroughARebuild) {
    const auto set = new_set("ordered");
    const auto a = new_action("a");
    const auto b = new_action("b");
    const auto c = new_action("c");
    auto added = add(set, a, 20);
    ASSERT_OK(added);
    EXPECT_EQ(added.response.set().member_count(), 1);
    ASSERT_OK(add(set, b, 10));
    ASSERT_OK(add(set, c, 30));
    EXPECT_EQ(members(set), (std::vector<std::pair<std::string, int>>{{b, 10}, {a, 20}, {c, 30}}));

    ASSERT_OK(reorder(set, c, 5));
    EXPECT_EQ(members(set), (std::vector<std::pair<std::string, int>>{{c, 5}, {b, 10}, {a, 20}}));

    auto removed = remove_member(set, b);
    ASSERT_OK(removed);
    EXPECT_EQ(removed.response.set().member_count(), 2);

    // Equal sort orders fall back to the action id.
    ASSERT_OK(add(set, b, 5));
    const auto first = std::min(b, c);
    const auto second = std::max(b, c);
    EXPECT_EQ(members(set),
              (std::vector<std::pair<std::string, int>>{{first, 5}, {second, 5}, {a, 20}}));

    const auto before = members(set);
    rebuild();
    EXPECT_EQ(members(set), before);
    EXPECT_EQ(get(set).response.set().member_count(), 3);
}

TEST_F(ActionSetsTest, MemberRefusals) {
    const auto set = new_set("s");
    const auto action = new_action("a");
    ASSERT_OK(add(set, action, 1));
    auto twice = add(set, action, 2);
    EXPECT_CODE(twice, Code::already_exists);
    EXPECT_NE(twice.status.message.find("ReorderActionInSet"), std::string::npos);
    EXPECT_EQ(members(set), (std::vector<std::pair<std::string, int>>{{action, 1}}));

    EXPECT_CODE(add(set, new_ulid(), 1), Code::not_found);
    EXPECT_CODE(add(new_ulid(), action, 1), Code::not_found);
    const auto gone = new_action("gone");
    pm::v1::DeleteActionRequest del;
    del.set_id(gone);
    ASSERT_OK(call<pm::v1::DeleteActionResponse>("DeleteAction", del, admin_token()));
    EXPECT_CODE(add(set, gone, 1), Code::not_found);

    const auto outsider = new_action("outsider");
    EXPECT_CODE(remove_member(set, outsider), Code::not_found);
    EXPECT_CODE(reorder(set, outsider, 3), Code::not_found);
    EXPECT_CODE(reorder(new_ulid(), action, 3), Code::not_found);
    EXPECT_CODE(add(set, action, -1), Code::invalid_argument);
    EXPECT_CODE(add(set, "nope", 1), Code::invalid_argument);
}

TEST_F(ActionSetsTest, NamesAreUniqueAmongLiveSets) {
    const auto first = new_set("same");
    pm::v1::CreateActionSetRequest request;
    request.set_name("same");
    auto duplicate =
        call<pm::v1::CreateActionSetResponse>("CreateActionSet", request, admin_token());
    EXPECT_CODE(duplicate, Code::already_exists);
    EXPECT_NE(duplicate.status.message.find("\"same\""), std::string::npos);
    const auto other = new_set("other");
    pm::v1::RenameActionSetRequest rename;
    rename.set_id(other);
    rename.set_name("same");
    EXPECT_CODE(call<pm::v1::UpdateActionSetResponse>("RenameActionSet", rename, admin_token()),
                Code::already_exists);
    ASSERT_OK(remove(first));
    EXPECT_OK(call<pm::v1::CreateActionSetResponse>("CreateActionSet", request, admin_token()));
}

TEST_F(ActionSetsTest, DeleteLeavesDefinitionsEndsAssignmentsAndIsGone) {
    const auto set = new_set("doomed");
    ASSERT_OK(add(set, new_action("a"), 1));
    const auto definition = new_definition("d");
    pm::v1::AddActionSetToDefinitionRequest join;
    join.set_definition_id(definition);
    join.set_action_set_id(set);
    ASSERT_OK(call<pm::v1::AddActionSetToDefinitionResponse>("AddActionSetToDefinition", join,
                                                             admin_token()));
    const auto assignment = append_assignment("action_set", set);
    ASSERT_TRUE(assignment_live(assignment));

    ASSERT_OK(remove(set));
    EXPECT_CODE(get(set), Code::not_found);
    EXPECT_CODE(remove(set), Code::not_found);
    EXPECT_CODE(add(set, new_action("b"), 1), Code::not_found);
    EXPECT_FALSE(assignment_live(assignment));
    pm::v1::GetDefinitionRequest get_definition;
    get_definition.set_id(definition);
    auto got = call<pm::v1::GetDefinitionResponse>("GetDefinition", get_definition, admin_token());
    ASSERT_OK(got);
    EXPECT_EQ(got.response.members_size(), 0);
    EXPECT_EQ(got.response.definition().member_count(), 0);
    auto list = call<pm::v1::ListActionSetsResponse>(
        "ListActionSets", pm::v1::ListActionSetsRequest{}, admin_token());
    EXPECT_EQ(list.response.total_count(), 0);

    rebuild();
    EXPECT_FALSE(assignment_live(assignment));
    EXPECT_CODE(get(set), Code::not_found);
}

TEST_F(ActionSetsTest, ListPagesByName) {
    for (const char* name : {"c", "a", "e", "b", "d"}) {
        new_set(name);
    }
    std::vector<std::string> names;
    pm::v1::ListActionSetsRequest request;
    request.set_page_size(2);
    int pages = 0;
    for (; pages < 5; ++pages) {
        auto page = call<pm::v1::ListActionSetsResponse>("ListActionSets", request, admin_token());
        ASSERT_OK(page);
        EXPECT_EQ(page.response.total_count(), 5);
        for (const auto& s : page.response.sets()) {
            names.push_back(s.name());
        }
        if (page.response.next_page_token().empty()) {
            break;
        }
        request.set_page_token(page.response.next_page_token());
    }
    EXPECT_EQ(pages, 2);
    EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST_F(ActionSetsTest, OnlyAdminsMayCallTheSetRpcs) {
    const auto set = new_set("guarded");
    const auto action = new_action("a");
    for (const auto& [role, token] : non_admins()) {
        SCOPED_TRACE(role);
        pm::v1::CreateActionSetRequest create;
        create.set_name("x");
        EXPECT_CODE(call<pm::v1::CreateActionSetResponse>("CreateActionSet", create, token),
                    Code::permission_denied);
        EXPECT_CODE(get(set, token), Code::permission_denied);
        EXPECT_CODE(call<pm::v1::ListActionSetsResponse>("ListActionSets",
                                                         pm::v1::ListActionSetsRequest{}, token),
                    Code::permission_denied);
        pm::v1::RenameActionSetRequest rename;
        rename.set_id(set);
        rename.set_name("y");
        EXPECT_CODE(call<pm::v1::UpdateActionSetResponse>("RenameActionSet", rename, token),
                    Code::permission_denied);
        pm::v1::UpdateActionSetDescriptionRequest describe;
        describe.set_id(set);
        EXPECT_CODE(
            call<pm::v1::UpdateActionSetResponse>("UpdateActionSetDescription", describe, token),
            Code::permission_denied);
        pm::v1::AddActionToSetRequest add_request;
        add_request.set_set_id(set);
        add_request.set_action_id(action);
        EXPECT_CODE(call<pm::v1::AddActionToSetResponse>("AddActionToSet", add_request, token),
                    Code::permission_denied);
        pm::v1::RemoveActionFromSetRequest remove_request;
        remove_request.set_set_id(set);
        remove_request.set_action_id(action);
        EXPECT_CODE(
            call<pm::v1::RemoveActionFromSetResponse>("RemoveActionFromSet", remove_request, token),
            Code::permission_denied);
        pm::v1::ReorderActionInSetRequest reorder_request;
        reorder_request.set_set_id(set);
        reorder_request.set_action_id(action);
        EXPECT_CODE(
            call<pm::v1::ReorderActionInSetResponse>("ReorderActionInSet", reorder_request, token),
            Code::permission_denied);
        pm::v1::DeleteActionSetRequest del;
        del.set_id(set);
        EXPECT_CODE(call<pm::v1::DeleteActionSetResponse>("DeleteActionSet", del, token),
                    Code::permission_denied);
    }
    EXPECT_OK(get(set));
    EXPECT_EQ(members(set).size(), 0u);
}

}  // namespace
}  // namespace pm::testing
