// db::read_as and Connection::exec_pipeline: reads acting for an actor in one round trip.
#include <gtest/gtest.h>

#include <powermanage/db/actor_read.hpp>
#include <powermanage/db/pool.hpp>

#include "actor_rows.hpp"
#include "support/test_database.hpp"

namespace {

using pm::db::Actor;
using pm::db::ActorStatement;
using pm::db::DatabaseError;
using pm::testing::expect_acted_for;
using pm::testing::kWhoAmI;

class ActorRead : public pm::testing::DatabaseTest {};

TEST_F(ActorRead, EachStatementActsForItsActorInOneTransaction) {
    pm::db::ConnectionPool pool(database_url(), 1);
    const std::string xact = "SELECT pg_current_xact_id()::text, $1::text";
    const auto rows = pm::db::read_as(pool, {ActorStatement{Actor::system("check"), kWhoAmI, {"a"}},
                                             ActorStatement{Actor::user("01HUSER"), kWhoAmI, {"b"}},
                                             ActorStatement{Actor::admin("01HADMIN"), xact, {"c"}},
                                             ActorStatement{Actor::device("01HDEV"), xact, {"d"}}});
    ASSERT_EQ(rows.size(), 4U);
    expect_acted_for(rows[0], "system", "check", "a");
    expect_acted_for(rows[1], "user", "01HUSER", "b");
    // One implicit transaction: the id the third statement assigned is the fourth's too.
    EXPECT_EQ(rows[2].text(0, 0), rows[3].text(0, 0));
    EXPECT_EQ(rows[3].text(0, 1), "d");
}

TEST_F(ActorRead, TheSettingsEndWithTheReadSoTheConnectionKeepsNoIdentity) {
    pm::db::ConnectionPool pool(database_url(), 1);  // the same connection every time
    const auto as_user = pm::db::read_as(pool, Actor::user("01HUSER"), kWhoAmI, {"x"});
    EXPECT_EQ(as_user.text(0, 0), "user");
    auto lease = pool.acquire();
    const auto after = lease->exec(
        "SELECT coalesce(current_setting('pm.actor_type', true), ''), "
        "coalesce(current_setting('pm.actor_id', true), ''), "
        "(SELECT count(*) FROM pg_prepared_statements) > 0");
    EXPECT_EQ(after.text(0, 0), "");
    EXPECT_EQ(after.text(0, 1), "");
    EXPECT_TRUE(after.boolean(0, 2));  // prepared once, kept for the next read
}

TEST_F(ActorRead, AFailedStatementThrowsItsErrorAndTheConnectionStaysUsable) {
    pm::db::ConnectionPool pool(database_url(), 1);
    try {
        (void)pm::db::read_as(pool, {ActorStatement{Actor::system(), "SELECT 1 / $1::int", {"0"}},
                                     ActorStatement{Actor::system(), "SELECT $1::int", {"2"}}});
        FAIL() << "a division by zero was not reported";
    } catch (const DatabaseError& error) {
        EXPECT_EQ(error.sqlstate(), "22012");
        EXPECT_FALSE(error.is_connection_failure());
    }
    const auto rows = pm::db::read_as(pool, Actor::system(), "SELECT $1::int + 1", {"41"});
    EXPECT_EQ(rows.int64(0, 0), 42);
    auto lease = pool.acquire();
    EXPECT_EQ(lease->exec("SELECT 6 * 7").int64(0, 0), 42);
}

TEST_F(ActorRead, ANullParameterIsNull) {
    pm::db::ConnectionPool pool(database_url(), 1);
    const auto rows =
        pm::db::read_as(pool, Actor::system(), "SELECT $1::text IS NULL", {std::nullopt});
    EXPECT_TRUE(rows.boolean(0, 0));
}

}  // namespace
