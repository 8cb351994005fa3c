// Appending inside the caller's transaction: the check, the events and the read back commit
// together or not at all, and the caller's row-level-security view comes back afterwards.
#include <gtest/gtest.h>

#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/events.hpp>

#include "eventstore/store_fixture.hpp"

namespace {

using pm::db::Actor;
using pm::eventstore::ExpectedVersion;
using pm::eventstore::NewEvent;
using pm::eventstore::StreamAppend;
using pm::eventstore::StreamId;
using pm::eventstore::VersionConflict;
namespace es = pm::eventstore;

class AppendIn : public pm::testing::EventStoreTest {};

TEST_F(AppendIn, SeveralStreamsCommitWithTheTransaction) {
    std::vector<StreamAppend> appends;
    appends.push_back({StreamId{"test", "X1"}, ExpectedVersion::no_stream(), {event("Made", 1)}});
    appends.push_back({StreamId{"test", "X2"},
                       ExpectedVersion::no_stream(),
                       {event("Made", 2), event("Changed", 3)}});
    std::vector<es::AppendResult> results;
    pm::db::with_actor(pool(), Actor::admin("A1"), [&](pm::db::Transaction& tx) {
        results = store().append_in(tx, appends, Actor::admin("A1"), Actor::admin("A1"));
    });
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].last_version, 1);
    EXPECT_EQ(results[1].first_version, 1);
    EXPECT_EQ(results[1].last_version, 2);
    EXPECT_GT(results[1].last_position, results[0].last_position);
    EXPECT_EQ(store().stream_version({"test", "X2"}), 2);
    EXPECT_EQ(store().read_stream({"test", "X1"}).at(0).actor_id, "A1");
}

TEST_F(AppendIn, NothingIsStoredWhenTheTransactionRollsBack) {
    std::vector<StreamAppend> appends;
    appends.push_back({StreamId{"test", "R1"}, ExpectedVersion::no_stream(), {event("Made")}});
    EXPECT_THROW(pm::db::with_actor(pool(), Actor::system(),
                                    [&](pm::db::Transaction& tx) {
                                        store().append_in(tx, appends, Actor::system(),
                                                          Actor::system());
                                        throw std::runtime_error("the command changed its mind");
                                    }),
                 std::runtime_error);
    EXPECT_EQ(store().stream_version({"test", "R1"}), 0);
}

TEST_F(AppendIn, AConflictOnAnyStreamAppendsNothing) {
    store().append({"test", "C2"}, ExpectedVersion::no_stream(), {event("Made")}, Actor::system());
    std::vector<StreamAppend> appends;
    appends.push_back({StreamId{"test", "C1"}, ExpectedVersion::no_stream(), {event("Made")}});
    appends.push_back({StreamId{"test", "C2"}, ExpectedVersion::no_stream(), {event("Made")}});
    try {
        pm::db::with_actor(pool(), Actor::system(), [&](pm::db::Transaction& tx) {
            store().append_in(tx, appends, Actor::system(), Actor::system());
        });
        FAIL() << "expected a conflict";
    } catch (const VersionConflict& conflict) {
        EXPECT_EQ(conflict.stream().id, "C2");
        EXPECT_EQ(conflict.actual(), 1);
    }
    EXPECT_EQ(store().stream_version({"test", "C1"}), 0);
}

TEST_F(AppendIn, TheCallersViewReturnsAfterTheAppend) {
    // The projectors run as the system; the reads after the append must be filtered by the
    // caller's row-level-security view again (the settings RLS reads; the test's superuser
    // connection itself would bypass RLS, see projection/security_test.cpp for the policies).
    const std::string me = "01JMEUSER00000000000000000";
    std::vector<StreamAppend> appends;
    appends.push_back({StreamId{std::string(es::kUserStream), me},
                       ExpectedVersion::no_stream(),
                       {NewEvent::of(es::UserCreated{
                           .email = "me@example.com", .password_hash = "x", .role = "user"})}});
    pm::db::with_actor(pool(), Actor::user(me), [&](pm::db::Transaction& tx) {
        store().append_in(tx, appends, Actor::system(), Actor::user(me));
        auto actor = tx.exec("SELECT pm_actor_type(), pm_actor_id()");
        EXPECT_EQ(actor.text(0, 0), "user");
        EXPECT_EQ(actor.text(0, 1), me);
        EXPECT_EQ(tx.exec("SELECT count(*) FROM users_projection WHERE id = $1", {me}).text(0, 0),
                  "1");
    });
}

}  // namespace
