// The GroupMembership maintainer across replicas: of two on one database only the holder of
// the advisory lock acts; when its replica stops, the other takes over, reconciles, and follows
// label changes appended by anyone (here straight through the EventStore, no RPC at all).
#include "control/group_membership.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/log.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/eventstore/events.hpp>

#include "control_fixture.hpp"

namespace pm::testing {
namespace {

using namespace std::chrono_literals;

// Log lines, kept for the test to read.
class Lines {
public:
    LogSink sink() {
        return [this](std::string_view line) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        };
    }
    bool saw(const std::string& text) const {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
            if (line.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

template <class Predicate>
bool eventually(Predicate&& predicate, std::chrono::milliseconds deadline) {
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > give_up) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

class GroupMembershipTest : public ControlTest {};

TEST_F(GroupMembershipTest, OneReplicaActsAndTheOtherTakesOver) {
    Lines lines;
    Logger logger(lines.sink(), LogLevel::debug);
    db::ConnectionPool pool(database_url(), 4);
    eventstore::EventStore store(pool);
    control::GroupMembershipOptions options;
    options.lock_retry = 100ms;
    // The host's maintainer takes the lock from its own thread: wait until it holds it, or the
    // standby could win the race and the roles would be the other way round.
    ASSERT_TRUE(eventually(
        [&] {
            return sql("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                       "WHERE l.locktype = 'advisory' AND l.granted "
                       "AND d.datname = current_database()")
                       .int64(0, 0) == 1;
        },
        15000ms));
    control::GroupMembership standby(pool, store, database_url(), logger, options);
    standby.start();
    // The host's maintainer holds the lock: the standby says so and waits.
    ASSERT_TRUE(eventually([&] { return lines.saw("another replica maintains"); }, 5000ms));

    const auto device = new_device("standby-1");
    pm::v1::CreateDeviceGroupRequest create;
    create.set_name("gold");
    create.set_is_dynamic(true);
    create.set_dynamic_query("labels.tier equals gold");
    auto created =
        call<pm::v1::CreateDeviceGroupResponse>("CreateDeviceGroup", create, admin_token());
    ASSERT_OK(created);
    const auto group = created.response.group().id();
    EXPECT_EQ(standby.batches(), 0u);  // it has not acted on the group's creation

    // The host stops (its maintainer's connection closes, releasing the lock).
    client_.reset();
    host_->stop();
    host_.reset();
    ASSERT_TRUE(eventually([&] { return lines.saw("maintaining the dynamic groups"); }, 5000ms));

    store.append({std::string(eventstore::kDeviceStream), device},
                 eventstore::ExpectedVersion::any(),
                 {eventstore::NewEvent::of(eventstore::DeviceLabelSet{"tier", "gold"})},
                 db::Actor::system("test"));
    const auto members = [&] {
        return sql("SELECT count(*) FROM device_group_members_projection WHERE group_id = $1 "
                   "AND device_id = $2",
                   {group, device})
            .int64(0, 0);
    };
    EXPECT_TRUE(eventually([&] { return members() == 1; }, 15000ms));
    EXPECT_GE(standby.batches(), 1u);
    standby.stop();
}

// Every connection of the host cut (as a database restart does): the maintainer notices, backs
// off, takes the lock again, reconciles, and follows the next label change.
TEST_F(GroupMembershipTest, RecoversWhenItsConnectionsAreCut) {
    const auto device = new_device("cut-1");
    pm::v1::CreateDeviceGroupRequest create;
    create.set_name("silver");
    create.set_is_dynamic(true);
    create.set_dynamic_query("labels.tier equals silver");
    auto created =
        call<pm::v1::CreateDeviceGroupResponse>("CreateDeviceGroup", create, admin_token());
    ASSERT_OK(created);
    const auto group = created.response.group().id();

    auto cut =
        sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    ASSERT_GT(cut.int64(0, 0), 0);

    pm::v1::SetDeviceLabelRequest label;
    label.set_id(device);
    label.set_key("tier");
    label.set_value("silver");
    // The first calls may meet a pooled connection that was cut: they answer unavailable.
    ASSERT_TRUE(eventually(
        [&] {
            return call<pm::v1::UpdateDeviceResponse>("SetDeviceLabel", label, admin_token()).ok();
        },
        5000ms));
    EXPECT_TRUE(eventually(
        [&] {
            return sql("SELECT count(*) FROM device_group_members_projection "
                       "WHERE group_id = $1 AND device_id = $2",
                       {group, device})
                       .int64(0, 0) == 1;
        },
        5000ms));
}

}  // namespace
}  // namespace pm::testing
