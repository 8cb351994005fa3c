// Assignments of actions, sets and definitions to devices and groups, and a device's resolved
// configuration (GetDeviceAssignments, through the one resolution read model).
#include <fmt/format.h>

#include <powermanage/eventstore/events.hpp>
#include <powermanage/projection/resolution.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/resolved_messages.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

// The projection of each kind of source and target the contract names.
const char* source_table(const std::string& source_type) {
    if (source_type == "action")
        return "actions_projection";
    if (source_type == "action_set")
        return "action_sets_projection";
    if (source_type == "definition")
        return "definitions_projection";
    fail(rpc::Code::invalid_argument,
         "source_type must be one of action, action_set, definition; got '" + source_type + "'");
}

const char* target_table(const std::string& target_type) {
    if (target_type == "device")
        return "devices_projection";
    if (target_type == "device_group")
        return "device_groups_projection";
    fail(rpc::Code::invalid_argument,
         "target_type must be one of device, device_group; got '" + target_type + "'");
}

// "action_set" reads better as "action set" in a message.
std::string spoken(std::string type) {
    for (char& c : type) {
        c = c == '_' ? ' ' : c;
    }
    return type;
}

bool live_row(db::Transaction& tx, const char* table, const std::string& id) {
    return tx.exec(fmt::format("SELECT 1 FROM {} WHERE id = $1 AND NOT is_deleted", table), {id})
               .rows() > 0;
}

constexpr const char* kAssignmentColumns =
    "id, source_type, source_id, target_type, target_id, created_by, mode";

void read_assignment(const db::Result& rows, int row, int created_at_column,
                     pm::v1::Assignment* out) {
    out->set_id(std::string(rows.text(row, 0)));
    out->set_source_type(std::string(rows.text(row, 1)));
    out->set_source_id(std::string(rows.text(row, 2)));
    out->set_target_type(std::string(rows.text(row, 3)));
    out->set_target_id(std::string(rows.text(row, 4)));
    out->set_created_by(std::string(rows.text(row, 5)));
    out->set_mode(static_cast<pm::v1::AssignmentMode>(std::stoi(std::string(rows.text(row, 6)))));
    set_timestamp(out->mutable_created_at(),
                  std::stoll(std::string(rows.text(row, created_at_column))));
}

// A live assignment: not deleted, and its target device or group not deleted either (deleting a
// target leaves its assignments in the projection, where they can never resolve; they are not
// shown as live).
constexpr const char* kLiveAssignment =
    "NOT is_deleted AND CASE target_type "
    "WHEN 'device' THEN EXISTS (SELECT 1 FROM devices_projection t "
    "WHERE t.id = target_id AND NOT t.is_deleted) "
    "ELSE EXISTS (SELECT 1 FROM device_groups_projection t "
    "WHERE t.id = target_id AND NOT t.is_deleted) END";

std::optional<pm::v1::Assignment> find_assignment(db::Transaction& tx, const std::string& id) {
    auto rows =
        tx.exec(fmt::format("SELECT {}, {} FROM assignments_projection WHERE id = $1 AND {}",
                            kAssignmentColumns, epoch_us("created_at"), kLiveAssignment),
                {id});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    pm::v1::Assignment out;
    read_assignment(rows, 0, 7, &out);
    return out;
}

}  // namespace

pm::v1::CreateAssignmentResponse Assignments::create_assignment(
    Call& call, const pm::v1::CreateAssignmentRequest& request) {
    const int mode = request.mode();
    if (mode < pm::v1::ASSIGNMENT_MODE_PRESENT || mode > pm::v1::ASSIGNMENT_MODE_ABSENT) {
        fail(rpc::Code::invalid_argument,
             "mode must be ASSIGNMENT_MODE_PRESENT, _AVAILABLE or _ABSENT (0, 1 or 2)");
    }
    const char* sources = source_table(request.source_type());
    const char* targets = target_table(request.target_type());
    std::string id;
    auto assignment = service_.command(
        call,
        [&](db::Transaction& tx) -> Changes {
            if (!live_row(tx, sources, request.source_id())) {
                fail(rpc::Code::not_found, spoken(request.source_type()) + " " +
                                               request.source_id() +
                                               " not found; create it first or check the id");
            }
            if (!live_row(tx, targets, request.target_id())) {
                fail(rpc::Code::not_found, spoken(request.target_type()) + " " +
                                               request.target_id() + " not found; check the id");
            }
            // One live assignment per (source, target): asking again changes its mode.
            auto existing = tx.exec(
                "SELECT p.id, p.mode, s.version FROM assignments_projection p "
                "JOIN streams s ON s.stream_type = 'assignment' AND s.stream_id = p.id "
                "WHERE p.source_type = $1 AND p.source_id = $2 AND p.target_type = $3 "
                "AND p.target_id = $4 AND NOT p.is_deleted",
                {request.source_type(), request.source_id(), request.target_type(),
                 request.target_id()});
            if (existing.rows() > 0) {
                id = existing.text(0, 0);
                if (std::stoi(std::string(existing.text(0, 1))) == mode) {
                    return {};
                }
                return {
                    {{std::string(es::kAssignmentStream), id},
                     es::ExpectedVersion::exactly(static_cast<std::int32_t>(existing.int64(0, 2))),
                     {es::NewEvent::of(es::AssignmentModeChanged{mode})}}};
            }
            id = service_.ids_.next_string();
            es::AssignmentCreated created;
            created.source_type = request.source_type();
            created.source_id = request.source_id();
            created.target_type = request.target_type();
            created.target_id = request.target_id();
            created.mode = mode;
            return {{{std::string(es::kAssignmentStream), id},
                     es::ExpectedVersion::no_stream(),
                     {es::NewEvent::of(created)}}};
        },
        [&](db::Transaction& tx) { return find_assignment(tx, id); },
        "this source was assigned to this target at the same moment by another request; call "
        "CreateAssignment again to get that assignment");
    if (!assignment) {
        fail(rpc::Code::internal, "the assignment was stored but cannot be read back");
    }
    pm::v1::CreateAssignmentResponse response;
    *response.mutable_assignment() = std::move(*assignment);
    return response;
}

pm::v1::DeleteAssignmentResponse Assignments::delete_assignment(
    Call& call, const pm::v1::DeleteAssignmentRequest& request) {
    service_.command(
        call,
        [&](db::Transaction& tx) -> Changes {
            auto version =
                live_version(tx, "assignments_projection", es::kAssignmentStream, request.id());
            if (!version) {
                fail(rpc::Code::not_found, "assignment " + request.id() + " not found");
            }
            return {{{std::string(es::kAssignmentStream), request.id()},
                     es::ExpectedVersion::exactly(*version),
                     {es::NewEvent::of(es::AssignmentDeleted{})}}};
        },
        [](db::Transaction&) { return 0; });
    return {};
}

pm::v1::ListAssignmentsResponse Assignments::list_assignments(
    Call& call, const pm::v1::ListAssignmentsRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    std::vector<db::Param> params;
    std::string where = kLiveAssignment;
    const auto filter = [&](const char* column, const std::string& value) {
        if (!value.empty()) {
            params.emplace_back(value);
            where += fmt::format(" AND {} = ${}", column, params.size());
        }
    };
    filter("source_type", request.source_type());
    filter("source_id", request.source_id());
    filter("target_type", request.target_type());
    filter("target_id", request.target_id());
    pm::v1::ListAssignmentsResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        auto total = tx.exec("SELECT count(*) FROM assignments_projection WHERE " + where, params);
        const auto n = params.size();
        params.emplace_back(std::to_string(page.limit));
        params.emplace_back(std::to_string(page.offset));
        auto rows =
            tx.exec(fmt::format("SELECT {}, {} FROM assignments_projection WHERE {} "
                                "ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
                                kAssignmentColumns, epoch_us("created_at"), where, n + 1, n + 2),
                    params);
        for (int i = 0; i < rows.rows(); ++i) {
            read_assignment(rows, i, 7, response.add_assignments());
        }
        response.set_total_count(static_cast<std::int32_t>(total.int64(0, 0)));
        response.set_next_page_token(page.next_token(total.int64(0, 0)));
    });
    return response;
}

pm::v1::GetDeviceAssignmentsResponse Assignments::get_device_assignments(
    Call&, const pm::v1::GetDeviceAssignmentsRequest& request) {
    pm::v1::GetDeviceAssignmentsResponse response;
    // The policy has authorized the caller for this device; the resolution reads as the system
    // because row-level security hides assignments and groups from users and devices.
    db::with_actor(service_.pool_, db::Actor::system("resolution"), [&](db::Transaction& tx) {
        auto config = projection::resolve_device(tx, request.device_id());
        if (!config) {
            fail(rpc::Code::not_found, "device " + request.device_id() + " not found");
        }
        for (const auto& action : config->actions) {
            to_managed_action(action, response.add_actions());
        }
        // The sets and definitions that apply: every assigned one except catalogue entries
        // (AVAILABLE only) the user has not selected.
        for (const auto& item : config->items) {
            if (item.mode == pm::v1::ASSIGNMENT_MODE_AVAILABLE && !item.selected) {
                continue;
            }
            const auto fill = [&](auto* out) {
                out->set_id(item.source_id);
                out->set_name(item.name);
                out->set_description(item.description);
                out->set_member_count(item.member_count);
                set_timestamp(out->mutable_created_at(), item.created_at_us);
                out->set_created_by(item.created_by);
            };
            if (item.source_type == "action_set") {
                fill(response.add_action_sets());
            } else if (item.source_type == "definition") {
                fill(response.add_definitions());
            }
        }
        return 0;
    });
    return response;
}

}  // namespace pm::control
