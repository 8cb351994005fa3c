// The device RPCs. A user sees only the devices assigned to them (the policy's conditions and
// `scoped`, backed by row-level security); deleting a device revokes its certificates, so the
// gateway refuses it even while the certificate has not expired.
#include <boost/json.hpp>
#include <fmt/format.h>

#include <powermanage/common/time.hpp>
#include <powermanage/eventstore/events.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

es::StreamId device_stream(const std::string& id) {
    return {std::string(es::kDeviceStream), id};
}

}  // namespace

pm::v1::ListDevicesResponse Devices::list_devices(Call& call,
                                                  const pm::v1::ListDevicesRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    const auto now = service_.clock_.now();
    std::vector<db::Param> params;
    std::string where = "NOT is_deleted";
    auto param = [&](std::string value) {
        params.emplace_back(std::move(value));
        return "$" + std::to_string(params.size());
    };
    if (call.scoped()) {
        where += " AND assigned_user_id = " + param(call.caller_id);
    }
    if (!request.status_filter().empty()) {
        const std::string since = param(format_rfc3339(now - kOnlineWindow));
        where += request.status_filter() == "online"
                     ? " AND last_seen_at >= " + since + "::timestamptz"
                     : " AND (last_seen_at IS NULL OR last_seen_at < " + since + "::timestamptz)";
    }
    if (!request.label_filter().empty()) {
        boost::json::object labels;
        for (const auto& [key, value] : request.label_filter()) {
            labels[key] = value;
        }
        where += " AND labels @> " + param(boost::json::serialize(labels)) + "::jsonb";
    }
    pm::v1::ListDevicesResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        auto total = tx.exec("SELECT count(*) FROM devices_projection WHERE " + where, params);
        const std::string limit = param(std::to_string(page.limit));
        const std::string offset = param(std::to_string(page.offset));
        auto rows = tx.exec(fmt::format("SELECT {} FROM devices_projection WHERE {} "
                                        "ORDER BY last_seen_at DESC NULLS LAST, id DESC "
                                        "LIMIT {} OFFSET {}",
                                        kDeviceColumns, where, limit, offset),
                            params);
        for (int i = 0; i < rows.rows(); ++i) {
            read_device(rows, i, now, response.add_devices());
        }
        response.set_total_count(static_cast<std::int32_t>(total.int64(0, 0)));
        response.set_next_page_token(page.next_token(total.int64(0, 0)));
    });
    return response;
}

namespace {

// Outside the coroutine: GCC 12 rejects some initialisers from string literals inside one
// ("array used as initializer").
const std::string& get_device_sql() {
    static const std::string sql = fmt::format(
        "SELECT {} FROM devices_projection WHERE id = $1 AND NOT is_deleted", kDeviceColumns);
    return sql;
}

}  // namespace

rpc::Task<pm::v1::GetDeviceResponse> Devices::get_device(Call& call,
                                                         const pm::v1::GetDeviceRequest& request) {
    // One statement, so one round trip with the actor's settings and the policy's check
    // (registered with Check::in_read): no transaction of its own.
    std::vector<db::Param> params;
    params.emplace_back(request.id());
    const db::Result rows = co_await service_.read_one(call, get_device_sql(), std::move(params));
    if (rows.rows() == 0) {
        fail(rpc::Code::not_found, "device not found");
    }
    pm::v1::GetDeviceResponse response;
    read_device(rows, 0, service_.clock_.now(), response.mutable_device());
    co_return response;
}

namespace {

// Appends `events` to live device `id` (not_found otherwise) and returns the device after.
pm::v1::Device update_device(ControlService::Impl& impl, Call& call, const std::string& id,
                             std::vector<es::NewEvent> events) {
    auto version = impl.read(call, [&](db::Transaction& tx) {
        return live_version(tx, "devices_projection", es::kDeviceStream, id);
    });
    if (!version) {
        fail(rpc::Code::not_found, "device not found");
    }
    impl.append(call, device_stream(id), es::ExpectedVersion::exactly(*version), std::move(events));
    auto device = impl.read(
        call, [&](db::Transaction& tx) { return find_device(tx, id, impl.clock_.now()); });
    return device ? std::move(*device) : pm::v1::Device{};
}

}  // namespace

pm::v1::UpdateDeviceResponse Devices::set_device_label(
    Call& call, const pm::v1::SetDeviceLabelRequest& request) {
    pm::v1::UpdateDeviceResponse response;
    *response.mutable_device() =
        update_device(service_, call, request.id(),
                      {es::NewEvent::of(es::DeviceLabelSet{request.key(), request.value()})});
    return response;
}

pm::v1::UpdateDeviceResponse Devices::remove_device_label(
    Call& call, const pm::v1::RemoveDeviceLabelRequest& request) {
    pm::v1::UpdateDeviceResponse response;
    *response.mutable_device() = update_device(
        service_, call, request.id(), {es::NewEvent::of(es::DeviceLabelRemoved{request.key()})});
    return response;
}

pm::v1::AssignDeviceResponse Devices::assign_device(Call& call,
                                                    const pm::v1::AssignDeviceRequest& request) {
    const bool user_exists = service_.read(
        call, [&](db::Transaction& tx) { return find_user(tx, request.user_id()).has_value(); });
    if (!user_exists) {
        fail(rpc::Code::not_found, "user not found");
    }
    pm::v1::AssignDeviceResponse response;
    *response.mutable_device() =
        update_device(service_, call, request.device_id(),
                      {es::NewEvent::of(es::DeviceAssigned{request.user_id()})});
    return response;
}

pm::v1::UnassignDeviceResponse Devices::unassign_device(
    Call& call, const pm::v1::UnassignDeviceRequest& request) {
    pm::v1::UnassignDeviceResponse response;
    *response.mutable_device() = update_device(service_, call, request.device_id(),
                                               {es::NewEvent::of(es::DeviceUnassigned{})});
    return response;
}

pm::v1::UpdateDeviceResponse Devices::set_device_sync_interval(
    Call& call, const pm::v1::SetDeviceSyncIntervalRequest& request) {
    pm::v1::UpdateDeviceResponse response;
    *response.mutable_device() = update_device(
        service_, call, request.id(),
        {es::NewEvent::of(es::DeviceSyncIntervalSet{request.sync_interval_minutes()})});
    return response;
}

pm::v1::DeleteDeviceResponse Devices::delete_device(Call& call,
                                                    const pm::v1::DeleteDeviceRequest& request) {
    struct Found {
        std::int32_t version = 0;
        std::vector<std::string> live_serials;
    };
    auto found = service_.read(call, [&](db::Transaction& tx) -> std::optional<Found> {
        auto version = live_version(tx, "devices_projection", es::kDeviceStream, request.id());
        if (!version) {
            return std::nullopt;
        }
        Found f{*version, {}};
        auto rows = tx.exec(
            "SELECT serial FROM device_certificates_projection "
            "WHERE device_id = $1 AND revoked_at IS NULL ORDER BY serial",
            {request.id()});
        for (int i = 0; i < rows.rows(); ++i) {
            f.live_serials.emplace_back(rows.text(i, 0));
        }
        return f;
    });
    if (!found) {
        fail(rpc::Code::not_found, "device not found");
    }
    std::vector<es::NewEvent> events;
    for (const auto& serial : found->live_serials) {
        events.push_back(
            es::NewEvent::of(es::DeviceCertificateRevoked{serial, std::string("device deleted")}));
    }
    events.push_back(es::NewEvent::of(es::DeviceDeleted{}));
    service_.append(call, device_stream(request.id()), es::ExpectedVersion::exactly(found->version),
                    std::move(events));
    return {};
}

}  // namespace pm::control
