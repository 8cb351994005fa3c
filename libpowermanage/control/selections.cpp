// End users' choices among the AVAILABLE items of their devices. The policy has already limited
// a user to devices assigned to them; what is available is read as the system, because
// row-level security hides assignments and groups from users.
#include <fmt/format.h>

#include <powermanage/eventstore/events.hpp>
#include <powermanage/projection/resolution.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/resolved_messages.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

void act_as(db::Transaction& tx, const db::Actor& actor) {
    tx.exec("SELECT pm_set_actor($1, $2)", {std::string(db::to_string(actor.type)), actor.id});
}

// Whether an AVAILABLE assignment of the source reaches the live device, directly or through
// one of its groups (a deleted group has no member rows).
bool available_on(db::Transaction& tx, const pm::v1::SetUserSelectionRequest& request) {
    return tx.exec(
                 "SELECT 1 FROM devices_projection d WHERE d.id = $1 AND NOT d.is_deleted "
                 "AND EXISTS (SELECT 1 FROM assignments_projection a "
                 "  WHERE a.source_type = $2 AND a.source_id = $3 AND a.mode = 1 "
                 "  AND NOT a.is_deleted AND ((a.target_type = 'device' AND a.target_id = $1) "
                 "  OR (a.target_type = 'device_group' AND a.target_id IN "
                 "      (SELECT m.group_id FROM device_group_members_projection m "
                 "       WHERE m.device_id = $1))))",
                 {request.device_id(), request.source_type(), request.source_id()})
               .rows() > 0;
}

std::optional<pm::v1::UserSelection> find_selection(
    db::Transaction& tx, const pm::v1::SetUserSelectionRequest& request) {
    auto rows = tx.exec(fmt::format("SELECT id, selected, {} FROM user_selections_projection "
                                    "WHERE device_id = $1 AND source_type = $2 AND source_id = $3",
                                    epoch_us("updated_at")),
                        {request.device_id(), request.source_type(), request.source_id()});
    if (rows.rows() == 0) {
        return std::nullopt;
    }
    pm::v1::UserSelection out;
    out.set_id(std::string(rows.text(0, 0)));
    out.set_device_id(request.device_id());
    out.set_source_type(request.source_type());
    out.set_source_id(request.source_id());
    out.set_selected(rows.boolean(0, 1));
    set_timestamp(out.mutable_updated_at(), rows.int64(0, 2));
    return out;
}

}  // namespace

pm::v1::SetUserSelectionResponse Selections::set_user_selection(
    Call& call, const pm::v1::SetUserSelectionRequest& request) {
    auto selection = service_.command(
        call,
        [&](db::Transaction& tx) -> Changes {
            // Check as the system in the caller's own transaction, so that what was checked
            // cannot change before the append; then act for the caller again.
            act_as(tx, db::Actor::system("selection"));
            if (!available_on(tx, request)) {
                fail(rpc::Code::not_found,
                     "no available assignment of this item reaches this device; an "
                     "administrator must assign it to the device or one of its groups with "
                     "mode AVAILABLE first");
            }
            // One stream per (device, source): the stream that first wrote the row.
            auto existing = tx.exec(
                "SELECT p.id, s.version FROM user_selections_projection p "
                "JOIN streams s ON s.stream_type = 'user_selection' AND s.stream_id = p.id "
                "WHERE p.device_id = $1 AND p.source_type = $2 AND p.source_id = $3",
                {request.device_id(), request.source_type(), request.source_id()});
            act_as(tx, call.actor());
            es::UserSelectionChanged changed;
            changed.device_id = request.device_id();
            changed.source_type = request.source_type();
            changed.source_id = request.source_id();
            changed.selected = request.selected();
            if (existing.rows() > 0) {
                return {
                    {{std::string(es::kUserSelectionStream), std::string(existing.text(0, 0))},
                     es::ExpectedVersion::exactly(static_cast<std::int32_t>(existing.int64(0, 1))),
                     {es::NewEvent::of(changed)}}};
            }
            return {{{std::string(es::kUserSelectionStream), service_.ids_.next_string()},
                     es::ExpectedVersion::no_stream(),
                     {es::NewEvent::of(changed)}}};
        },
        [&](db::Transaction& tx) { return find_selection(tx, request); });
    if (!selection) {
        fail(rpc::Code::internal, "the selection was stored but cannot be read back");
    }
    pm::v1::SetUserSelectionResponse response;
    *response.mutable_selection() = std::move(*selection);
    return response;
}

pm::v1::ListAvailableActionsResponse Selections::list_available_actions(
    Call&, const pm::v1::ListAvailableActionsRequest& request) {
    pm::v1::ListAvailableActionsResponse response;
    db::with_actor(service_.pool_, db::Actor::system("resolution"), [&](db::Transaction& tx) {
        auto config = projection::resolve_device(tx, request.device_id());
        if (!config) {
            fail(rpc::Code::not_found, "device " + request.device_id() + " not found");
        }
        std::vector<projection::ResolvedItem> available;
        for (auto& item : config->items) {
            if (item.available) {
                available.push_back(std::move(item));
            }
        }
        const auto previews = projection::item_actions(tx, available);
        for (std::size_t i = 0; i < available.size(); ++i) {
            auto* out = response.add_items();
            out->set_source_type(available[i].source_type);
            out->set_source_id(available[i].source_id);
            out->set_source_name(available[i].name);
            out->set_source_description(available[i].description);
            out->set_selected(available[i].selected);
            for (const auto& action : previews[i]) {
                to_managed_action(action, out->add_actions());
            }
        }
        return 0;
    });
    return response;
}

}  // namespace pm::control
