// Row-level security by itself, with no application filter: a user sees only the devices
// assigned to it, a device only itself, and a transaction without an actor sees nothing.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/events.hpp>

#include "eventstore/store_fixture.hpp"

namespace {

using namespace pm::eventstore;
using pm::db::Actor;

class RowLevelSecurity : public pm::testing::EventStoreTest {
protected:
    void SetUp() override {
        EventStoreTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        // Superusers bypass RLS: the checks connect as an ordinary role.
        pm::db::Connection admin(database_url());
        role_ = "pm_rls_" + database_name();
        admin.exec(fmt::format("CREATE ROLE {} LOGIN", role_));
        admin.exec(fmt::format("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}", role_));
        for (int i = 0; i < 3; ++i) {
            devices_.push_back(pm::new_ulid());
            DeviceRegistered d{.hostname = fmt::format("h{}", i),
                               .agent_version = "1",
                               .cert_fingerprint = fmt::format("f{}", i),
                               .cert_serial = "1",
                               .registration_token_id = "t"};
            if (i < 2) {
                d.assigned_user_id = alice_;
            }
            store().append({"device", devices_.back()}, ExpectedVersion::no_stream(),
                           {NewEvent::of(d)}, Actor::system());
        }
    }
    void TearDown() override {
        if (!role_.empty()) {
            pm::db::Connection admin(database_url());
            admin.exec(fmt::format("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}", role_));
            admin.exec(fmt::format("DROP ROLE IF EXISTS {}", role_));
        }
        EventStoreTest::TearDown();
    }
    std::string as_role_url() const {
        const auto& url = database_url();
        const auto at = url.find('@');
        return "postgresql://" + role_ + url.substr(at);
    }
    // Device ids visible to `actor`, with no WHERE clause at all.
    std::vector<std::string> visible_devices(const Actor& actor) {
        pm::db::Connection conn(as_role_url());
        pm::db::Transaction tx(conn, actor);
        const auto r = tx.exec("SELECT id FROM devices_projection ORDER BY id");
        std::vector<std::string> ids;
        for (int i = 0; i < r.rows(); ++i) {
            ids.emplace_back(r.text(i, 0));
        }
        return ids;
    }

    std::string role_;
    std::string alice_ = pm::new_ulid();
    std::vector<std::string> devices_;
};

TEST_F(RowLevelSecurity, AUserSeesOnlyAssignedDevices) {
    auto expected = std::vector<std::string>{devices_[0], devices_[1]};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(visible_devices(Actor::user(alice_)), expected);
    EXPECT_TRUE(visible_devices(Actor::user(pm::new_ulid())).empty());
}

TEST_F(RowLevelSecurity, AdminsSeeAllADeviceSeesItself) {
    EXPECT_EQ(visible_devices(Actor::admin(alice_)).size(), 3u);
    EXPECT_EQ(visible_devices(Actor::device(devices_[2])), std::vector<std::string>{devices_[2]});
}

TEST_F(RowLevelSecurity, NoActorSeesNothing) {
    pm::db::Connection conn(as_role_url());
    EXPECT_EQ(conn.exec("SELECT count(*) FROM devices_projection").int64(0, 0), 0);
    // A setting made outside the transaction is gone inside the next one (the reference's bug).
    conn.exec("SELECT set_config('pm.actor_type', 'admin', true)");
    EXPECT_EQ(conn.exec("SELECT count(*) FROM devices_projection").int64(0, 0), 0);
}

TEST_F(RowLevelSecurity, UsersCannotWriteProjections) {
    pm::db::Connection admin(database_url());
    admin.exec(fmt::format("GRANT UPDATE ON devices_projection TO {}", role_));
    pm::db::Connection conn(as_role_url());
    pm::db::Transaction tx(conn, Actor::user(alice_));
    const auto r = tx.exec("UPDATE devices_projection SET hostname = 'hijacked' RETURNING id");
    EXPECT_EQ(r.rows(), 0);
}

}  // namespace
