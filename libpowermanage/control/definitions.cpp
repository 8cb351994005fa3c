// Definitions: named, ordered lists of action sets. Admins manage them; devices may read them
// (ListDefinitions, GetDefinition in the default policy). Members keep the sort order they were
// given (the reference stored 0 for all); a definition lists them by sort order, then set id.
#include "control/collection_commands.hpp"
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

struct DefinitionTraits {
    using Created = es::DefinitionCreated;
    using Renamed = es::DefinitionRenamed;
    using DescriptionUpdated = es::DefinitionDescriptionUpdated;
    using Deleted = es::DefinitionDeleted;
    static const CollectionKind& kind() { return kDefinitionKind; }
    static es::NewEvent added(const std::string& set, std::int32_t sort_order) {
        es::DefinitionMemberAdded e{.action_set_id = set};
        e.sort_order = sort_order;
        return es::NewEvent::of(e);
    }
    static es::NewEvent removed(const std::string& set) {
        return es::NewEvent::of(es::DefinitionMemberRemoved{.action_set_id = set});
    }
    static es::NewEvent reordered(const std::string& set, std::int32_t sort_order) {
        es::DefinitionMemberReordered e{.action_set_id = set};
        e.sort_order = sort_order;
        return es::NewEvent::of(e);
    }
};

using Commands = CollectionCommands<DefinitionTraits>;

}  // namespace

pm::v1::CreateDefinitionResponse Definitions::create_definition(
    Call& call, const pm::v1::CreateDefinitionRequest& request) {
    pm::v1::CreateDefinitionResponse response;
    Commands(service_)
        .create(call, request.name(), request.description())
        .to(response.mutable_definition());
    return response;
}

pm::v1::GetDefinitionResponse Definitions::get_definition(
    Call& call, const pm::v1::GetDefinitionRequest& request) {
    pm::v1::GetDefinitionResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        require_collection(tx, kDefinitionKind, request.id()).to(response.mutable_definition());
        for (const auto& [set, order] : collection_members(tx, kDefinitionKind, request.id())) {
            auto* member = response.add_members();
            member->set_action_set_id(set);
            member->set_sort_order(order);
        }
    });
    return response;
}

pm::v1::ListDefinitionsResponse Definitions::list_definitions(
    Call& call, const pm::v1::ListDefinitionsRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    pm::v1::ListDefinitionsResponse response;
    std::vector<CollectionRow> rows;
    const auto total = service_.read(call, [&](db::Transaction& tx) {
        return list_collections(tx, kDefinitionKind, page, rows);
    });
    for (const auto& row : rows) {
        row.to(response.add_definitions());
    }
    response.set_total_count(static_cast<std::int32_t>(total));
    response.set_next_page_token(page.next_token(total));
    return response;
}

pm::v1::UpdateDefinitionResponse Definitions::rename_definition(
    Call& call, const pm::v1::RenameDefinitionRequest& request) {
    pm::v1::UpdateDefinitionResponse response;
    Commands(service_).rename(call, request.id(), request.name()).to(response.mutable_definition());
    return response;
}

pm::v1::UpdateDefinitionResponse Definitions::update_definition_description(
    Call& call, const pm::v1::UpdateDefinitionDescriptionRequest& request) {
    pm::v1::UpdateDefinitionResponse response;
    Commands(service_)
        .describe(call, request.id(), request.description())
        .to(response.mutable_definition());
    return response;
}

pm::v1::DeleteDefinitionResponse Definitions::delete_definition(
    Call& call, const pm::v1::DeleteDefinitionRequest& request) {
    Commands(service_).remove(call, request.id());
    return {};
}

pm::v1::AddActionSetToDefinitionResponse Definitions::add_action_set_to_definition(
    Call& call, const pm::v1::AddActionSetToDefinitionRequest& request) {
    pm::v1::AddActionSetToDefinitionResponse response;
    Commands(service_)
        .add(call, request.definition_id(), request.action_set_id(), request.sort_order())
        .to(response.mutable_definition());
    return response;
}

pm::v1::RemoveActionSetFromDefinitionResponse Definitions::remove_action_set_from_definition(
    Call& call, const pm::v1::RemoveActionSetFromDefinitionRequest& request) {
    pm::v1::RemoveActionSetFromDefinitionResponse response;
    Commands(service_)
        .remove_member(call, request.definition_id(), request.action_set_id())
        .to(response.mutable_definition());
    return response;
}

pm::v1::ReorderActionSetInDefinitionResponse Definitions::reorder_action_set_in_definition(
    Call& call, const pm::v1::ReorderActionSetInDefinitionRequest& request) {
    pm::v1::ReorderActionSetInDefinitionResponse response;
    Commands(service_)
        .reorder(call, request.definition_id(), request.action_set_id(), request.new_order())
        .to(response.mutable_definition());
    return response;
}

}  // namespace pm::control
