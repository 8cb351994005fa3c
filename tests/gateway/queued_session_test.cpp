// QueuedSession: the bounded queue, and next() woken from other threads while a coroutine
// waits on an io_context.

#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <powermanage/gateway/connection_manager.hpp>

#include "pm/v1/agent.pb.h"

namespace pm::gateway {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::shared_ptr<const v1::ServerMessage> message(std::string id) {
    auto result = std::make_shared<v1::ServerMessage>();
    result->set_id(std::move(id));
    return result;
}

// Polls `condition` for up to five seconds.
template <class F>
bool eventually(F condition) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// What a writer coroutine saw: message ids, then "close:<code>:<message>", then "end".
class Transcript {
public:
    void add(std::string line) {
        std::lock_guard lock(mutex_);
        lines_.push_back(std::move(line));
    }
    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return lines_.size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

// The stream handler's writer loop, minus the network.
asio::awaitable<void> writer(std::shared_ptr<QueuedSession> session, Transcript& transcript) {
    for (;;) {
        auto item = co_await session->next();
        if (!item) {
            break;
        }
        if (auto* close = std::get_if<QueuedSession::Close>(&*item)) {
            transcript.add("close:" + close->code + ":" + close->message);
        } else {
            transcript.add(std::get<QueuedSession::Message>(*item)->id());
        }
    }
    transcript.add("end");
}

TEST(QueuedSession, OfferWithoutWriterQueuesUpToCapacity) {
    auto session = QueuedSession::create({.capacity = 3, .stall_after = {}});
    EXPECT_FALSE(session->idle());
    EXPECT_EQ(session->offer(message("a")), OfferResult::queued);
    EXPECT_EQ(session->offer(message("b")), OfferResult::queued);
    EXPECT_EQ(session->offer(message("c")), OfferResult::queued);
    EXPECT_EQ(session->offer(message("d")), OfferResult::full);
    EXPECT_EQ(session->queued(), 3u);
    session->close("bye", "closing");
    EXPECT_TRUE(session->closing());
    EXPECT_EQ(session->offer(message("e")), OfferResult::closed);
}

TEST(QueuedSession, IdsAreUnique) {
    auto a = QueuedSession::create();
    auto b = QueuedSession::create();
    EXPECT_NE(a->id(), b->id());
    EXPECT_NE(a->id(), 0u);
}

TEST(QueuedSession, WriterStuckTooLongIsStalled) {
    auto session = QueuedSession::create({.capacity = 64, .stall_after = 1ms});
    // The first message may wait: the stall clock only counts while messages are waiting.
    EXPECT_EQ(session->offer(message("a")), OfferResult::queued);
    std::this_thread::sleep_for(5ms);
    EXPECT_EQ(session->offer(message("b")), OfferResult::full);
    EXPECT_EQ(session->queued(), 1u);
}

TEST(QueuedSession, NextHandsOutQueuedMessagesInOrderThenTheCloseThenEnds) {
    auto session = QueuedSession::create();
    for (int i = 0; i < 10; ++i) {  // past the first ring allocation, so it grows and wraps
        ASSERT_EQ(session->offer(message(std::to_string(i))), OfferResult::queued);
    }
    asio::io_context io;
    Transcript transcript;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            // Take five, then let the close overtake the rest.
            for (int i = 0; i < 5; ++i) {
                auto item = co_await session->next();
                transcript.add(std::get<QueuedSession::Message>(item.value())->id());
            }
            session->close("replaced", "newer");
            co_await writer(session, transcript);
        },
        asio::detached);
    io.run();
    EXPECT_EQ(transcript.lines(),
              (std::vector<std::string>{"0", "1", "2", "3", "4", "close:replaced:newer", "end"}));
    EXPECT_EQ(session->queued(), 0u);  // dropped with the close
}

TEST(QueuedSession, NextWakesOnOfferAndCloseFromAnotherThread) {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    auto session = QueuedSession::create();
    Transcript transcript;
    asio::co_spawn(asio::make_strand(io), writer(session, transcript), asio::detached);

    // Each offer finds the writer asleep in next() with nothing queued: delivered.
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(eventually([&] { return session->idle(); })) << i;
        EXPECT_EQ(session->offer(message("m" + std::to_string(i))), OfferResult::delivered);
        ASSERT_TRUE(
            eventually([&] { return transcript.size() == static_cast<std::size_t>(i + 1); }));
    }
    ASSERT_TRUE(eventually([&] { return session->idle(); }));
    session->close("replaced", "replaced by a newer connection");
    session->close("second", "ignored");  // idempotent
    ASSERT_TRUE(eventually([&] { return transcript.size() == 22; }));
    auto lines = transcript.lines();
    EXPECT_EQ(lines[0], "m0");
    EXPECT_EQ(lines[19], "m19");
    EXPECT_EQ(lines[20], "close:replaced:replaced by a newer connection");
    EXPECT_EQ(lines[21], "end");
    work.reset();
    runner.join();
}

TEST(QueuedSession, BurstFromManyThreadsArrivesComplete) {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    auto session = QueuedSession::create({.capacity = 100000, .stall_after = {}});
    Transcript transcript;
    asio::co_spawn(asio::make_strand(io), writer(session, transcript), asio::detached);

    constexpr int kThreads = 4;
    constexpr int kEach = 2000;
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t) {
        producers.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                auto result = session->offer(message(std::to_string(t) + "." + std::to_string(i)));
                EXPECT_NE(result, OfferResult::full);
                EXPECT_NE(result, OfferResult::closed);
            }
        });
    }
    for (auto& producer : producers) {
        producer.join();
    }
    ASSERT_TRUE(eventually([&] { return transcript.size() == kThreads * kEach; }));
    session->close("done", "done");
    ASSERT_TRUE(eventually([&] { return transcript.size() == kThreads * kEach + 2; }));
    work.reset();
    runner.join();
}

TEST(QueuedSession, CancelledNextThrowsAndLeavesTheQueueUsable) {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context io;
    auto session = QueuedSession::create();
    bool aborted = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::steady_timer timeout(co_await asio::this_coro::executor, 10ms);
            auto which = co_await (session->next() || timeout.async_wait(asio::use_awaitable));
            aborted = which.index() == 1;
        },
        asio::detached);
    io.run();
    EXPECT_TRUE(aborted);
    EXPECT_FALSE(session->idle());  // nobody waits any more
    EXPECT_EQ(session->offer(message("after")), OfferResult::queued);

    io.restart();
    Transcript transcript;
    asio::co_spawn(io, writer(session, transcript), asio::detached);
    io.poll();
    session->close("x", "y");
    io.run();
    EXPECT_EQ(transcript.lines(), (std::vector<std::string>{"after", "close:x:y", "end"}));
}

}  // namespace
}  // namespace pm::gateway
