// The device projector, event by event, against docs/events.md: each event appended through
// the real EventStore, its effect read back from devices_projection (and, for DeviceDeleted,
// from the device group tables it reaches into).
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/eventstore/events.hpp>

#include "projection/projector_fixture.hpp"

namespace {

using namespace pm::eventstore;
using namespace std::chrono_literals;
using pm::db::Actor;
using pm::testing::Row;

class DeviceProjector : public pm::testing::ProjectorTest {
protected:
    static DeviceRegistered registration() {
        return DeviceRegistered{.hostname = "pc-01",
                                .agent_version = "1.0.0",
                                .cert_fingerprint = "fp-1",
                                .cert_serial = "1001",
                                .cert_not_after = kT0 + 24h * 365,
                                .registration_token_id = "tok-1"};
    }
    std::string register_device(const DeviceRegistered& d = registration()) {
        const auto id = pm::new_ulid();
        append(id, d, Actor::system("registration"));
        return id;
    }
    // hostname, agent_version, last_seen_at (micros)
    Row presence(const std::string& id) {
        return row("SELECT hostname, agent_version, " + us("last_seen_at") +
                       " FROM devices_projection WHERE id = $1",
                   {id});
    }
    std::string labels(const std::string& id) {
        return value("SELECT labels::text FROM devices_projection WHERE id = $1", {id});
    }
    std::string column(const std::string& id, const std::string& name) {
        return value("SELECT " + name + " FROM devices_projection WHERE id = $1", {id});
    }
    std::string version(const std::string& id) { return column(id, "projection_version"); }

    std::string create_group(const std::string& name) {
        const auto id = pm::new_ulid();
        append(id, DeviceGroupCreated{.name = name, .description = "", .is_dynamic = false});
        return id;
    }
    // group_id:device_id of every membership, sorted
    std::vector<Row> memberships() {
        return rows(
            "SELECT group_id, device_id FROM device_group_members_projection "
            "ORDER BY group_id, device_id");
    }
};

TEST_F(DeviceProjector, DeviceRegisteredInsertsEveryField) {
    const auto id = pm::new_ulid();
    const auto user = pm::new_ulid();
    auto d = registration();
    d.assigned_user_id = user;
    d.labels = std::map<std::string, std::string>{{"room", "101"}, {"os", "win11"}};
    const auto position = append(id, d, Actor::system("registration"));
    EXPECT_EQ(row("SELECT id, hostname, agent_version, cert_fingerprint, cert_serial, " +
                  us("cert_not_after") + ", cert_revoked, " + us("registered_at") + ", " +
                  us("last_seen_at") +
                  ", registration_token_id, labels::text, assigned_user_id, "
                  "sync_interval_minutes, is_deleted, projection_version "
                  "FROM devices_projection"),
              (Row{id, "pc-01", "1.0.0", "fp-1", "1001", micros(kT0 + 24h * 365), "f", micros(kT0),
                   micros(kT0), "tok-1", R"({"os": "win11", "room": "101"})", user, "0", "f",
                   text(position)}));
}

TEST_F(DeviceProjector, DeviceRegisteredWithoutOwnerOrLabelsIsUnassignedAndUnlabelled) {
    const auto id = register_device();
    EXPECT_EQ(column(id, "assigned_user_id"), "NULL");
    EXPECT_EQ(labels(id), "{}");
}

TEST_F(DeviceProjector, RegisteringAgainReplacesTheCertificateAndRevivesTheDevice) {
    const auto user = pm::new_ulid();
    auto first = registration();
    first.assigned_user_id = user;
    first.labels = std::map<std::string, std::string>{{"room", "101"}, {"os", "win10"}};
    const auto id = register_device(first);
    append(id, DeviceCertificateRevoked{.serial = "1001"});
    append(id, DeviceSyncIntervalSet{.sync_interval_minutes = 30});
    append(id, DeviceDeleted{});
    clock_.advance(2h);
    const auto position =
        append(id,
               DeviceRegistered{
                   .hostname = "pc-01b",
                   .agent_version = "1.1.0",
                   .cert_fingerprint = "fp-2",
                   .cert_serial = "2002",
                   .cert_not_after = kT0 + 24h * 400,
                   .registration_token_id = "tok-2",
                   .labels = std::map<std::string, std::string>{{"os", "win11"}, {"site", "hq"}}},
               Actor::system("registration"));
    EXPECT_EQ(
        row("SELECT hostname, agent_version, cert_fingerprint, cert_serial, " +
                us("cert_not_after") + ", cert_revoked, " + us("registered_at") + ", " +
                us("last_seen_at") +
                ", registration_token_id, labels::text, assigned_user_id, "
                "sync_interval_minutes, is_deleted, projection_version "
                "FROM devices_projection WHERE id = $1",
            {id}),
        (Row{"pc-01b", "1.1.0", "fp-2", "2002", micros(kT0 + 24h * 400), "f", micros(kT0 + 2h),
             micros(kT0 + 2h), "tok-2", R"({"os": "win11", "room": "101", "site": "hq"})", user,
             "30", "f", text(position)}));
}

TEST_F(DeviceProjector, RegisteringAgainWithAnOwnerReassigns) {
    auto first = registration();
    first.assigned_user_id = "user-a";
    const auto id = register_device(first);
    auto second = registration();
    second.assigned_user_id = "user-b";
    append(id, second);
    EXPECT_EQ(column(id, "assigned_user_id"), "user-b");
}

TEST_F(DeviceProjector, RegisteringAgainWithNullOwnerAndLabelsKeepsThem) {
    auto first = registration();
    first.assigned_user_id = "user-a";
    first.labels = std::map<std::string, std::string>{{"room", "101"}};
    const auto id = register_device(first);
    auto data = to_json(registration());
    data["assigned_user_id"] = nullptr;
    data["labels"] = nullptr;
    append_raw({"device", id}, NewEvent{"DeviceRegistered", data, {}, "device"});
    EXPECT_EQ(column(id, "assigned_user_id"), "user-a");
    EXPECT_EQ(labels(id), R"({"room": "101"})");
}

TEST_F(DeviceProjector, DeviceHeartbeatAdvancesPresenceAndUpdatesWhatItReports) {
    const auto id = register_device();
    clock_.advance(5min);
    const auto position = append(id, DeviceHeartbeat{.agent_version = "1.0.1",
                                                     .hostname = "pc-01-renamed",
                                                     .uptime_seconds = 3600,
                                                     .cpu_percent = 12.5});
    EXPECT_EQ(presence(id), (Row{"pc-01-renamed", "1.0.1", micros(kT0 + 5min)}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceProjector, DeviceHeartbeatWithoutVersionOrHostnameKeepsThem) {
    const auto id = register_device();
    clock_.advance(5min);
    append(id, DeviceHeartbeat{.uptime_seconds = 60});
    EXPECT_EQ(presence(id), (Row{"pc-01", "1.0.0", micros(kT0 + 5min)}));
    clock_.advance(5min);
    append(id, DeviceHeartbeat{.agent_version = "", .hostname = ""});
    EXPECT_EQ(presence(id), (Row{"pc-01", "1.0.0", micros(kT0 + 10min)}));
}

TEST_F(DeviceProjector, DeviceHeartbeatWithNullVersionAndHostnameKeepsThem) {
    const auto id = register_device();
    clock_.advance(5min);
    append_raw(
        {"device", id},
        NewEvent{
            "DeviceHeartbeat", {{"agent_version", nullptr}, {"hostname", nullptr}}, {}, "device"});
    EXPECT_EQ(presence(id), (Row{"pc-01", "1.0.0", micros(kT0 + 5min)}));
}

TEST_F(DeviceProjector, DeviceConnectedAdvancesPresenceAndSetsVersionAndHostname) {
    const auto id = register_device();
    clock_.advance(1h);
    const auto position = append(
        id, DeviceConnected{.agent_version = "2.0.0", .hostname = "pc-02", .gateway_id = "gw-1"});
    EXPECT_EQ(presence(id), (Row{"pc-02", "2.0.0", micros(kT0 + 1h)}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceProjector, DeviceConnectedWithAnEmptyHostnameKeepsTheOldOne) {
    const auto id = register_device();
    clock_.advance(1h);
    append(id, DeviceConnected{.agent_version = "2.0.0", .hostname = ""});
    EXPECT_EQ(presence(id), (Row{"pc-01", "2.0.0", micros(kT0 + 1h)}));
}

TEST_F(DeviceProjector, DeviceConnectedWithoutItsRequiredKeysIsRefused) {
    // Unlike a heartbeat's, DeviceConnected's agent_version and hostname are required, and
    // their columns cannot be empty: a missing one fails the append (an empty one keeps the
    // old value, see above).
    const auto id = register_device();
    for (const char* missing : {"agent_version", "hostname"}) {
        auto data = to_json(DeviceConnected{.agent_version = "2.0.0", .hostname = "pc-02"});
        data.erase(missing);
        try {
            append_raw({"device", id}, NewEvent{"DeviceConnected", data, {}, "device"});
            ADD_FAILURE() << "DeviceConnected without " << missing
                          << " was accepted: " << ::testing::PrintToString(presence(id));
        } catch (const pm::db::DatabaseError& e) {
            EXPECT_EQ(e.sqlstate(), "23502") << e.what();
            EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(store().stream_version({"device", id}), 1);
}

TEST_F(DeviceProjector, LastSeenAtNeverMovesBackwards) {
    const auto id = register_device();
    clock_.advance(1h);
    append(id, DeviceHeartbeat{});
    clock_.set(kT0 + 30min);  // an appender whose clock is behind
    append(id, DeviceConnected{.agent_version = "2.0.0", .hostname = "pc-02"});
    EXPECT_EQ(presence(id), (Row{"pc-02", "2.0.0", micros(kT0 + 1h)}));
    append(id, DeviceDisconnected{});
    append(id, DeviceHeartbeat{});
    EXPECT_EQ(presence(id), (Row{"pc-02", "2.0.0", micros(kT0 + 1h)}));
}

TEST_F(DeviceProjector, DeviceDisconnectedAdvancesPresenceOnly) {
    const auto id = register_device();
    clock_.advance(3h);
    const auto position = append(id, DeviceDisconnected{.reason = "shutdown"});
    EXPECT_EQ(presence(id), (Row{"pc-01", "1.0.0", micros(kT0 + 3h)}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceProjector, DeviceLabelSetMergesOneKey) {
    auto d = registration();
    d.labels = std::map<std::string, std::string>{{"room", "101"}, {"os", "win10"}};
    const auto id = register_device(d);
    append(id, DeviceLabelSet{.key = "site", .value = "hq"});
    EXPECT_EQ(labels(id), R"({"os": "win10", "room": "101", "site": "hq"})");
    const auto position = append(id, DeviceLabelSet{.key = "os", .value = "win11"});
    EXPECT_EQ(labels(id), R"({"os": "win11", "room": "101", "site": "hq"})");
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceProjector, DeviceLabelRemovedRemovesOneKey) {
    auto d = registration();
    d.labels = std::map<std::string, std::string>{{"room", "101"}, {"os", "win10"}};
    const auto id = register_device(d);
    const auto position = append(id, DeviceLabelRemoved{.key = "room"});
    EXPECT_EQ(labels(id), R"({"os": "win10"})");
    EXPECT_EQ(version(id), text(position));
    append(id, DeviceLabelRemoved{.key = "never-set"});
    EXPECT_EQ(labels(id), R"({"os": "win10"})");
}

TEST_F(DeviceProjector, DeviceAssignedAndDeviceUnassignedSetTheUser) {
    const auto id = register_device();
    const auto user = pm::new_ulid();
    append(id, DeviceAssigned{.user_id = user});
    EXPECT_EQ(column(id, "assigned_user_id"), user);
    const auto position = append(id, DeviceUnassigned{});
    EXPECT_EQ(column(id, "assigned_user_id"), "NULL");
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceProjector, DeviceSyncIntervalSetSetsTheInterval) {
    const auto id = register_device();
    const auto position = append(id, DeviceSyncIntervalSet{.sync_interval_minutes = 45});
    EXPECT_EQ(column(id, "sync_interval_minutes"), "45");
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceProjector, RevokingTheCurrentSerialMarksTheCertificateRevoked) {
    const auto id = register_device();
    const auto position = append(id, DeviceCertificateRevoked{.serial = "1001", .reason = "lost"});
    EXPECT_EQ(column(id, "cert_revoked"), "t");
    EXPECT_EQ(version(id), text(position));
}

TEST_F(DeviceProjector, RevokingAnOldSerialLeavesTheCurrentCertificateValid) {
    const auto id = register_device();
    append(id, DeviceCertificateRevoked{.serial = "999"});
    EXPECT_EQ(column(id, "cert_revoked"), "f");
    EXPECT_EQ(column(id, "cert_serial"), "1001");
}

TEST_F(DeviceProjector, DeviceDeletedSoftDeletes) {
    const auto id = register_device();
    clock_.advance(1h);
    const auto position = append(id, DeviceDeleted{});
    EXPECT_EQ(row("SELECT is_deleted, hostname, projection_version FROM devices_projection "
                  "WHERE id = $1",
                  {id}),
              (Row{"t", "pc-01", text(position)}));
}

TEST_F(DeviceProjector, DeviceDeletedLeavesEveryGroupAndRecountsThem) {
    const auto gone = register_device();
    const auto stays = register_device();
    const auto g1 = create_group("g1");
    const auto g2 = create_group("g2");
    append(g1, DeviceGroupMemberAdded{.device_id = gone});
    append(g1, DeviceGroupMemberAdded{.device_id = stays});
    const auto g1_version = append(g1, DeviceGroupMemberAdded{.device_id = pm::new_ulid()});
    const auto g2_version = append(g2, DeviceGroupMemberAdded{.device_id = gone});
    const auto g1_updated =
        value("SELECT " + us("updated_at") + " FROM device_groups_projection WHERE id = $1", {g1});

    clock_.advance(1h);
    append(gone, DeviceDeleted{});
    EXPECT_EQ(
        value("SELECT count(*) FROM device_group_members_projection WHERE device_id = $1", {gone}),
        "0");
    EXPECT_EQ(
        value("SELECT count(*) FROM device_group_members_projection WHERE device_id = $1", {stays}),
        "1");
    EXPECT_EQ(rows("SELECT id, member_count, projection_version FROM device_groups_projection "
                   "ORDER BY name"),
              (std::vector<Row>{{g1, "2", text(g1_version)}, {g2, "0", text(g2_version)}}))
        << "member counts recounted; the groups' own versions untouched";
    EXPECT_EQ(
        value("SELECT " + us("updated_at") + " FROM device_groups_projection WHERE id = $1", {g1}),
        g1_updated);
}

TEST_F(DeviceProjector, SecurityAlertChangesNoProjection) {
    const auto id = register_device();
    append(id, DeviceLabelSet{.key = "room", .value = "101"});
    const auto before = snapshot();
    clock_.advance(1h);
    const auto position = append(
        id, SecurityAlert{.alert_type = "cert_mismatch",
                          .message = "fingerprint differs",
                          .details = boost::json::object{{"expected", "fp-1"}, {"got", "fp-x"}}});
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(value("SELECT event_type || ' ' || (data ->> 'alert_type') FROM events "
                    "WHERE position = $1",
                    {text(position)}),
              "SecurityAlert cert_mismatch")
        << "the alert is recorded as an event";
}

TEST_F(DeviceProjector, EveryUpdateOfADeviceThatWasNeverRegisteredIsRefused) {
    expect_refused_without_creation(
        DeviceHeartbeat{}, DeviceConnected{.agent_version = "1", .hostname = "h"},
        DeviceDisconnected{}, DeviceLabelSet{.key = "k", .value = "v"},
        DeviceLabelRemoved{.key = "k"}, DeviceAssigned{.user_id = "u"}, DeviceUnassigned{},
        DeviceSyncIntervalSet{.sync_interval_minutes = 1}, DeviceCertificateRevoked{.serial = "1"},
        DeviceDeleted{});
}

TEST_F(DeviceProjector, ReplayingAnOldRegistrationAfterAReRegistrationChangesNothing) {
    const auto id = register_device();
    const auto first = value("SELECT min(position) FROM events WHERE stream_id = $1", {id});
    append(id, DeviceDeleted{});
    clock_.advance(1h);
    auto again = registration();
    again.cert_serial = "2002";
    append(id, again);
    const auto before = snapshot();
    EXPECT_EQ(reproject(std::stoll(first)), "DeviceRegistered");
    EXPECT_EQ(snapshot(), before);
}

TEST_F(DeviceProjector, ReplayingTheWholeDeviceHistoryChangesNothing) {
    auto d = registration();
    d.labels = std::map<std::string, std::string>{{"room", "101"}};
    const auto id = register_device(d);
    const auto other = register_device();
    const auto group = create_group("lab");
    append(group, DeviceGroupMemberAdded{.device_id = id});
    append(group, DeviceGroupMemberAdded{.device_id = other});
    clock_.advance(1min);
    append(id, DeviceHeartbeat{.agent_version = "1.0.1"});
    append(id, DeviceConnected{.agent_version = "1.0.2", .hostname = "pc-x"});
    append(id, DeviceDisconnected{});
    append(id, DeviceLabelSet{.key = "site", .value = "hq"});
    append(id, DeviceLabelRemoved{.key = "room"});
    append(id, DeviceAssigned{.user_id = "u1"});
    append(id, DeviceUnassigned{});
    append(id, DeviceSyncIntervalSet{.sync_interval_minutes = 10});
    append(id, DeviceCertificateRevoked{.serial = "1001"});
    append(id, SecurityAlert{.alert_type = "t", .message = "m"});
    append(id, DeviceDeleted{});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 16u);
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(value("SELECT member_count FROM device_groups_projection WHERE id = $1", {group}),
              "1");
}

}  // namespace
