// The definition RPCs over real HTTP on a real database: each one's success and refusals,
// members in the order their sort orders give (kept through a rebuild), what deleting a
// definition takes with it, and who may call what (devices read definitions, users nothing).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>

#include "configuration_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;

class DefinitionsTest : public ConfigurationTest {
protected:
    Reply<pm::v1::GetDefinitionResponse> get(const std::string& id,
                                             const std::string& bearer = {}) {
        pm::v1::GetDefinitionRequest request;
        request.set_id(id);
        return call<pm::v1::GetDefinitionResponse>("GetDefinition", request,
                                                   bearer.empty() ? admin_token() : bearer);
    }
    Reply<pm::v1::ListDefinitionsResponse> list(pm::v1::ListDefinitionsRequest request = {},
                                                const std::string& bearer = {}) {
        return call<pm::v1::ListDefinitionsResponse>("ListDefinitions", request,
                                                     bearer.empty() ? admin_token() : bearer);
    }
    Reply<pm::v1::AddActionSetToDefinitionResponse> add(const std::string& definition,
                                                        const std::string& set, int order) {
        pm::v1::AddActionSetToDefinitionRequest request;
        request.set_definition_id(definition);
        request.set_action_set_id(set);
        request.set_sort_order(order);
        return call<pm::v1::AddActionSetToDefinitionResponse>("AddActionSetToDefinition", request,
                                                              admin_token());
    }
    Reply<pm::v1::ReorderActionSetInDefinitionResponse> reorder(const std::string& definition,
                                                                const std::string& set, int order) {
        pm::v1::ReorderActionSetInDefinitionRequest request;
        request.set_definition_id(definition);
        request.set_action_set_id(set);
        request.set_new_order(order);
        return call<pm::v1::ReorderActionSetInDefinitionResponse>("ReorderActionSetInDefinition",
                                                                  request, admin_token());
    }
    Reply<pm::v1::RemoveActionSetFromDefinitionResponse> remove_member(
        const std::string& definition, const std::string& set) {
        pm::v1::RemoveActionSetFromDefinitionRequest request;
        request.set_definition_id(definition);
        request.set_action_set_id(set);
        return call<pm::v1::RemoveActionSetFromDefinitionResponse>("RemoveActionSetFromDefinition",
                                                                   request, admin_token());
    }
    Reply<pm::v1::DeleteDefinitionResponse> remove(const std::string& id) {
        pm::v1::DeleteDefinitionRequest request;
        request.set_id(id);
        return call<pm::v1::DeleteDefinitionResponse>("DeleteDefinition", request, admin_token());
    }
    std::vector<std::pair<std::string, int>> members(const std::string& definition) {
        auto reply = get(definition);
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        std::vector<std::pair<std::string, int>> out;
        for (const auto& m : reply.response.members()) {
            out.emplace_back(m.action_set_id(), m.sort_order());
        }
        return out;
    }
};

TEST_F(DefinitionsTest, CreateRenameDescribe) {
    pm::v1::CreateDefinitionRequest request;
    request.set_name("workstation");
    request.set_description("desks");
    auto created =
        call<pm::v1::CreateDefinitionResponse>("CreateDefinition", request, admin_token());
    ASSERT_OK(created);
    const auto& definition = created.response.definition();
    EXPECT_EQ(definition.name(), "workstation");
    EXPECT_EQ(definition.description(), "desks");
    EXPECT_EQ(definition.member_count(), 0);

    pm::v1::RenameDefinitionRequest rename;
    rename.set_id(definition.id());
    rename.set_name("desk");
    auto renamed =
        call<pm::v1::UpdateDefinitionResponse>("RenameDefinition", rename, admin_token());
    ASSERT_OK(renamed);
    EXPECT_EQ(renamed.response.definition().name(), "desk");

    pm::v1::UpdateDefinitionDescriptionRequest describe;
    describe.set_id(definition.id());
    describe.set_description("all desks");
    auto described = call<pm::v1::UpdateDefinitionResponse>("UpdateDefinitionDescription", describe,
                                                            admin_token());
    ASSERT_OK(described);
    EXPECT_EQ(described.response.definition().description(), "all desks");
}

TEST_F(DefinitionsTest, MembersKeepTheirSortOrdersThroughARebuild) {
    const auto definition = new_definition("ordered");
    const auto a = new_set("a");
    const auto b = new_set("b");
    const auto c = new_set("c");
    ASSERT_OK(add(definition, a, 7));
    ASSERT_OK(add(definition, b, 3));
    auto added = add(definition, c, 9);
    ASSERT_OK(added);
    EXPECT_EQ(added.response.definition().member_count(), 3);
    EXPECT_EQ(members(definition),
              (std::vector<std::pair<std::string, int>>{{b, 3}, {a, 7}, {c, 9}}));
    ASSERT_OK(reorder(definition, c, 1));
    ASSERT_OK(remove_member(definition, a));
    EXPECT_EQ(members(definition), (std::vector<std::pair<std::string, int>>{{c, 1}, {b, 3}}));
    const auto before = members(definition);
    rebuild();
    EXPECT_EQ(members(definition), before);
}

TEST_F(DefinitionsTest, MemberRefusals) {
    const auto definition = new_definition("d");
    const auto set = new_set("s");
    ASSERT_OK(add(definition, set, 1));
    auto twice = add(definition, set, 1);
    EXPECT_CODE(twice, Code::already_exists);
    EXPECT_NE(twice.status.message.find("ReorderActionSetInDefinition"), std::string::npos);
    EXPECT_CODE(add(definition, new_ulid(), 1), Code::not_found);
    EXPECT_CODE(add(new_ulid(), set, 1), Code::not_found);
    const auto outsider = new_set("outsider");
    EXPECT_CODE(remove_member(definition, outsider), Code::not_found);
    EXPECT_CODE(reorder(definition, outsider, 2), Code::not_found);
    EXPECT_CODE(reorder(definition, set, -2), Code::invalid_argument);

    pm::v1::CreateDefinitionRequest duplicate;
    duplicate.set_name("d");
    EXPECT_CODE(
        call<pm::v1::CreateDefinitionResponse>("CreateDefinition", duplicate, admin_token()),
        Code::already_exists);
    pm::v1::RenameDefinitionRequest rename;
    rename.set_id(new_ulid());
    rename.set_name("z");
    EXPECT_CODE(call<pm::v1::UpdateDefinitionResponse>("RenameDefinition", rename, admin_token()),
                Code::not_found);
    pm::v1::CreateDefinitionRequest empty;
    EXPECT_CODE(call<pm::v1::CreateDefinitionResponse>("CreateDefinition", empty, admin_token()),
                Code::invalid_argument);
}

TEST_F(DefinitionsTest, DeleteEndsAssignmentsAndIsGoneEverywhere) {
    const auto definition = new_definition("doomed");
    const auto set = new_set("s");
    ASSERT_OK(add(definition, set, 1));
    const auto assignment = append_assignment("definition", definition);
    const auto set_assignment = append_assignment("action_set", set);
    ASSERT_OK(remove(definition));
    EXPECT_CODE(get(definition), Code::not_found);
    EXPECT_CODE(remove(definition), Code::not_found);
    EXPECT_EQ(list().response.total_count(), 0);
    EXPECT_FALSE(assignment_live(assignment));
    EXPECT_TRUE(assignment_live(set_assignment)) << "the set itself lives on";
    EXPECT_EQ(sql("SELECT count(*) FROM definition_members_projection").int64(0, 0), 0);

    rebuild();
    EXPECT_FALSE(assignment_live(assignment));
    EXPECT_TRUE(assignment_live(set_assignment));
    // The name is free again.
    EXPECT_FALSE(new_definition("doomed").empty());
}

TEST_F(DefinitionsTest, ListPages) {
    for (int i = 0; i < 5; ++i) {
        new_definition("definition " + std::to_string(i));
    }
    pm::v1::ListDefinitionsRequest request;
    request.set_page_size(3);
    auto first = list(request);
    ASSERT_OK(first);
    EXPECT_EQ(first.response.definitions_size(), 3);
    EXPECT_EQ(first.response.total_count(), 5);
    ASSERT_FALSE(first.response.next_page_token().empty());
    request.set_page_token(first.response.next_page_token());
    auto second = list(request);
    ASSERT_OK(second);
    EXPECT_EQ(second.response.definitions_size(), 2);
    EXPECT_TRUE(second.response.next_page_token().empty());
    EXPECT_EQ(second.response.definitions(1).name(), "definition 4");
}

TEST_F(DefinitionsTest, DevicesReadDefinitionsAndUsersNothing) {
    const auto definition = new_definition("readable");
    const auto set = new_set("s");
    ASSERT_OK(add(definition, set, 4));
    const auto roles = non_admins();
    const auto& user = roles[0].second;
    const auto& device = roles[1].second;

    auto got = get(definition, device);
    ASSERT_OK(got);
    EXPECT_EQ(got.response.definition().name(), "readable");
    ASSERT_EQ(got.response.members_size(), 1);
    EXPECT_EQ(got.response.members(0).sort_order(), 4);
    EXPECT_EQ(list({}, device).response.total_count(), 1);
    EXPECT_CODE(get(new_ulid(), device), Code::not_found);

    EXPECT_CODE(get(definition, user), Code::permission_denied);
    EXPECT_CODE(list({}, user), Code::permission_denied);
    for (const auto& [role, token] : roles) {
        SCOPED_TRACE(role);
        pm::v1::CreateDefinitionRequest create;
        create.set_name("x");
        EXPECT_CODE(call<pm::v1::CreateDefinitionResponse>("CreateDefinition", create, token),
                    Code::permission_denied);
        pm::v1::RenameDefinitionRequest rename;
        rename.set_id(definition);
        rename.set_name("y");
        EXPECT_CODE(call<pm::v1::UpdateDefinitionResponse>("RenameDefinition", rename, token),
                    Code::permission_denied);
        pm::v1::UpdateDefinitionDescriptionRequest describe;
        describe.set_id(definition);
        EXPECT_CODE(
            call<pm::v1::UpdateDefinitionResponse>("UpdateDefinitionDescription", describe, token),
            Code::permission_denied);
        pm::v1::AddActionSetToDefinitionRequest add_request;
        add_request.set_definition_id(definition);
        add_request.set_action_set_id(set);
        EXPECT_CODE(call<pm::v1::AddActionSetToDefinitionResponse>("AddActionSetToDefinition",
                                                                   add_request, token),
                    Code::permission_denied);
        pm::v1::RemoveActionSetFromDefinitionRequest remove_request;
        remove_request.set_definition_id(definition);
        remove_request.set_action_set_id(set);
        EXPECT_CODE(call<pm::v1::RemoveActionSetFromDefinitionResponse>(
                        "RemoveActionSetFromDefinition", remove_request, token),
                    Code::permission_denied);
        pm::v1::ReorderActionSetInDefinitionRequest reorder_request;
        reorder_request.set_definition_id(definition);
        reorder_request.set_action_set_id(set);
        EXPECT_CODE(call<pm::v1::ReorderActionSetInDefinitionResponse>(
                        "ReorderActionSetInDefinition", reorder_request, token),
                    Code::permission_denied);
        pm::v1::DeleteDefinitionRequest del;
        del.set_id(definition);
        EXPECT_CODE(call<pm::v1::DeleteDefinitionResponse>("DeleteDefinition", del, token),
                    Code::permission_denied);
    }
    EXPECT_EQ(members(definition).size(), 1u);
}

}  // namespace
}  // namespace pm::testing
