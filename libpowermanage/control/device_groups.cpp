// The device-group RPCs. A static group's members are kept by hand (AddDeviceToGroup,
// RemoveDeviceFromGroup); a dynamic group's are what its query selects, kept right by the
// GroupMembership maintainer and, when a group is created or its query changes, evaluated in
// SQL inside the same command so that the answer already has the right member_count.
#include <set>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <powermanage/contract/action_params.hpp>
#include <powermanage/eventstore/events.hpp>
#include <powermanage/query/query.hpp>

#include "control/dispatch.hpp"
#include "control/domains.hpp"
#include "control/group_membership.hpp"
#include "control/records.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

constexpr const char* kNotFound = "device group not found";

// An inline action without a timeout runs with this limit (as DispatchAction's).
constexpr std::int32_t kDefaultTimeoutSeconds = 300;

es::StreamId group_stream(const std::string& id) {
    return {std::string(es::kDeviceGroupStream), id};
}

const std::string& group_columns() {
    static const std::string columns =
        "id, name, description, member_count, " + epoch_us("created_at") +
        ", created_by, is_dynamic, dynamic_query, sync_interval_minutes";
    return columns;
}

void read_group(const db::Result& rows, int row, pm::v1::DeviceGroup* out) {
    out->set_id(std::string(rows.text(row, 0)));
    out->set_name(std::string(rows.text(row, 1)));
    out->set_description(std::string(rows.text(row, 2)));
    out->set_member_count(static_cast<std::int32_t>(rows.int64(row, 3)));
    set_timestamp(out->mutable_created_at(), rows.int64(row, 4));
    out->set_created_by(std::string(rows.text(row, 5)));
    out->set_is_dynamic(rows.boolean(row, 6));
    out->set_dynamic_query(std::string(rows.text(row, 7)));
    out->set_sync_interval_minutes(static_cast<std::int32_t>(rows.int64(row, 8)));
}

std::optional<pm::v1::DeviceGroup> find_group(db::Transaction& tx, const std::string& id) {
    auto rows = tx.exec("SELECT " + group_columns() +
                            " FROM device_groups_projection WHERE id = $1 AND NOT is_deleted",
                        {id});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    pm::v1::DeviceGroup group;
    read_group(rows, 0, &group);
    return group;
}

// The group as the command left it (read back in the command's transaction).
pm::v1::DeviceGroup read_back(db::Transaction& tx, const std::string& id) {
    auto group = find_group(tx, id);
    if (!group) {
        fail(rpc::Code::not_found, kNotFound);
    }
    return std::move(*group);
}

// A dynamic group's query, parsed; invalid_argument names where and what was expected. The
// blank query selects every device, as in the reference (docs/query-language.md).
query::Expr parse_query(const std::string& text) {
    auto parsed = query::parse(text);
    if (!parsed.ok()) {
        fail(rpc::Code::invalid_argument,
             fmt::format("dynamic_query is not a valid query: {} (the language is described in "
                         "docs/query-language.md)",
                         parsed.error().message));
    }
    return parsed.expr();
}

std::int32_t require_version(db::Transaction& tx, const std::string& id) {
    auto version = live_version(tx, "device_groups_projection", es::kDeviceGroupStream, id);
    if (!version) {
        fail(rpc::Code::not_found, kNotFound);
    }
    return *version;
}

std::string duplicate_name(const std::string& name) {
    return fmt::format("a device group named \"{}\" already exists; choose another name", name);
}

// Names are unique among live groups: checked before appending, so the caller learns which
// name clashed (the unique index catches a concurrent create with the same message).
void require_unique_name(db::Transaction& tx, const std::string& name,
                         const std::string& except_id = {}) {
    auto rows = tx.exec(
        "SELECT 1 FROM device_groups_projection WHERE name = $1 AND id <> $2 AND NOT is_deleted",
        {name, except_id});
    if (rows.rows() > 0) {
        fail(rpc::Code::already_exists, duplicate_name(name));
    }
}

bool group_is_dynamic(db::Transaction& tx, const std::string& id) {
    auto rows = tx.exec("SELECT is_dynamic FROM device_groups_projection WHERE id = $1", {id});
    return rows.rows() > 0 && rows.boolean(0, 0);
}

bool is_member(db::Transaction& tx, const std::string& group, const std::string& device) {
    return tx.exec(
                 "SELECT 1 FROM device_group_members_projection WHERE group_id = $1 AND "
                 "device_id = $2",
                 {group, device})
               .rows() > 0;
}

// The live actions of the request's action set or definition, in order (sets in definition
// order, actions in set order), each once at its first place, as PRESENT runnables. Throws
// not_found for a missing set or definition.
std::vector<Runnable> member_actions(db::Transaction& tx,
                                     const pm::v1::DispatchToGroupRequest& request) {
    db::Result rows;
    if (request.action_source_case() == pm::v1::DispatchToGroupRequest::kActionSetId) {
        if (!live_version(tx, "action_sets_projection", es::kActionSetStream,
                          request.action_set_id())) {
            fail(rpc::Code::not_found, "action set " + request.action_set_id() + " not found");
        }
        rows = tx.exec(
            "SELECT a.id, a.action_type, a.params::text, a.timeout_seconds "
            "FROM action_set_members_projection m JOIN actions_projection a ON a.id = m.action_id "
            "WHERE m.set_id = $1 AND NOT a.is_deleted ORDER BY m.sort_order, a.id",
            {request.action_set_id()});
    } else {
        if (!live_version(tx, "definitions_projection", es::kDefinitionStream,
                          request.definition_id())) {
            fail(rpc::Code::not_found, "definition " + request.definition_id() + " not found");
        }
        rows = tx.exec(
            "SELECT a.id, a.action_type, a.params::text, a.timeout_seconds "
            "FROM definition_members_projection d "
            "JOIN action_sets_projection s ON s.id = d.action_set_id "
            "JOIN action_set_members_projection m ON m.set_id = s.id "
            "JOIN actions_projection a ON a.id = m.action_id "
            "WHERE d.definition_id = $1 AND NOT s.is_deleted AND NOT a.is_deleted "
            "ORDER BY d.sort_order, s.id, m.sort_order, a.id",
            {request.definition_id()});
    }
    std::vector<Runnable> out;
    std::set<std::string> seen;
    for (int i = 0; i < rows.rows(); ++i) {
        std::string id(rows.text(i, 0));
        if (!seen.insert(id).second) {
            continue;
        }
        Runnable r;
        r.action_id = std::move(id);
        r.action_type = static_cast<std::int32_t>(rows.int64(i, 1));
        r.desired_state = pm::v1::DESIRED_STATE_PRESENT;
        r.params = boost::json::parse(rows.text(i, 2)).as_object();
        r.timeout_seconds = static_cast<std::int32_t>(rows.int64(i, 3));
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

pm::v1::CreateDeviceGroupResponse DeviceGroups::create_device_group(
    Call& call, const pm::v1::CreateDeviceGroupRequest& request) {
    std::optional<query::Expr> expr;
    if (request.is_dynamic()) {
        expr = parse_query(request.dynamic_query());
    }
    const std::string id = service_.ids_.next_string();
    pm::v1::CreateDeviceGroupResponse response;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            require_unique_name(tx, request.name());
            std::vector<es::NewEvent> events{es::NewEvent::of(es::DeviceGroupCreated{
                request.name(), request.description(), request.is_dynamic(),
                request.is_dynamic() ? request.dynamic_query() : std::string()})};
            // Evaluated now, in the same transaction: the answer has the members already.
            if (expr) {
                MembershipChange all;
                all.added = matching_devices(tx, *expr);
                if (!all.empty()) {
                    events.push_back(membership_event(all));
                }
            }
            return Changes{{group_stream(id), es::ExpectedVersion::no_stream(), std::move(events)}};
        },
        [&](db::Transaction& tx) { return read_back(tx, id); }, duplicate_name(request.name()));
    return response;
}

pm::v1::GetDeviceGroupResponse DeviceGroups::get_device_group(
    Call& call, const pm::v1::GetDeviceGroupRequest& request) {
    pm::v1::GetDeviceGroupResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        *response.mutable_group() = read_back(tx, request.id());
        auto rows = tx.exec(
            "SELECT m.device_id FROM device_group_members_projection m "
            "JOIN devices_projection d ON d.id = m.device_id AND NOT d.is_deleted "
            "WHERE m.group_id = $1 ORDER BY m.added_at, m.device_id",
            {request.id()});
        for (int i = 0; i < rows.rows(); ++i) {
            response.add_device_ids(std::string(rows.text(i, 0)));
        }
    });
    return response;
}

pm::v1::ListDeviceGroupsResponse DeviceGroups::list_device_groups(
    Call& call, const pm::v1::ListDeviceGroupsRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    pm::v1::ListDeviceGroupsResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        auto total = tx.exec("SELECT count(*) FROM device_groups_projection WHERE NOT is_deleted");
        auto rows = tx.exec("SELECT " + group_columns() +
                                " FROM device_groups_projection WHERE NOT is_deleted "
                                "ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
                            {std::to_string(page.limit), std::to_string(page.offset)});
        for (int i = 0; i < rows.rows(); ++i) {
            read_group(rows, i, response.add_groups());
        }
        response.set_total_count(static_cast<std::int32_t>(total.int64(0, 0)));
        response.set_next_page_token(page.next_token(total.int64(0, 0)));
    });
    return response;
}

pm::v1::UpdateDeviceGroupResponse DeviceGroups::rename_device_group(
    Call& call, const pm::v1::RenameDeviceGroupRequest& request) {
    pm::v1::UpdateDeviceGroupResponse response;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.id());
            require_unique_name(tx, request.name(), request.id());
            return Changes{{group_stream(request.id()),
                            es::ExpectedVersion::exactly(version),
                            {es::NewEvent::of(es::DeviceGroupRenamed{request.name()})}}};
        },
        [&](db::Transaction& tx) { return read_back(tx, request.id()); },
        duplicate_name(request.name()));
    return response;
}

pm::v1::UpdateDeviceGroupResponse DeviceGroups::update_device_group_description(
    Call& call, const pm::v1::UpdateDeviceGroupDescriptionRequest& request) {
    pm::v1::UpdateDeviceGroupResponse response;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.id());
            return Changes{
                {group_stream(request.id()),
                 es::ExpectedVersion::exactly(version),
                 {es::NewEvent::of(es::DeviceGroupDescriptionUpdated{request.description()})}}};
        },
        [&](db::Transaction& tx) { return read_back(tx, request.id()); });
    return response;
}

pm::v1::UpdateDeviceGroupQueryResponse DeviceGroups::update_device_group_query(
    Call& call, const pm::v1::UpdateDeviceGroupQueryRequest& request) {
    std::optional<query::Expr> expr;
    if (request.is_dynamic()) {
        expr = parse_query(request.dynamic_query());
    }
    pm::v1::UpdateDeviceGroupQueryResponse response;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.id());
            // A static group keeps its members and its query text (kept for a later switch
            // back; it selects nothing while the group is static).
            std::vector<es::NewEvent> events{es::NewEvent::of(
                es::DeviceGroupQueryUpdated{request.is_dynamic(), request.dynamic_query()})};
            if (expr) {
                // The projector empties a group that is dynamic after the update, so the new
                // members are everything the query selects, appended in the same transaction.
                MembershipChange all;
                all.added = matching_devices(tx, *expr);
                if (!all.empty()) {
                    events.push_back(membership_event(all));
                }
            }
            return Changes{{group_stream(request.id()), es::ExpectedVersion::exactly(version),
                            std::move(events)}};
        },
        [&](db::Transaction& tx) { return read_back(tx, request.id()); });
    return response;
}

pm::v1::DeleteDeviceGroupResponse DeviceGroups::delete_device_group(
    Call& call, const pm::v1::DeleteDeviceGroupRequest& request) {
    service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.id());
            return Changes{{group_stream(request.id()),
                            es::ExpectedVersion::exactly(version),
                            {es::NewEvent::of(es::DeviceGroupDeleted{})}}};
        },
        [](db::Transaction&) { return 0; });
    return {};
}

pm::v1::AddDeviceToGroupResponse DeviceGroups::add_device_to_group(
    Call& call, const pm::v1::AddDeviceToGroupRequest& request) {
    pm::v1::AddDeviceToGroupResponse response;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.group_id());
            if (group_is_dynamic(tx, request.group_id())) {
                fail(rpc::Code::failed_precondition,
                     "cannot add members to a dynamic group by hand: its query decides them; "
                     "change the query, or make the group static with UpdateDeviceGroupQuery");
            }
            if (!live_version(tx, "devices_projection", es::kDeviceStream, request.device_id())) {
                fail(rpc::Code::not_found, "device not found");
            }
            if (is_member(tx, request.group_id(), request.device_id())) {
                return Changes{};  // already there: nothing to record
            }
            return Changes{{group_stream(request.group_id()),
                            es::ExpectedVersion::exactly(version),
                            {es::NewEvent::of(es::DeviceGroupMemberAdded{request.device_id()})}}};
        },
        [&](db::Transaction& tx) { return read_back(tx, request.group_id()); });
    return response;
}

pm::v1::RemoveDeviceFromGroupResponse DeviceGroups::remove_device_from_group(
    Call& call, const pm::v1::RemoveDeviceFromGroupRequest& request) {
    pm::v1::RemoveDeviceFromGroupResponse response;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.group_id());
            if (group_is_dynamic(tx, request.group_id())) {
                fail(rpc::Code::failed_precondition,
                     "cannot remove members from a dynamic group by hand: its query decides "
                     "them; change the query, or make the group static with "
                     "UpdateDeviceGroupQuery");
            }
            if (!is_member(tx, request.group_id(), request.device_id())) {
                return Changes{};  // not a member: removing it again changes nothing
            }
            return Changes{{group_stream(request.group_id()),
                            es::ExpectedVersion::exactly(version),
                            {es::NewEvent::of(es::DeviceGroupMemberRemoved{request.device_id()})}}};
        },
        [&](db::Transaction& tx) { return read_back(tx, request.group_id()); });
    return response;
}

pm::v1::ValidateDynamicQueryResponse DeviceGroups::validate_dynamic_query(
    Call& call, const pm::v1::ValidateDynamicQueryRequest& request) {
    pm::v1::ValidateDynamicQueryResponse response;
    auto parsed = query::parse(request.query());
    if (!parsed.ok()) {
        response.set_valid(false);
        response.set_error(parsed.error().message);
        return response;
    }
    response.set_valid(true);
    response.set_matching_device_count(static_cast<std::int32_t>(service_.read(
        call, [&](db::Transaction& tx) { return count_matching_devices(tx, parsed.expr()); })));
    // The response has no field for warnings: where the reference server would select other
    // devices, say so in `error` (valid stays true), so the console shows it while editing.
    const auto differences = query::reference_differences(request.query());
    if (!differences.empty()) {
        response.set_error("warning: " + fmt::format("{}", fmt::join(differences, " ")));
    }
    return response;
}

pm::v1::EvaluateDynamicGroupResponse DeviceGroups::evaluate_dynamic_group(
    Call& call, const pm::v1::EvaluateDynamicGroupRequest& request) {
    pm::v1::EvaluateDynamicGroupResponse response;
    MembershipChange change;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.id());
            auto group = read_back(tx, request.id());
            if (!group.is_dynamic()) {
                fail(rpc::Code::failed_precondition,
                     "the device group is static: only dynamic groups are evaluated");
            }
            change = membership_change_in_sql(tx, request.id(), parse_query(group.dynamic_query()));
            if (change.empty()) {
                return Changes{};
            }
            return Changes{{group_stream(request.id()),
                            es::ExpectedVersion::exactly(version),
                            {membership_event(change)}}};
        },
        [&](db::Transaction& tx) { return read_back(tx, request.id()); });
    response.set_devices_added(static_cast<std::int32_t>(change.added.size()));
    response.set_devices_removed(static_cast<std::int32_t>(change.removed.size()));
    return response;
}

pm::v1::UpdateDeviceGroupResponse DeviceGroups::set_device_group_sync_interval(
    Call& call, const pm::v1::SetDeviceGroupSyncIntervalRequest& request) {
    if (request.sync_interval_minutes() < 0 || request.sync_interval_minutes() > 1440) {
        fail(rpc::Code::invalid_argument,
             "sync_interval_minutes must be between 0 and 1440 (0: use the device's own)");
    }
    pm::v1::UpdateDeviceGroupResponse response;
    *response.mutable_group() = service_.command(
        call,
        [&](db::Transaction& tx) {
            const auto version = require_version(tx, request.id());
            return Changes{{group_stream(request.id()),
                            es::ExpectedVersion::exactly(version),
                            {es::NewEvent::of(
                                es::DeviceGroupSyncIntervalSet{request.sync_interval_minutes()})}}};
        },
        [&](db::Transaction& tx) { return read_back(tx, request.id()); });
    return response;
}

pm::v1::DispatchToGroupResponse DeviceGroups::dispatch_to_group(
    Call& call, const pm::v1::DispatchToGroupRequest& request) {
    using Source = pm::v1::DispatchToGroupRequest;
    std::optional<Runnable> inline_runnable;
    if (request.action_source_case() == Source::ACTION_SOURCE_NOT_SET) {
        fail(rpc::Code::invalid_argument,
             "say what to run: action_id, action_set_id, definition_id or inline_action");
    }
    if (request.action_source_case() == Source::kInlineAction) {
        const auto& action = request.inline_action();
        Runnable r;
        r.action_type = action.type();
        r.desired_state = action.desired_state();
        try {
            r.params = contract::params_to_json(action);
        } catch (const std::invalid_argument& error) {
            fail(rpc::Code::invalid_argument, error.what());
        }
        r.timeout_seconds =
            action.timeout_seconds() > 0 ? action.timeout_seconds() : kDefaultTimeoutSeconds;
        inline_runnable = std::move(r);
    }
    // One transaction: the group's live members and what to run are read, every execution
    // (members x actions) is appended, and the gateways' hint is delivered at the commit.
    pm::v1::DispatchToGroupResponse response;
    const auto created = service_.read(call, [&](db::Transaction& tx) {
        read_back(tx, request.group_id());
        std::vector<Runnable> runnables;
        if (inline_runnable) {
            runnables.push_back(*inline_runnable);
        } else if (request.action_source_case() == Source::kActionId) {
            auto stored = stored_runnable(tx, request.action_id(), pm::v1::DESIRED_STATE_PRESENT);
            if (!stored) {
                fail(rpc::Code::not_found, "action " + request.action_id() + " not found");
            }
            runnables.push_back(std::move(*stored));
        } else {
            runnables = member_actions(tx, request);
        }
        auto members = tx.exec(
            "SELECT m.device_id FROM device_group_members_projection m "
            "JOIN devices_projection d ON d.id = m.device_id AND NOT d.is_deleted "
            "WHERE m.group_id = $1 ORDER BY m.device_id",
            {request.group_id()});
        std::vector<DispatchItem> items;
        items.reserve(static_cast<std::size_t>(members.rows()) * runnables.size());
        for (int i = 0; i < members.rows(); ++i) {
            for (const auto& runnable : runnables) {
                items.push_back({std::string(members.text(i, 0)), runnable});
            }
        }
        auto result = append_executions(service_, call, tx, items);
        load_executions(tx, result.ids, response.mutable_executions());
        return result;
    });
    announce(service_, created);
    return response;
}

}  // namespace pm::control
