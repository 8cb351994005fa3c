// The libpq connection, pool and transactions against a real server.
#include <thread>

#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>

#include "support/test_database.hpp"

namespace {

using pm::db::Connection;
using pm::db::DatabaseError;

class DbConnection : public pm::testing::DatabaseTest {};

TEST_F(DbConnection, ParametersAndNullsRoundTrip) {
    Connection conn(database_url());
    const auto r = conn.exec("SELECT $1::text, $2::text IS NULL, $3::bigint + 1",
                             {std::string("it's \"quoted\""), std::nullopt, std::string("41")});
    EXPECT_EQ(r.text(0, 0), "it's \"quoted\"");
    EXPECT_TRUE(r.boolean(0, 1));
    EXPECT_EQ(r.int64(0, 2), 42);
}

TEST_F(DbConnection, ErrorsCarrySqlstateAndConstraint) {
    Connection conn(database_url());
    conn.exec("CREATE TABLE t (email text CONSTRAINT t_email_key UNIQUE)");
    conn.exec("INSERT INTO t VALUES ('a@example.com')");
    try {
        conn.exec("INSERT INTO t VALUES ($1)", {std::string("a@example.com")});
        FAIL() << "duplicate accepted";
    } catch (const DatabaseError& e) {
        EXPECT_TRUE(e.is_unique_violation());
        EXPECT_EQ(e.sqlstate(), "23505");
        EXPECT_EQ(e.constraint(), "t_email_key");
        EXPECT_FALSE(e.is_connection_failure());
    }
}

TEST_F(DbConnection, UnreachableServerSaysWhereAndHidesThePassword) {
    try {
        Connection conn("postgresql://someone:secret@127.0.0.1:1/nothing?connect_timeout=2");
        FAIL() << "connected to port 1";
    } catch (const DatabaseError& e) {
        const std::string text = e.what();
        EXPECT_TRUE(e.is_connection_failure());
        EXPECT_NE(text.find("127.0.0.1:1"), std::string::npos) << text;
        EXPECT_EQ(text.find("secret"), std::string::npos) << text;
    }
}

TEST_F(DbConnection, TransactionRollsBackUnlessCommittedAndSetsTheActor) {
    Connection conn(database_url());
    conn.exec("CREATE TABLE t (x int)");
    {
        pm::db::Transaction tx(conn, pm::db::Actor::user("01HZZZZZZZZZZZZZZZZZZZZZZZ"));
        tx.exec("INSERT INTO t VALUES (1)");
        const auto r =
            tx.exec("SELECT current_setting('pm.actor_type'), current_setting('pm.actor_id')");
        EXPECT_EQ(r.text(0, 0), "user");
        EXPECT_EQ(r.text(0, 1), "01HZZZZZZZZZZZZZZZZZZZZZZZ");
    }
    EXPECT_EQ(conn.exec("SELECT count(*) FROM t").int64(0, 0), 0);
    {
        pm::db::Transaction tx(conn, pm::db::Actor::admin("a"));
        tx.exec("INSERT INTO t VALUES (1)");
        tx.commit();
    }
    EXPECT_EQ(conn.exec("SELECT count(*) FROM t").int64(0, 0), 1);
    // The settings were transaction-local: gone now.
    EXPECT_EQ(conn.exec("SELECT coalesce(current_setting('pm.actor_type', true), '')").text(0, 0),
              "");
}

TEST_F(DbConnection, PoolBoundsConnectionsAndReplacesBrokenOnes) {
    pm::db::ConnectionPool pool(database_url(), 2);
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        EXPECT_THROW(pool.acquire(std::chrono::milliseconds(50)), DatabaseError);
    }
    std::string pid;
    {
        auto c = pool.acquire();
        pid = std::string(c->exec("SELECT pg_backend_pid()").text(0, 0));
        Connection killer(database_url());
        killer.exec("SELECT pg_terminate_backend($1::int)", {pid});
        EXPECT_THROW(c->exec("SELECT 1"), DatabaseError);
    }
    // Both idle slots are usable again, and a broken connection was not handed back.
    auto d = pool.acquire();
    auto e = pool.acquire();
    EXPECT_EQ(d->exec("SELECT 1").int64(0, 0), 1);
    EXPECT_EQ(e->exec("SELECT 1").int64(0, 0), 1);
}

TEST_F(DbConnection, WithActorReturnsTheFunctionsValue) {
    pm::db::ConnectionPool pool(database_url(), 1);
    const auto n = pm::db::with_actor(pool, pm::db::Actor::system(), [](pm::db::Transaction& tx) {
        return tx.exec("SELECT 6 * 7").int64(0, 0);
    });
    EXPECT_EQ(n, 42);
}

}  // namespace
