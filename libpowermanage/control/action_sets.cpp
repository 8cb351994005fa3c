// Action sets: named, ordered lists of actions. Admins only (the policy's `*` rule). Members
// keep the sort order they were given (the reference stored 0 for all); a set lists them by
// sort order, then action id.
#include "control/collection_commands.hpp"
#include "control/domains.hpp"
#include "control/records.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

struct SetTraits {
    using Created = es::ActionSetCreated;
    using Renamed = es::ActionSetRenamed;
    using DescriptionUpdated = es::ActionSetDescriptionUpdated;
    using Deleted = es::ActionSetDeleted;
    static const CollectionKind& kind() { return kActionSetKind; }
    static es::NewEvent added(const std::string& action, std::int32_t sort_order) {
        es::ActionSetMemberAdded e{.action_id = action};
        e.sort_order = sort_order;
        return es::NewEvent::of(e);
    }
    static es::NewEvent removed(const std::string& action) {
        return es::NewEvent::of(es::ActionSetMemberRemoved{.action_id = action});
    }
    static es::NewEvent reordered(const std::string& action, std::int32_t sort_order) {
        es::ActionSetMemberReordered e{.action_id = action};
        e.sort_order = sort_order;
        return es::NewEvent::of(e);
    }
};

using Commands = CollectionCommands<SetTraits>;

}  // namespace

pm::v1::CreateActionSetResponse ActionSets::create_action_set(
    Call& call, const pm::v1::CreateActionSetRequest& request) {
    pm::v1::CreateActionSetResponse response;
    Commands(service_)
        .create(call, request.name(), request.description())
        .to(response.mutable_set());
    return response;
}

pm::v1::GetActionSetResponse ActionSets::get_action_set(
    Call& call, const pm::v1::GetActionSetRequest& request) {
    pm::v1::GetActionSetResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        require_collection(tx, kActionSetKind, request.id()).to(response.mutable_set());
        for (const auto& [action, order] : collection_members(tx, kActionSetKind, request.id())) {
            auto* member = response.add_members();
            member->set_action_id(action);
            member->set_sort_order(order);
        }
    });
    return response;
}

pm::v1::ListActionSetsResponse ActionSets::list_action_sets(
    Call& call, const pm::v1::ListActionSetsRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    pm::v1::ListActionSetsResponse response;
    std::vector<CollectionRow> rows;
    const auto total = service_.read(call, [&](db::Transaction& tx) {
        return list_collections(tx, kActionSetKind, page, rows);
    });
    for (const auto& row : rows) {
        row.to(response.add_sets());
    }
    response.set_total_count(static_cast<std::int32_t>(total));
    response.set_next_page_token(page.next_token(total));
    return response;
}

pm::v1::UpdateActionSetResponse ActionSets::rename_action_set(
    Call& call, const pm::v1::RenameActionSetRequest& request) {
    pm::v1::UpdateActionSetResponse response;
    Commands(service_).rename(call, request.id(), request.name()).to(response.mutable_set());
    return response;
}

pm::v1::UpdateActionSetResponse ActionSets::update_action_set_description(
    Call& call, const pm::v1::UpdateActionSetDescriptionRequest& request) {
    pm::v1::UpdateActionSetResponse response;
    Commands(service_)
        .describe(call, request.id(), request.description())
        .to(response.mutable_set());
    return response;
}

pm::v1::DeleteActionSetResponse ActionSets::delete_action_set(
    Call& call, const pm::v1::DeleteActionSetRequest& request) {
    Commands(service_).remove(call, request.id());
    return {};
}

pm::v1::AddActionToSetResponse ActionSets::add_action_to_set(
    Call& call, const pm::v1::AddActionToSetRequest& request) {
    pm::v1::AddActionToSetResponse response;
    Commands(service_)
        .add(call, request.set_id(), request.action_id(), request.sort_order())
        .to(response.mutable_set());
    return response;
}

pm::v1::RemoveActionFromSetResponse ActionSets::remove_action_from_set(
    Call& call, const pm::v1::RemoveActionFromSetRequest& request) {
    pm::v1::RemoveActionFromSetResponse response;
    Commands(service_)
        .remove_member(call, request.set_id(), request.action_id())
        .to(response.mutable_set());
    return response;
}

pm::v1::ReorderActionInSetResponse ActionSets::reorder_action_in_set(
    Call& call, const pm::v1::ReorderActionInSetRequest& request) {
    pm::v1::ReorderActionInSetResponse response;
    Commands(service_)
        .reorder(call, request.set_id(), request.action_id(), request.new_order())
        .to(response.mutable_set());
    return response;
}

}  // namespace pm::control
