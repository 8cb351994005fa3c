#pragma once
/// @file
/// @brief What action sets and definitions share: both are named, ordered collections (of
/// actions, of action sets) with the same projection shape, the same commands and the same
/// rules. The handlers in action_sets.cpp and definitions.cpp differ only in their messages.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <powermanage/db/transaction.hpp>

#include "control/records.hpp"

namespace pm::control {

/// Where one kind of collection lives and how its errors name things.
struct CollectionKind {
    std::string_view table;           ///< the collection's projection, e.g. action_sets_projection
    std::string_view stream_type;     ///< its stream type, e.g. action_set
    std::string_view members_table;   ///< e.g. action_set_members_projection
    std::string_view parent_column;   ///< the members' column naming the collection, e.g. set_id
    std::string_view member_column;   ///< the members' column naming the member, e.g. action_id
    std::string_view member_table;    ///< the members' own projection, e.g. actions_projection
    std::string_view noun;            ///< "action set"
    std::string_view member_noun;     ///< "action"
    std::string_view reorder_method;  ///< the RPC that moves a member, for error messages
};

/// The action sets: ordered lists of actions.
extern const CollectionKind kActionSetKind;
/// The definitions: ordered lists of action sets.
extern const CollectionKind kDefinitionKind;

/// One live collection row as the caller sees it.
struct CollectionRow {
    std::string id;
    std::string name;
    std::string description;
    std::int32_t member_count = 0;
    std::int64_t created_at_us = 0;
    std::string created_by;

    /// Fills a pm.v1.ActionSet or pm.v1.Definition (the same fields).
    template <class Message>
    void to(Message* out) const {
        out->set_id(id);
        out->set_name(name);
        out->set_description(description);
        out->set_member_count(member_count);
        set_timestamp(out->mutable_created_at(), created_at_us);
        out->set_created_by(created_by);
    }
};

/// The live collection `id`, or nullopt.
std::optional<CollectionRow> find_collection(db::Transaction& tx, const CollectionKind& kind,
                                             const std::string& id);
/// Like find_collection, but a missing one answers not_found ("<noun> not found").
CollectionRow require_collection(db::Transaction& tx, const CollectionKind& kind,
                                 const std::string& id);
/// One page of live collections ordered by name, then id; returns the total.
std::int64_t list_collections(db::Transaction& tx, const CollectionKind& kind, const Page& page,
                              std::vector<CollectionRow>& out);
/// The members of `id` as (member id, sort order), ordered by sort order, then member id.
std::vector<std::pair<std::string, std::int32_t>> collection_members(db::Transaction& tx,
                                                                     const CollectionKind& kind,
                                                                     const std::string& id);
/// The sort order of `member` in collection `id`, or nullopt when it is not a member.
std::optional<std::int32_t> member_sort_order(db::Transaction& tx, const CollectionKind& kind,
                                              const std::string& id, const std::string& member);

/// Whether a live row of `table` other than `except_id` is called `name` (names are unique
/// among live rows of a table).
bool name_taken(db::Transaction& tx, std::string_view table, const std::string& name,
                const std::string& except_id = {});
/// Whether `table` has a live row `id`.
bool is_live(db::Transaction& tx, std::string_view table, const std::string& id);

/// The already_exists message for a duplicate name: `an action set named "x" already exists`.
std::string name_exists_message(std::string_view noun, const std::string& name);

}  // namespace pm::control
