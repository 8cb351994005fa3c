// db::AsyncReadPool: read_as() awaited on an io_context, against a real server, including the
// failures the control plane maps to `unavailable`.
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <powermanage/db/async_read.hpp>

#include "actor_rows.hpp"
#include "support/test_database.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pm::db::Actor;
using pm::db::ActorStatement;
using pm::db::AsyncReadOptions;
using pm::db::AsyncReadPool;
using pm::db::DatabaseError;
using pm::db::Result;
using pm::testing::expect_acted_for;
using pm::testing::kWhoAmI;

// The io_context outlives the pools of the test body: their sockets belong to it.
class AsyncRead : public pm::testing::DatabaseTest {
protected:
    asio::io_context io;
};

// Runs `reads` (each awaited in its own coroutine) on `io`'s one thread to the end; rethrows
// the first exception one threw.
void run_all(asio::io_context& io, std::vector<std::function<asio::awaitable<void>()>> reads) {
    io.restart();
    std::exception_ptr first;
    for (auto& read : reads) {
        asio::co_spawn(io, std::move(read), [&](std::exception_ptr error) {
            if (error && !first) {
                first = error;
            }
        });
    }
    io.run();
    if (first) {
        std::rethrow_exception(first);
    }
}

std::vector<Result> read_now(asio::io_context& io, AsyncReadPool& pool,
                             std::vector<ActorStatement> statements) {
    std::vector<Result> rows;
    run_all(io, {[&]() -> asio::awaitable<void> {
                rows = co_await pool.read_as(std::move(statements));
            }});
    return rows;
}

// One statement as the system, built before the co_await: GCC 12 rejects a temporary made
// from a string literal that lives across a co_await ("array used as initializer").
std::vector<ActorStatement> as_system(const std::string& sql, std::vector<pm::db::Param> params) {
    std::vector<ActorStatement> statements;
    statements.push_back({Actor::system(), sql, std::move(params)});
    return statements;
}

std::string sqlstate_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const DatabaseError& error) {
        return error.sqlstate().empty() ? "(connection)" : error.sqlstate();
    }
    return "(no error)";
}

TEST_F(AsyncRead, EachStatementActsForItsActorInOneTransactionAsReadAs) {
    AsyncReadPool pool(database_url(), {.max_connections = 1});
    for (int round = 0; round < 2; ++round) {  // the second time with prepared statements
        const auto rows = read_now(io, pool,
                                   {ActorStatement{Actor::system("check"), kWhoAmI, {"a"}},
                                    ActorStatement{Actor::user("01HUSER"), kWhoAmI, {"b"}}});
        ASSERT_EQ(rows.size(), 2U);
        expect_acted_for(rows[0], "system", "check", "a");
        expect_acted_for(rows[1], "user", "01HUSER", "b");
        EXPECT_EQ(rows[0].text(0, 3), rows[1].text(0, 3));  // one implicit transaction
    }
    EXPECT_EQ(pool.open_connections(), 1U);
    // The settings ended with the read: the next statement on the connection acts for nobody.
    const auto after =
        read_now(io, pool,
                 {ActorStatement{Actor::system("x"),
                                 "SELECT (SELECT count(*) FROM pg_prepared_statements), $1",
                                 {"1"}}});
    EXPECT_GE(after[0].int64(0, 0), 2);  // the settings and kWhoAmI stayed prepared
}

TEST_F(AsyncRead, AFailedStatementThrowsItsSqlstateAndTheConnectionStaysUsable) {
    AsyncReadPool pool(database_url(), {.max_connections = 1});
    EXPECT_EQ(sqlstate_of([&] {
                  (void)read_now(io, pool,
                                 {ActorStatement{Actor::system(), "SELECT 1 / $1::int", {"0"}},
                                  ActorStatement{Actor::system(), "SELECT $1::int", {"2"}}});
              }),
              "22012");
    EXPECT_EQ(sqlstate_of([&] {
                  (void)read_now(io, pool, {ActorStatement{Actor::system(), "SELEC nonsense", {}}});
              }),
              "42601");
    const auto rows =
        read_now(io, pool, {ActorStatement{Actor::system(), "SELECT $1::int", {"7"}}});
    EXPECT_EQ(rows[0].int64(0, 0), 7);
    EXPECT_EQ(pool.open_connections(), 1U);
}

TEST_F(AsyncRead, ARefusedConnectionIsAConnectionFailure) {
    // A port that was free a moment ago: nothing listens there.
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    AsyncReadPool pool("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres",
                       {.max_connections = 1, .connect_timeout = 5000ms});
    try {
        (void)read_now(io, pool, {ActorStatement{Actor::system(), "SELECT 1", {}}});
        FAIL() << "a read without a server succeeded";
    } catch (const DatabaseError& error) {
        EXPECT_TRUE(error.is_connection_failure()) << error.what();
        EXPECT_NE(std::string(error.what()).find("cannot connect to PostgreSQL"), std::string::npos)
            << error.what();
    }
    EXPECT_EQ(pool.open_connections(), 0U);
}

TEST_F(AsyncRead, ABackendTerminatedDuringTheReadIsAConnectionFailure) {
    AsyncReadPool pool(database_url(), {.max_connections = 1});
    std::atomic<bool> done{false};
    std::thread killer([&] {
        pm::db::Connection admin(database_url());
        // Until the read's backend is found sleeping, then terminated.
        while (!done.load()) {
            const auto killed = admin.exec(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()");
            if (killed.int64(0, 0) > 0) {
                return;
            }
            std::this_thread::sleep_for(10ms);
        }
    });
    const std::string state = sqlstate_of([&] {
        (void)read_now(io, pool,
                       {ActorStatement{Actor::system(), "SELECT pg_sleep(30), $1", {"x"}}});
    });
    done = true;
    killer.join();
    // Class 08 or none (the connection broke) or 57P01 (the server said why first): both are
    // outages the control plane answers `unavailable`.
    EXPECT_TRUE(state == "(connection)" || state.starts_with("57")) << state;
    EXPECT_EQ(pool.open_connections(), 0U);  // not handed back
}

TEST_F(AsyncRead, AConnectionTerminatedWhileIdleIsReplacedAndTheReadSucceeds) {
    AsyncReadPool pool(database_url(), {.max_connections = 1});
    const auto pid = std::string(
        read_now(io, pool, {ActorStatement{Actor::system(), kWhoAmI, {"1"}}})[0].text(0, 4));
    pm::db::Connection admin(database_url());
    EXPECT_TRUE(admin.exec("SELECT pg_terminate_backend($1::int)", {pid}).boolean(0, 0));
    std::this_thread::sleep_for(100ms);  // the backend's exit reaches the socket
    const auto rows = read_now(io, pool, {ActorStatement{Actor::system(), kWhoAmI, {"2"}}});
    EXPECT_EQ(rows[0].text(0, 2), "2");
    EXPECT_NE(std::string(rows[0].text(0, 4)), pid);
    EXPECT_EQ(pool.open_connections(), 1U);
}

TEST_F(AsyncRead, ConcurrentReadsShareTheBoundedConnectionsAndWaitTheirTurn) {
    AsyncReadPool pool(database_url(), {.max_connections = 2});
    std::atomic<int> answered{0};
    std::vector<std::function<asio::awaitable<void>()>> reads;
    for (int i = 0; i < 8; ++i) {
        reads.emplace_back([&, i]() -> asio::awaitable<void> {
            auto statements = as_system("SELECT $1::int, pg_sleep(0.05)", {std::to_string(i)});
            const auto rows = co_await pool.read_as(std::move(statements));
            EXPECT_EQ(rows[0].int64(0, 0), i);
            EXPECT_LE(pool.open_connections(), 2U);
            ++answered;
        });
    }
    const auto start = std::chrono::steady_clock::now();
    run_all(io, std::move(reads));
    EXPECT_EQ(answered.load(), 8);
    EXPECT_EQ(pool.open_connections(), 2U);
    // Two at a time, 50 ms each: at least four rounds.
    EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
}

TEST_F(AsyncRead, AReadThatFindsNoFreeConnectionInTimeIsRefusedWith57014) {
    AsyncReadPool pool(database_url(), {.max_connections = 1, .wait = 100ms});
    std::string waiting_state;
    run_all(io, {[&]() -> asio::awaitable<void> {
                     auto statements = as_system("SELECT pg_sleep(1)", {});
                     (void)co_await pool.read_as(std::move(statements));
                 },
                 [&]() -> asio::awaitable<void> {
                     try {
                         auto statements = as_system("SELECT 1", {});
                         (void)co_await pool.read_as(std::move(statements));
                         waiting_state = "(no error)";
                     } catch (const DatabaseError& error) {
                         waiting_state = error.sqlstate();
                     }
                 }});
    EXPECT_EQ(waiting_state, "57014");
}

TEST_F(AsyncRead, AClosedPoolRefusesReadsWith57P01) {
    AsyncReadPool pool(database_url(), {.max_connections = 1});
    (void)read_now(io, pool, {ActorStatement{Actor::system(), "SELECT 1", {}}});
    pool.close();
    EXPECT_EQ(pool.open_connections(), 0U);
    EXPECT_EQ(sqlstate_of([&] {
                  (void)read_now(io, pool, {ActorStatement{Actor::system(), "SELECT 1", {}}});
              }),
              "57P01");
}

}  // namespace
