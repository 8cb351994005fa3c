// The device RPCs over real HTTP: each one's success and refusals, what a console user sees
// (only devices assigned to it; others look absent), ListDevices' pages and filters, and
// DeleteDevice revoking the device's certificate.
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using rpc::Code;

class DevicesTest : public ControlTest {
protected:
    Reply<pm::v1::GetDeviceResponse> get(const std::string& id, const std::string& bearer) {
        pm::v1::GetDeviceRequest request;
        request.set_id(id);
        return call<pm::v1::GetDeviceResponse>("GetDevice", request, bearer);
    }
    Reply<pm::v1::ListDevicesResponse> list(const std::string& bearer,
                                            pm::v1::ListDevicesRequest request = {}) {
        return call<pm::v1::ListDevicesResponse>("ListDevices", request, bearer);
    }
    Reply<pm::v1::UpdateDeviceResponse> set_label(const std::string& id, const std::string& key,
                                                  const std::string& value,
                                                  const std::string& bearer) {
        pm::v1::SetDeviceLabelRequest request;
        request.set_id(id);
        request.set_key(key);
        request.set_value(value);
        return call<pm::v1::UpdateDeviceResponse>("SetDeviceLabel", request, bearer);
    }
    Reply<pm::v1::UpdateDeviceResponse> remove_label(const std::string& id,
                                                     const std::string& key) {
        pm::v1::RemoveDeviceLabelRequest request;
        request.set_id(id);
        request.set_key(key);
        return call<pm::v1::UpdateDeviceResponse>("RemoveDeviceLabel", request, admin_token());
    }
    Reply<pm::v1::AssignDeviceResponse> assign(const std::string& device, const std::string& user,
                                               const std::string& bearer) {
        pm::v1::AssignDeviceRequest request;
        request.set_device_id(device);
        request.set_user_id(user);
        return call<pm::v1::AssignDeviceResponse>("AssignDevice", request, bearer);
    }
    Reply<pm::v1::UnassignDeviceResponse> unassign(const std::string& device,
                                                   const std::string& bearer) {
        pm::v1::UnassignDeviceRequest request;
        request.set_device_id(device);
        return call<pm::v1::UnassignDeviceResponse>("UnassignDevice", request, bearer);
    }
    Reply<pm::v1::UpdateDeviceResponse> set_interval(const std::string& id, int minutes) {
        pm::v1::SetDeviceSyncIntervalRequest request;
        request.set_id(id);
        request.set_sync_interval_minutes(minutes);
        return call<pm::v1::UpdateDeviceResponse>("SetDeviceSyncInterval", request, admin_token());
    }
    Reply<pm::v1::DeleteDeviceResponse> remove(const std::string& id, const std::string& bearer) {
        pm::v1::DeleteDeviceRequest request;
        request.set_id(id);
        return call<pm::v1::DeleteDeviceResponse>("DeleteDevice", request, bearer);
    }
};

TEST_F(DevicesTest, GetDevice) {
    const std::string id = new_device("get-01");
    auto got = get(id, admin_token());
    ASSERT_OK(got);
    EXPECT_EQ(got.response.device().id(), id);
    EXPECT_EQ(got.response.device().hostname(), "get-01");
    EXPECT_GT(got.response.device().registered_at().seconds(), 0);
    EXPECT_GT(got.response.device().cert_expires_at().seconds(),
              got.response.device().registered_at().seconds());
    EXPECT_TRUE(got.response.device().assigned_user_id().empty());
    EXPECT_CODE(get(new_ulid(), admin_token()), Code::not_found);
    EXPECT_CODE(get("not-a-ulid", admin_token()), Code::invalid_argument);
    EXPECT_CODE(get({}, admin_token()), Code::invalid_argument);
}

// GetDevice reads on the I/O thread through its own connections (db::AsyncReadPool): a
// database that refuses connections is still `unavailable` there, and the reads recover.
TEST_F(DevicesTest, GetDeviceAnswersUnavailableWhileTheDatabaseRefusesConnections) {
    const std::string id = new_device("outage-01");
    ASSERT_OK(get(id, admin_token()));  // the read's connection is open, the session cached
    const std::string database(sql("SELECT current_database()").text(0, 0));
    db::Connection admin(admin_database_url());
    const std::string quoted = admin.quote_identifier(database);
    admin.exec("ALTER DATABASE " + quoted + " ALLOW_CONNECTIONS false");
    // Every connection of the host ends, the idle read connection's too; termination is
    // asynchronous, so wait until they are gone.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        const auto left = admin.exec(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
            {database});
        if (left.int64(0, 0) == 0 || std::chrono::steady_clock::now() > deadline) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto during = get(id, admin_token());
    admin.exec("ALTER DATABASE " + quoted + " ALLOW_CONNECTIONS true");
    EXPECT_CODE(during, Code::unavailable);
    EXPECT_NE(during.status.message.find("retry"), std::string::npos) << during.status.message;
    const auto after = get(id, admin_token());
    ASSERT_OK(after);
    EXPECT_EQ(after.response.device().id(), id);
}

TEST_F(DevicesTest, Labels) {
    const std::string id = new_device();
    auto set = set_label(id, "env", "prod", admin_token());
    ASSERT_OK(set);
    EXPECT_EQ(set.response.device().labels().at("env"), "prod");
    ASSERT_OK(set_label(id, "rack", "r12", admin_token()));
    auto replaced = set_label(id, "env", "staging", admin_token());
    ASSERT_OK(replaced);
    EXPECT_EQ(replaced.response.device().labels().at("env"), "staging");
    EXPECT_EQ(replaced.response.device().labels().size(), 2u);
    // The contract requires a value.
    EXPECT_CODE(set_label(id, "empty", "", admin_token()), Code::invalid_argument);

    auto removed = remove_label(id, "env");
    ASSERT_OK(removed);
    EXPECT_EQ(removed.response.device().labels().count("env"), 0u);
    EXPECT_EQ(get(id, admin_token()).response.device().labels().count("rack"), 1u);

    EXPECT_CODE(set_label(new_ulid(), "env", "prod", admin_token()), Code::not_found);
    EXPECT_CODE(set_label(id, "", "prod", admin_token()), Code::invalid_argument);
    EXPECT_CODE(set_label(id, std::string(65, 'k'), "prod", admin_token()), Code::invalid_argument);
    EXPECT_CODE(set_label(id, "env", std::string(257, 'v'), admin_token()), Code::invalid_argument);
    EXPECT_CODE(set_label("bad-id", "env", "prod", admin_token()), Code::invalid_argument);
    EXPECT_CODE(remove_label(new_ulid(), "env"), Code::not_found);
    EXPECT_CODE(remove_label(id, ""), Code::invalid_argument);
    EXPECT_CODE(remove_label("bad-id", "env"), Code::invalid_argument);
}

TEST_F(DevicesTest, AssignAndUnassign) {
    const std::string device = new_device();
    const std::string user = create_user("owner@example.com", "owner-password");
    const std::string token = login("owner@example.com", "owner-password");
    EXPECT_CODE(get(device, token), Code::not_found);

    auto assigned = assign(device, user, admin_token());
    ASSERT_OK(assigned);
    EXPECT_EQ(assigned.response.device().assigned_user_id(), user);
    EXPECT_OK(get(device, token));
    EXPECT_EQ(list(token).response.total_count(), 1);

    auto unassigned = unassign(device, admin_token());
    ASSERT_OK(unassigned);
    EXPECT_TRUE(unassigned.response.device().assigned_user_id().empty());
    EXPECT_CODE(get(device, token), Code::not_found);
    EXPECT_EQ(list(token).response.total_count(), 0);

    EXPECT_CODE(assign(device, new_ulid(), admin_token()), Code::not_found);
    EXPECT_CODE(assign(new_ulid(), user, admin_token()), Code::not_found);
    EXPECT_CODE(assign("bad-id", user, admin_token()), Code::invalid_argument);
    EXPECT_CODE(assign(device, "bad-id", admin_token()), Code::invalid_argument);
    EXPECT_CODE(unassign(new_ulid(), admin_token()), Code::not_found);
    // A deleted user cannot be given devices.
    const std::string gone = create_user("gone@example.com", "gone-password");
    pm::v1::DeleteUserRequest delete_user;
    delete_user.set_id(gone);
    ASSERT_OK(call<pm::v1::DeleteUserResponse>("DeleteUser", delete_user, admin_token()));
    EXPECT_CODE(assign(device, gone, admin_token()), Code::not_found);
    EXPECT_CODE(unassign("bad-id", admin_token()), Code::invalid_argument);
    // Users cannot (re)assign, not even devices of their own.
    ASSERT_OK(assign(device, user, admin_token()));
    EXPECT_CODE(assign(device, user, token), Code::permission_denied);
    EXPECT_CODE(unassign(device, token), Code::permission_denied);
}

TEST_F(DevicesTest, SyncInterval) {
    const std::string id = new_device();
    auto set = set_interval(id, 15);
    ASSERT_OK(set);
    EXPECT_EQ(set.response.device().sync_interval_minutes(), 15);
    EXPECT_OK(set_interval(id, 0));
    EXPECT_OK(set_interval(id, 1440));
    EXPECT_EQ(get(id, admin_token()).response.device().sync_interval_minutes(), 1440);
    EXPECT_CODE(set_interval(id, 1441), Code::invalid_argument);
    EXPECT_CODE(set_interval(id, -1), Code::invalid_argument);
    EXPECT_CODE(set_interval(new_ulid(), 10), Code::not_found);
    EXPECT_CODE(set_interval("bad-id", 10), Code::invalid_argument);
}

TEST_F(DevicesTest, DeleteDeviceRevokesItsCertificate) {
    auto registered = register_device(create_token(admin_token()).second, "doomed");
    ASSERT_OK(registered);
    const std::string id = registered.response.device_id().value();
    auto before =
        sql("SELECT serial, revoked_at IS NULL FROM device_certificates_projection "
            "WHERE device_id = $1",
            {id});
    ASSERT_EQ(before.rows(), 1);
    EXPECT_TRUE(before.boolean(0, 1));

    ASSERT_OK(remove(id, admin_token()));
    EXPECT_CODE(get(id, admin_token()), Code::not_found);
    EXPECT_CODE(remove(id, admin_token()), Code::not_found);
    EXPECT_CODE(set_label(id, "k", "v", admin_token()), Code::not_found);
    EXPECT_EQ(list(admin_token()).response.total_count(), 0);
    auto after =
        sql("SELECT revoked_at IS NOT NULL, revoke_reason FROM "
            "device_certificates_projection WHERE device_id = $1",
            {id});
    ASSERT_EQ(after.rows(), 1);
    EXPECT_TRUE(after.boolean(0, 0));

    EXPECT_CODE(remove(new_ulid(), admin_token()), Code::not_found);
    EXPECT_CODE(remove("bad-id", admin_token()), Code::invalid_argument);
}

TEST_F(DevicesTest, UserSeesOnlyAssignedDevices) {
    const std::string user = create_user("scoped@example.com", "scoped-password");
    const std::string token = login("scoped@example.com", "scoped-password");
    std::set<std::string> mine;
    for (int i = 0; i < 3; ++i) {
        const std::string id = new_device("mine-" + std::to_string(i));
        ASSERT_OK(assign(id, user, admin_token()));
        mine.insert(id);
    }
    const std::string foreign = new_device("foreign");
    new_device("foreign-2");

    auto listed = list(token);
    ASSERT_OK(listed);
    EXPECT_EQ(listed.response.total_count(), 3);
    std::set<std::string> seen;
    for (const auto& device : listed.response.devices()) {
        seen.insert(device.id());
    }
    EXPECT_EQ(seen, mine);
    EXPECT_EQ(list(admin_token()).response.total_count(), 5);

    EXPECT_OK(get(*mine.begin(), token));
    EXPECT_CODE(get(foreign, token), Code::not_found);
    // Writes are admin-only, even on one's own device.
    EXPECT_CODE(set_label(*mine.begin(), "k", "v", token), Code::permission_denied);
    EXPECT_CODE(remove(*mine.begin(), token), Code::permission_denied);
    EXPECT_CODE(remove(foreign, token), Code::permission_denied);

    // A user's pages count only its devices too.
    pm::v1::ListDevicesRequest paged;
    paged.set_page_size(2);
    auto first = list(token, paged);
    ASSERT_OK(first);
    EXPECT_EQ(first.response.devices_size(), 2);
    EXPECT_EQ(first.response.total_count(), 3);
    ASSERT_FALSE(first.response.next_page_token().empty());
    paged.set_page_token(first.response.next_page_token());
    auto second = list(token, paged);
    ASSERT_OK(second);
    EXPECT_EQ(second.response.devices_size(), 1);
    EXPECT_TRUE(second.response.next_page_token().empty());
}

TEST_F(DevicesTest, DeviceRoleSeesOnlyItself) {
    // Agents do not use JWTs today, but the policy has device rules: a device may read itself.
    const std::string self = new_device("self");
    const std::string other = new_device("other");
    const std::string token = device_token(self);
    auto got = get(self, token);
    ASSERT_OK(got);
    EXPECT_EQ(got.response.device().hostname(), "self");
    EXPECT_CODE(get(other, token), Code::not_found);
    EXPECT_CODE(get(new_ulid(), token), Code::not_found);
    EXPECT_CODE(list(token), Code::permission_denied);
    EXPECT_CODE(set_label(self, "k", "v", token), Code::permission_denied);
}

TEST_F(DevicesTest, ListDevicesPagesAndFilters) {
    std::set<std::string> all;
    for (int i = 0; i < 5; ++i) {
        all.insert(new_device("page-" + std::to_string(i)));
    }
    std::set<std::string> seen;
    std::string page_token;
    int pages = 0;
    do {
        pm::v1::ListDevicesRequest request;
        request.set_page_size(2);
        request.set_page_token(page_token);
        auto page = list(admin_token(), request);
        ASSERT_OK(page);
        EXPECT_EQ(page.response.total_count(), 5);
        for (const auto& device : page.response.devices()) {
            EXPECT_TRUE(seen.insert(device.id()).second);
        }
        page_token = page.response.next_page_token();
        ASSERT_LT(++pages, 10);
    } while (!page_token.empty());
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen, all);

    pm::v1::ListDevicesRequest bad;
    bad.set_page_token("garbage");
    EXPECT_CODE(list(admin_token(), bad), Code::invalid_argument);
    pm::v1::ListDevicesRequest bad_status;
    bad_status.set_status_filter("sleeping");
    EXPECT_CODE(list(admin_token(), bad_status), Code::invalid_argument);

    // Registration counts as contact: all online. Make two of them long silent.
    const std::string quiet_a = *all.begin();
    const std::string quiet_b = *std::next(all.begin());
    sql("UPDATE devices_projection SET last_seen_at = now() - interval '1 hour' "
        "WHERE id = $1 OR id = $2",
        {quiet_a, quiet_b});
    pm::v1::ListDevicesRequest online;
    online.set_status_filter("online");
    auto on = list(admin_token(), online);
    ASSERT_OK(on);
    EXPECT_EQ(on.response.total_count(), 3);
    for (const auto& device : on.response.devices()) {
        EXPECT_EQ(device.status(), "online");
        EXPECT_NE(device.id(), quiet_a);
        EXPECT_NE(device.id(), quiet_b);
    }
    pm::v1::ListDevicesRequest offline;
    offline.set_status_filter("offline");
    auto off = list(admin_token(), offline);
    ASSERT_OK(off);
    EXPECT_EQ(off.response.total_count(), 2);
    for (const auto& device : off.response.devices()) {
        EXPECT_EQ(device.status(), "offline");
    }

    // Labels: every pair of the filter must match.
    const std::string web = *std::next(all.begin(), 2);
    const std::string db = *std::next(all.begin(), 3);
    ASSERT_OK(set_label(web, "role", "web", admin_token()));
    ASSERT_OK(set_label(web, "env", "prod", admin_token()));
    ASSERT_OK(set_label(db, "role", "db", admin_token()));
    ASSERT_OK(set_label(db, "env", "prod", admin_token()));
    pm::v1::ListDevicesRequest by_label;
    (*by_label.mutable_label_filter())["env"] = "prod";
    auto prod = list(admin_token(), by_label);
    ASSERT_OK(prod);
    EXPECT_EQ(prod.response.total_count(), 2);
    (*by_label.mutable_label_filter())["role"] = "web";
    auto prod_web = list(admin_token(), by_label);
    ASSERT_OK(prod_web);
    ASSERT_EQ(prod_web.response.devices_size(), 1);
    EXPECT_EQ(prod_web.response.devices(0).id(), web);
    (*by_label.mutable_label_filter())["role"] = "cache";
    EXPECT_EQ(list(admin_token(), by_label).response.total_count(), 0);
    // Both filters at once.
    by_label.mutable_label_filter()->erase("role");
    by_label.set_status_filter("online");
    EXPECT_EQ(list(admin_token(), by_label).response.total_count(), 2);
}

}  // namespace
}  // namespace pm::testing
