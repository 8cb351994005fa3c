// The Asio-driven LISTEN connection against a real server: delivery, order, reconnection after
// the backend is killed or frozen, an unreachable server, and stop().
#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <powermanage/common/log.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/listener.hpp>

#include "support/test_database.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using pm::db::Connection;
using pm::db::Listener;
using pm::db::ListenerOptions;
using pm::db::Notification;
using SteadyClock = std::chrono::steady_clock;

// Runs `io` until `done` or the timeout; whether `done` came true.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 10s) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!done()) {
        if (SteadyClock::now() >= deadline) {
            return false;
        }
        io.restart();
        io.run_for(10ms);
    }
    return true;
}

// Runs `io` for `duration` (or until it runs out of work).
void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
    const auto deadline = SteadyClock::now() + duration;
    while (SteadyClock::now() < deadline) {
        io.restart();
        if (io.run_for(10ms) == 0 && io.stopped()) {
            // Out of work: nothing will happen until something new is queued.
            std::this_thread::sleep_for(1ms);
        }
    }
}

class DbListener : public pm::testing::DatabaseTest {
protected:
    ListenerOptions options(std::vector<std::string> channels) {
        ListenerOptions out;
        out.channels = std::move(channels);
        out.reconnect_min = 20ms;
        out.reconnect_max = 200ms;
        out.connect_timeout = 5s;
        return out;
    }

    std::unique_ptr<Listener> make(ListenerOptions opts, std::string url = {}) {
        return std::make_unique<Listener>(
            io.get_executor(), url.empty() ? database_url() : url, std::move(opts),
            [this](const Notification& n) { received.push_back(n); },
            [this](bool up) { states.push_back(up); });
    }

    void notify(const std::string& channel, const std::string& payload) {
        Connection sender(database_url());
        sender.exec("SELECT pg_notify($1, $2)", {channel, payload});
    }

    asio::io_context io;
    std::vector<Notification> received;
    std::vector<bool> states;
};

TEST_F(DbListener, NotificationsOnTwoChannelsArriveWithPayloads) {
    auto listener = make(options({"pm_dispatched", "Mixed Case \"channel\""}));
    EXPECT_FALSE(listener->connected());
    listener->start();
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();
    EXPECT_EQ(states, std::vector<bool>{true});
    EXPECT_NE(listener->backend_pid(), 0);
    EXPECT_EQ(listener->last_error(), "");

    notify("pm_dispatched", "01HZX");
    notify("Mixed Case \"channel\"", "");
    notify("not_listened", "ignored");
    notify("pm_dispatched", "01HZY");
    ASSERT_TRUE(run_until(io, [&] { return received.size() >= 3; }));
    run_for(io, 100ms);
    ASSERT_EQ(received.size(), 3u);
    EXPECT_EQ(received[0].channel, "pm_dispatched");
    EXPECT_EQ(received[0].payload, "01HZX");
    EXPECT_EQ(received[1].channel, "Mixed Case \"channel\"");
    EXPECT_EQ(received[1].payload, "");
    EXPECT_EQ(received[2].channel, "pm_dispatched");
    EXPECT_EQ(received[2].payload, "01HZY");
    EXPECT_EQ(listener->reconnects(), 0u);
}

TEST_F(DbListener, BurstArrivesCompleteAndInOrder) {
    auto listener = make(options({"burst"}));
    listener->start();
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();

    Connection sender(database_url());
    // One transaction of 2000 (delivered together at commit), then 200 separate ones.
    sender.exec("SELECT pg_notify('burst', i::text) FROM generate_series(1, 2000) AS i");
    for (int i = 2001; i <= 2200; ++i) {
        sender.exec("SELECT pg_notify('burst', $1)", {std::to_string(i)});
    }
    ASSERT_TRUE(run_until(io, [&] { return received.size() >= 2200; }))
        << "received " << received.size();
    for (std::size_t i = 0; i < received.size(); ++i) {
        ASSERT_EQ(received[i].payload, std::to_string(i + 1)) << "at " << i;
    }
}

TEST_F(DbListener, ReconnectsAfterItsBackendIsTerminated) {
    std::vector<std::string> lines;
    pm::Logger logger([&](std::string_view line) { lines.emplace_back(line); });
    auto opts = options({"hint"});
    opts.logger = &logger;
    auto listener = make(opts);
    listener->start();
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();
    const int pid = listener->backend_pid();
    ASSERT_NE(pid, 0);

    Connection admin(database_url());
    EXPECT_TRUE(admin.exec("SELECT pg_terminate_backend($1)", {std::to_string(pid)}).boolean(0, 0));
    ASSERT_TRUE(run_until(io, [&] { return states.size() >= 2; }));
    EXPECT_EQ(states[1], false);
    EXPECT_FALSE(listener->last_error().empty());
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();
    EXPECT_EQ(states, (std::vector<bool>{true, false, true}));
    EXPECT_EQ(listener->reconnects(), 1u);
    EXPECT_NE(listener->backend_pid(), pid);
    EXPECT_NE(listener->backend_pid(), 0);
    // Kept for diagnostics after the reconnect.
    EXPECT_NE(listener->last_error().find("terminating connection due to administrator command"),
              std::string::npos)
        << listener->last_error();

    notify("hint", "after reconnect");
    ASSERT_TRUE(run_until(io, [&] { return !received.empty(); }));
    EXPECT_EQ(received[0].payload, "after reconnect");

    // connected, lost (saying why), connected again.
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_NE(lines[0].find("database listener connected"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("lost its connection"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("database listener connected"), std::string::npos) << lines[2];
}

TEST_F(DbListener, KeepaliveNoticesAFrozenBackendAndPingsAHealthyOne) {
    auto opts = options({"hint"});
    opts.keepalive = 150ms;
    auto listener = make(opts);
    listener->start();
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();
    const int pid = listener->backend_pid();

    // A healthy connection survives several keepalive rounds, and they did run.
    run_for(io, 600ms);
    EXPECT_TRUE(listener->connected());
    EXPECT_EQ(listener->backend_pid(), pid);
    Connection admin(database_url());
    EXPECT_EQ(admin.exec("SELECT query FROM pg_stat_activity WHERE pid = $1", {std::to_string(pid)})
                  .text(0, 0),
              "SELECT 1");

    // A backend that stops answering (as behind a dead host) is given up after the keepalive.
    if (::kill(pid, 0) != 0) {
        GTEST_SKIP() << "cannot signal the server's processes (not local, or another user)";
    }
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    const bool lost = run_until(
        io, [&] { return states.size() >= 2; }, 5s);
    ::kill(pid, SIGCONT);
    ASSERT_TRUE(lost);
    EXPECT_NE(listener->last_error().find("keepalive"), std::string::npos)
        << listener->last_error();

    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();
    EXPECT_NE(listener->backend_pid(), pid);
    notify("hint", "x");
    ASSERT_TRUE(run_until(io, [&] { return !received.empty(); }));
}

TEST_F(DbListener, UnreachableServerIsRetriedAndExplained) {
    auto opts = options({"hint"});
    auto listener = make(opts, "postgresql://someone:secret@127.0.0.1:1/nothing");
    EXPECT_NO_THROW(listener->start());
    ASSERT_TRUE(run_until(io, [&] { return !listener->last_error().empty(); }));
    EXPECT_FALSE(listener->connected());
    EXPECT_EQ(listener->backend_pid(), 0);
    const std::string error = listener->last_error();
    EXPECT_NE(error.find("127.0.0.1"), std::string::npos) << error;
    EXPECT_NE(error.find("port 1"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_EQ(error.find("secret"), std::string::npos) << error;
    // Reported down once, not once per retry.
    run_for(io, 500ms);
    EXPECT_EQ(states, std::vector<bool>{false});

    const auto before = SteadyClock::now();
    listener->stop();
    EXPECT_LT(SteadyClock::now() - before, 100ms);
    // The coroutine ends promptly: the io_context runs out of work.
    io.restart();
    const auto running = SteadyClock::now();
    io.run_for(5s);
    EXPECT_LT(SteadyClock::now() - running, 1s);
}

TEST_F(DbListener, InvalidUrlIsReportedNotThrown) {
    auto listener = make(options({"hint"}), "postgresql://[broken");
    EXPECT_NO_THROW(listener->start());
    ASSERT_TRUE(run_until(io, [&] { return !listener->last_error().empty(); }));
    EXPECT_EQ(states, std::vector<bool>{false});
}

TEST_F(DbListener, StopIsPromptAndSilencesHandlers) {
    auto listener = make(options({"hint"}));
    listener->start();
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();

    notify("hint", "before stop");  // queued on the socket, not yet read
    const auto before = SteadyClock::now();
    listener->stop();
    listener->stop();  // idempotent
    EXPECT_LT(SteadyClock::now() - before, 100ms);
    EXPECT_FALSE(listener->connected());
    notify("hint", "after stop");

    io.restart();
    const auto running = SteadyClock::now();
    io.run_for(5s);
    EXPECT_LT(SteadyClock::now() - running, 1s) << "the listener did not wind down";
    EXPECT_TRUE(received.empty());
    EXPECT_EQ(states, std::vector<bool>{true});

    // The connection is gone from the server.
    Connection admin(database_url());
    EXPECT_TRUE(run_until(io, [&] {
        return admin
                   .exec(
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND query LIKE 'LISTEN%'")
                   .int64(0, 0) == 0;
    }));
    listener->start();  // after stop: nothing
    run_for(io, 100ms);
    EXPECT_EQ(states, std::vector<bool>{true});
}

TEST_F(DbListener, StopFromInsideAHandlerAndThrowingHandlers) {
    int calls = 0;
    std::unique_ptr<Listener> listener;
    listener = std::make_unique<Listener>(
        io.get_executor(), database_url(), options({"hint"}),
        [&](const Notification& n) {
            ++calls;
            if (n.payload == "throw") {
                throw std::runtime_error("handler failed");
            }
            if (n.payload == "stop") {
                listener->stop();
            }
        },
        [&](bool up) { states.push_back(up); });
    listener->start();
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();

    Connection sender(database_url());
    sender.exec(
        "SELECT pg_notify('hint', 'throw'); SELECT pg_notify('hint', 'ok');"
        "SELECT pg_notify('hint', 'stop'); SELECT pg_notify('hint', 'never')");
    ASSERT_TRUE(run_until(io, [&] { return calls >= 3; }));
    run_for(io, 200ms);
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(listener->handler_errors(), 1u);
    EXPECT_FALSE(listener->connected());
}

TEST_F(DbListener, SafeOnAMultiThreadedIoContext) {
    std::atomic<int> count{0};
    std::atomic<bool> in_order{true};
    std::atomic<bool> up{false};
    int last = 0;  // touched by handlers only, which the listener serializes
    Listener listener(
        io.get_executor(), database_url(), options({"hint"}),
        [&](const Notification& n) {
            const int value = std::stoi(n.payload);
            if (value != last + 1) {
                in_order = false;
            }
            last = value;
            ++count;
        },
        [&](bool connected) { up = connected; });
    auto work = asio::make_work_guard(io);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([this] { io.run(); });
    }
    listener.start();
    const auto deadline = SteadyClock::now() + 10s;
    while (!up && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(up) << listener.last_error();
    Connection sender(database_url());
    for (int i = 1; i <= 300; ++i) {
        sender.exec("SELECT pg_notify('hint', $1)", {std::to_string(i)});
    }
    while (count < 300 && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    listener.stop();
    const int at_stop = count;
    sender.exec("SELECT pg_notify('hint', 'late')");
    std::this_thread::sleep_for(100ms);
    work.reset();
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(at_stop, 300);
    EXPECT_EQ(count.load(), at_stop);
    EXPECT_TRUE(in_order);
}

TEST_F(DbListener, ListenerWithoutChannelsStillReportsItsConnection) {
    auto listener = make(options({}));
    listener->start();
    ASSERT_TRUE(run_until(io, [&] { return listener->connected(); })) << listener->last_error();
    EXPECT_EQ(states, std::vector<bool>{true});
}

}  // namespace
