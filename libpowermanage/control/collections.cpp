// Reads shared by the action-set and definition handlers (see collections.hpp).
#include "control/collections.hpp"

#include <fmt/format.h>

#include <powermanage/eventstore/events.hpp>

namespace pm::control {

const CollectionKind kActionSetKind{
    .table = "action_sets_projection",
    .stream_type = eventstore::kActionSetStream,
    .members_table = "action_set_members_projection",
    .parent_column = "set_id",
    .member_column = "action_id",
    .member_table = "actions_projection",
    .noun = "action set",
    .member_noun = "action",
    .reorder_method = "ReorderActionInSet",
};

const CollectionKind kDefinitionKind{
    .table = "definitions_projection",
    .stream_type = eventstore::kDefinitionStream,
    .members_table = "definition_members_projection",
    .parent_column = "definition_id",
    .member_column = "action_set_id",
    .member_table = "action_sets_projection",
    .noun = "definition",
    .member_noun = "action set",
    .reorder_method = "ReorderActionSetInDefinition",
};

namespace {

std::string collection_columns() {
    return "id, name, description, member_count, " + epoch_us("created_at") + ", created_by";
}

CollectionRow read_collection(const db::Result& rows, int row) {
    CollectionRow out;
    out.id = std::string(rows.text(row, 0));
    out.name = std::string(rows.text(row, 1));
    out.description = std::string(rows.text(row, 2));
    out.member_count = static_cast<std::int32_t>(rows.int64(row, 3));
    out.created_at_us = rows.int64(row, 4);
    out.created_by = std::string(rows.text(row, 5));
    return out;
}

}  // namespace

std::optional<CollectionRow> find_collection(db::Transaction& tx, const CollectionKind& kind,
                                             const std::string& id) {
    auto rows = tx.exec(fmt::format("SELECT {} FROM {} WHERE id = $1 AND NOT is_deleted",
                                    collection_columns(), kind.table),
                        {id});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    return read_collection(rows, 0);
}

CollectionRow require_collection(db::Transaction& tx, const CollectionKind& kind,
                                 const std::string& id) {
    auto row = find_collection(tx, kind, id);
    if (!row) {
        fail(rpc::Code::not_found, fmt::format("{} not found", kind.noun));
    }
    return std::move(*row);
}

std::int64_t list_collections(db::Transaction& tx, const CollectionKind& kind, const Page& page,
                              std::vector<CollectionRow>& out) {
    auto total = tx.exec(fmt::format("SELECT count(*) FROM {} WHERE NOT is_deleted", kind.table));
    auto rows = tx.exec(fmt::format("SELECT {} FROM {} WHERE NOT is_deleted ORDER BY name, id "
                                    "LIMIT $1 OFFSET $2",
                                    collection_columns(), kind.table),
                        {std::to_string(page.limit), std::to_string(page.offset)});
    for (int i = 0; i < rows.rows(); ++i) {
        out.push_back(read_collection(rows, i));
    }
    return total.int64(0, 0);
}

std::vector<std::pair<std::string, std::int32_t>> collection_members(db::Transaction& tx,
                                                                     const CollectionKind& kind,
                                                                     const std::string& id) {
    auto rows = tx.exec(fmt::format("SELECT {0}, sort_order FROM {1} WHERE {2} = $1 "
                                    "ORDER BY sort_order, {0}",
                                    kind.member_column, kind.members_table, kind.parent_column),
                        {id});
    std::vector<std::pair<std::string, std::int32_t>> out;
    out.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) {
        out.emplace_back(std::string(rows.text(i, 0)), static_cast<std::int32_t>(rows.int64(i, 1)));
    }
    return out;
}

std::optional<std::int32_t> member_sort_order(db::Transaction& tx, const CollectionKind& kind,
                                              const std::string& id, const std::string& member) {
    auto rows = tx.exec(fmt::format("SELECT sort_order FROM {} WHERE {} = $1 AND {} = $2",
                                    kind.members_table, kind.parent_column, kind.member_column),
                        {id, member});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    return static_cast<std::int32_t>(rows.int64(0, 0));
}

bool name_taken(db::Transaction& tx, std::string_view table, const std::string& name,
                const std::string& except_id) {
    return tx.exec(fmt::format("SELECT 1 FROM {} WHERE name = $1 AND id <> $2 AND NOT "
                               "is_deleted",
                               table),
                   {name, except_id})
               .rows() > 0;
}

bool is_live(db::Transaction& tx, std::string_view table, const std::string& id) {
    return tx.exec(fmt::format("SELECT 1 FROM {} WHERE id = $1 AND NOT is_deleted", table), {id})
               .rows() > 0;
}

std::string name_exists_message(std::string_view noun, const std::string& name) {
    return fmt::format("{} {} named \"{}\" already exists; choose another name",
                       noun.starts_with('a') ? "an" : "a", noun, name);
}

}  // namespace pm::control
