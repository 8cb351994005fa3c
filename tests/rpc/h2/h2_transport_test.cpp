// The HTTP/2 transport end to end over loopback TCP: serve_http2() with a stand-in handler
// (h2_test_server.hpp), driven by the transport's own client (h2_client.hpp) and by raw frames.

#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include "h2_test_server.hpp"
#include "rpc/h2_client.hpp"
#include "rpc/tls.hpp"

namespace pm::rpc::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using detail::AnyStream;
using detail::H2ClientConnection;
using detail::H2Request;
using detail::H2Settings;

// Runs a client coroutine on an io_context of its own until it finishes, then lets the
// connections it made wind down; fails if either takes too long (a hang is a bug here).
void run_client(const std::function<Task<void>(asio::io_context&)>& body,
                std::chrono::seconds limit = 30s) {
    asio::io_context io;
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, body(io), [&](std::exception_ptr error) {
        failure = error;
        done = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < deadline && !io.stopped()) {
        io.run_one_for(100ms);
    }
    ASSERT_TRUE(done) << "the client coroutine did not finish in time";
    if (failure) {
        std::rethrow_exception(failure);
    }
    // Everything the client started (connections closing with GOAWAY) must end by itself.
    io.run_for(5s);
    EXPECT_TRUE(io.stopped()) << "the client left work behind";
}

Task<void> sleep_for(std::chrono::milliseconds duration) {
    asio::steady_timer timer(co_await asio::this_coro::executor, duration);
    co_await timer.async_wait(asio::use_awaitable);
}

// Polls `done` (state another coroutine or thread updates) until it holds or time runs out.
Task<bool> eventually(std::function<bool()> done, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            co_return false;
        }
        co_await sleep_for(2ms);
    }
    co_return true;
}

Task<tcp::socket> connect_tcp(asio::io_context& io, std::uint16_t port) {
    tcp::socket socket(io);
    co_await socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                                  asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    co_return socket;
}

Task<std::unique_ptr<H2ClientConnection>> connect(asio::io_context& io, std::uint16_t port,
                                                  H2Settings settings = {}) {
    auto socket = co_await connect_tcp(io, port);
    co_return std::make_unique<H2ClientConnection>(io.get_executor(), AnyStream(std::move(socket)),
                                                   settings);
}

H2Request request(std::string path) {
    H2Request head;
    head.authority = "127.0.0.1";
    head.path = std::move(path);
    return head;
}

std::string pattern(std::size_t size, std::size_t seed) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
    }
    return out;
}

Limits test_limits() {
    Limits limits;
    limits.send_timeout = 5000ms;
    limits.shutdown_grace = 5000ms;
    return limits;
}

TEST(H2Transport, UnaryRoundTrip) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto response = co_await connection->round_trip(request("/unary"), "hello");
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, "size=5");
        EXPECT_EQ(response.headers.get("content-type"), "text/plain");

        auto empty = co_await connection->round_trip(request("/unary"), "");
        EXPECT_EQ(empty.body, "size=0");
        auto missing = co_await connection->round_trip(request("/nowhere"), "");
        EXPECT_EQ(missing.status, 404);
    });
}

TEST(H2Transport, ManyConcurrentStreamsBeyondTheAdvertisedLimit) {
    auto limits = test_limits();
    limits.max_concurrent_streams = 16;
    H2TestServer server(limits);
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        // Until the server's SETTINGS arrive, a client may assume 100 streams and a server
        // with a lower limit refuses the excess (REFUSED_STREAM); one call first learns it.
        auto warm_up = co_await connection->round_trip(request("/unary"), "x");
        EXPECT_EQ(warm_up.status, 200);
        EXPECT_EQ(connection->remote_max_concurrent_streams(), 16u);
        constexpr int kCalls = 300;
        int finished = 0;
        int correct = 0;
        for (int i = 0; i < kCalls; ++i) {
            asio::co_spawn(
                io,
                [&, i]() -> Task<void> {
                    const auto body = pattern(1000 + static_cast<std::size_t>(i) * 37, i);
                    auto response = co_await connection->round_trip(request("/echo"), body);
                    if (response.status == 200 && response.body == body &&
                        response.trailers.get("x-result") == "ok") {
                        ++correct;
                    }
                },
                [&](std::exception_ptr) { ++finished; });
        }
        EXPECT_TRUE(co_await eventually([&] { return finished == kCalls; }, 20s));
        EXPECT_EQ(correct, kCalls);
        EXPECT_EQ(server.open_connections(), 1u);
    });
}

TEST(H2Transport, FullDuplexBodiesBeyondTheFlowControlWindows) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        // Small client windows too, so both directions stall and resume many times.
        H2Settings settings;
        settings.stream_window = 65535;
        settings.connection_window = 65535;
        auto connection = co_await connect(io, server.port(), settings);
        const auto body = pattern(8u << 20, 3);
        auto call = connection->start(request("/echo"));
        bool sent = false;
        asio::co_spawn(
            io,
            [&]() -> Task<void> {
                for (std::size_t offset = 0; offset < body.size(); offset += 100000) {
                    if (!co_await call->send_data(body.substr(offset, 100000), false)) {
                        co_return;
                    }
                }
                sent = co_await call->send_data(std::string(), true);
            },
            asio::detached);
        auto head = co_await call->read_head();
        EXPECT_EQ(head.status, 200);
        std::string echoed;
        while (auto chunk = co_await call->read_data()) {
            echoed += *chunk;
        }
        EXPECT_TRUE(sent);
        EXPECT_EQ(echoed.size(), body.size());
        EXPECT_TRUE(echoed == body);
        EXPECT_EQ(call->trailers().get("x-result"), "ok");
    });
}

TEST(H2Transport, ClientResetEndsTheHandlerAndSparesTheConnection) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto call = connection->start(request("/wait-reset"));
        EXPECT_TRUE(co_await call->send_data("some of the body", false));
        EXPECT_EQ((co_await call->read_head()).status, 200);
        call->cancel();
        EXPECT_TRUE(co_await eventually([&] { return server.probe().saw_cancel.load(); }));
        bool threw = false;
        try {
            co_await call->read_data();
        } catch (const RpcError& error) {
            threw = error.status().code == Code::canceled;
        }
        EXPECT_TRUE(threw);
        auto response = co_await connection->round_trip(request("/unary"), "still fine");
        EXPECT_EQ(response.body, "size=10");
        EXPECT_TRUE(co_await eventually([&] { return server.probe().handlers_running == 0; }));
    });
}

// Parses HTTP/2 frame headers out of raw bytes: (type, flags, payload) per frame.
struct RawFrame {
    int type;
    int flags;
    std::string payload;
};

std::vector<RawFrame> parse_frames(const std::string& bytes) {
    std::vector<RawFrame> frames;
    std::size_t at = 0;
    while (at + 9 <= bytes.size()) {
        const auto byte = [&](std::size_t i) {
            return static_cast<std::size_t>(static_cast<unsigned char>(bytes[at + i]));
        };
        const std::size_t length = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        if (at + 9 + length > bytes.size()) {
            break;
        }
        frames.push_back(
            {static_cast<int>(byte(3)), static_cast<int>(byte(4)), bytes.substr(at + 9, length)});
        at += 9 + length;
    }
    return frames;
}

// Reads until the peer closes (true) or `timeout` passes (false).
Task<bool> read_until_closed(tcp::socket& socket, std::string& received,
                             std::chrono::milliseconds timeout) {
    asio::steady_timer timer(socket.get_executor(), timeout);
    bool closed = false;
    auto reader = [&]() -> Task<void> {
        std::array<char, 4096> buffer;
        try {
            for (;;) {
                const auto size =
                    co_await socket.async_read_some(asio::buffer(buffer), asio::use_awaitable);
                received.append(buffer.data(), size);
            }
        } catch (const boost::system::system_error&) {
            closed = true;
        }
    };
    co_await (reader() || timer.async_wait(asio::use_awaitable));
    co_return closed;
}

TEST(H2Transport, GarbagePrefaceClosesOnlyThatConnection) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto good = co_await connect(io, server.port());
        EXPECT_EQ((co_await good->round_trip(request("/unary"), "x")).status, 200);

        auto bad = co_await connect_tcp(io, server.port());
        const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n and then some more bytes";
        co_await asio::async_write(bad, asio::buffer(garbage), asio::use_awaitable);
        std::string received;
        EXPECT_TRUE(co_await read_until_closed(bad, received, 5s));
        bool goaway = false;
        for (const auto& frame : parse_frames(received)) {
            goaway = goaway || frame.type == 0x7;
        }
        EXPECT_TRUE(goaway) << "expected GOAWAY before the close";

        auto response = co_await good->round_trip(request("/unary"), "after");
        EXPECT_EQ(response.body, "size=5");
        EXPECT_TRUE(co_await eventually([&] { return server.open_connections() == 1; }));
    });
}

TEST(H2Transport, PingsAreAnsweredAndBadFramesEndTheConnection) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto socket = co_await connect_tcp(io, server.port());
        std::string out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        out += std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);  // SETTINGS
        const std::string opaque = "pingpong";
        out += std::string("\x00\x00\x08\x06\x00\x00\x00\x00\x00", 9) + opaque;  // PING
        co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
        std::string received;
        std::array<char, 4096> buffer;
        bool acked = false;
        for (int reads = 0; reads < 10 && !acked; ++reads) {
            received.append(buffer.data(), co_await socket.async_read_some(asio::buffer(buffer),
                                                                           asio::use_awaitable));
            for (const auto& frame : parse_frames(received)) {
                acked =
                    acked || (frame.type == 0x6 && frame.flags == 0x1 && frame.payload == opaque);
            }
        }
        EXPECT_TRUE(acked);
        // A DATA frame on stream 0 is a connection error: GOAWAY, then the close.
        const std::string bad("\x00\x00\x01\x00\x00\x00\x00\x00\x00x", 10);
        co_await asio::async_write(socket, asio::buffer(bad), asio::use_awaitable);
        received.clear();
        EXPECT_TRUE(co_await read_until_closed(socket, received, 5s));
        bool goaway = false;
        for (const auto& frame : parse_frames(received)) {
            goaway = goaway || frame.type == 0x7;
        }
        EXPECT_TRUE(goaway);
    });
}

TEST(H2Transport, SlowClientBoundsWhatTheHandlerQueues) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());  // 1 MiB stream window
        auto head = request("/download");
        constexpr std::size_t kTotal = 16u << 20;
        head.headers.add("x-bytes", std::to_string(kTotal));
        auto call = connection->start(head, true);
        EXPECT_EQ((co_await call->read_head()).status, 200);
        co_await sleep_for(500ms);  // not reading: the window stays closed
        const auto queued = server.probe().download_sent.load();
        // The client's window, the server's send buffer, one piece, one frame of slack.
        EXPECT_LE(queued, (1u << 20) + (256u << 10) + (64u << 10) + (16u << 10));
        EXPECT_GT(queued, 0u);
        EXPECT_FALSE(server.probe().download_done);
        std::size_t received = 0;
        while (auto chunk = co_await call->read_data()) {
            received += chunk->size();
        }
        EXPECT_EQ(received, kTotal);
        EXPECT_TRUE(server.probe().download_done);
    });
}

TEST(H2Transport, SlowHandlerBoundsWhatTheClientQueues) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto head = request("/slow-read");
        head.headers.add("x-delay-ms", "700");
        auto call = connection->start(head);
        constexpr std::size_t kTotal = 4u << 20;
        std::size_t accepted = 0;
        asio::co_spawn(
            io,
            [&]() -> Task<void> {
                const std::string piece(64u << 10, 'u');
                while (accepted < kTotal) {
                    if (!co_await call->send_data(piece, false)) {
                        co_return;
                    }
                    accepted += piece.size();
                }
                co_await call->send_data(std::string(), true);
            },
            asio::detached);
        co_await sleep_for(400ms);
        // The server's stream window, the client's send buffer, one piece.
        EXPECT_LE(accepted, (1u << 20) + (256u << 10) + (64u << 10));
        EXPECT_GT(accepted, 0u);
        auto head_in = co_await call->read_head();
        EXPECT_EQ(head_in.status, 200);
        std::string body;
        while (auto chunk = co_await call->read_data()) {
            body += *chunk;
        }
        EXPECT_EQ(body, "size=" + std::to_string(kTotal));
    });
}

TEST(H2Transport, IdleConnectionIsClosed) {
    auto limits = test_limits();
    limits.idle_timeout = 200ms;
    H2TestServer server(limits);
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        EXPECT_EQ((co_await connection->round_trip(request("/unary"), "x")).status, 200);
        const auto started = std::chrono::steady_clock::now();
        asio::steady_timer limit(io, 5s);
        co_await (connection->wait_closed() || limit.async_wait(asio::use_awaitable));
        const auto elapsed = std::chrono::steady_clock::now() - started;
        EXPECT_FALSE(connection->is_open());
        EXPECT_LT(elapsed, 3s);
        EXPECT_GE(elapsed, 150ms);
        EXPECT_TRUE(co_await eventually([&] { return server.open_connections() == 0; }));
    });
}

TEST(H2Transport, BusyConnectionIsNotIdle) {
    auto limits = test_limits();
    limits.idle_timeout = 200ms;
    H2TestServer server(limits);
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto call = connection->start(request("/echo"));
        for (int i = 0; i < 6; ++i) {  // quiet for longer than the idle timeout in all
            co_await sleep_for(100ms);
        }
        EXPECT_TRUE(co_await call->send_data("still here", true));
        std::string echoed;
        while (auto chunk = co_await call->read_data()) {
            echoed += *chunk;
        }
        EXPECT_EQ(echoed, "still here");
    });
}

TEST(H2Transport, FullDuplexPingPongOfAThousandMessages) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto call = connection->start(request("/echo"));
        EXPECT_EQ((co_await call->read_head()).status, 200);
        int matched = 0;
        for (int i = 0; i < 1000; ++i) {
            const std::string message = "ping " + std::to_string(i);
            if (!co_await call->send_data(message, false)) {
                break;
            }
            std::string echoed;
            while (echoed.size() < message.size()) {
                auto chunk = co_await call->read_data();
                if (!chunk) {
                    break;
                }
                echoed += *chunk;
            }
            matched += echoed == message ? 1 : 0;
        }
        EXPECT_EQ(matched, 1000);
        EXPECT_TRUE(co_await call->send_data(std::string(), true));
        EXPECT_FALSE(co_await call->read_data());
        EXPECT_EQ(call->trailers().get("x-result"), "ok");
    });
}

detail::ConnectStreamRequest connect_request(std::string path) {
    detail::ConnectStreamRequest request;
    request.authority = "127.0.0.1";
    request.path = std::move(path);
    return request;
}

TEST(H2Transport, ConnectBidiStreamPingPong) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto stream = detail::open_connect_stream(*connection, connect_request("/connect-echo"));
        int matched = 0;
        for (int i = 0; i < 1000; ++i) {
            google::protobuf::StringValue out;
            out.set_value("message " + std::to_string(i));
            EXPECT_TRUE((co_await stream->write(out)).ok());
            google::protobuf::StringValue in;
            if (!co_await stream->read(in)) {
                break;
            }
            matched += in.value() == out.value() ? 1 : 0;
        }
        EXPECT_EQ(matched, 1000);
        co_await stream->close_send();
        google::protobuf::StringValue extra;
        EXPECT_FALSE(co_await stream->read(extra));
        EXPECT_TRUE(stream->finish().ok()) << stream->finish().message;
    });
}

TEST(H2Transport, ConnectStreamErrorArrivesInTheEndOfStreamMessage) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto stream = detail::open_connect_stream(*connection, connect_request("/connect-fail"));
        google::protobuf::StringValue out;
        out.set_value("hello");
        EXPECT_TRUE((co_await stream->write(out)).ok());
        co_await stream->close_send();
        google::protobuf::StringValue in;
        EXPECT_FALSE(co_await stream->read(in));
        EXPECT_EQ(stream->finish().code, Code::permission_denied);
        EXPECT_EQ(stream->finish().message, "no access");

        // Not a Connect stream at all: the HTTP status decides.
        auto missing = detail::open_connect_stream(*connection, connect_request("/nowhere"));
        EXPECT_FALSE(co_await missing->read(in));
        EXPECT_EQ(missing->finish().code, Code::unimplemented);
    });
}

TEST(H2Transport, GracefulShutdownFinishesInFlightStreams) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto call = connection->start(request("/delayed"), true);
        EXPECT_TRUE(co_await eventually([&] { return server.probe().delayed_started.load(); }));
        server.drain_all();
        EXPECT_TRUE(co_await eventually([&] { return !connection->is_open(); }))
            << "expected GOAWAY";
        auto head = co_await call->read_head();
        EXPECT_EQ(head.status, 200);
        std::string body;
        while (auto chunk = co_await call->read_data()) {
            body += *chunk;
        }
        EXPECT_EQ(body, "late");
        bool refused = false;
        try {
            connection->start(request("/unary"), true);
        } catch (const RpcError& error) {
            refused = error.status().code == Code::unavailable;
        }
        EXPECT_TRUE(refused);
        asio::steady_timer limit(io, 5s);
        co_await (connection->wait_closed() || limit.async_wait(asio::use_awaitable));
        EXPECT_TRUE(co_await eventually([&] { return server.open_connections() == 0; }));
    });
}

TEST(H2Transport, ShutdownGraceCutsOffHangingHandlers) {
    auto limits = test_limits();
    limits.shutdown_grace = 300ms;
    H2TestServer server(limits);
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto call = connection->start(request("/hang"), true);
        EXPECT_EQ((co_await call->read_head()).status, 200);
        const auto started = std::chrono::steady_clock::now();
        server.drain_all();
        Code code = Code::ok;
        try {
            co_await call->read_data();
        } catch (const RpcError& error) {
            code = error.status().code;
        }
        EXPECT_EQ(code, Code::unavailable);
        EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
        EXPECT_TRUE(co_await eventually([&] { return server.probe().hang_cancelled.load(); }));
        EXPECT_TRUE(co_await eventually([&] { return server.open_connections() == 0; }));
    });
}

TEST(H2Transport, TerminalCancellationClosesAtOnce) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto call = connection->start(request("/hang"), true);
        EXPECT_EQ((co_await call->read_head()).status, 200);
        server.cancel_all();
        bool failed = false;
        try {
            co_await call->read_data();
        } catch (const RpcError&) {
            failed = true;
        }
        EXPECT_TRUE(failed);
        EXPECT_TRUE(co_await eventually([&] { return server.probe().hang_cancelled.load(); }));
        EXPECT_TRUE(co_await eventually([&] { return server.open_connections() == 0; }));
    });
}

TEST(H2Transport, OversizedHeadersAreAnswered431) {
    auto limits = test_limits();
    limits.max_header_bytes = 4096;
    H2TestServer server(limits);
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto head = request("/unary");
        head.headers.add("x-big", std::string(8000, 'h'));
        auto response = co_await connection->round_trip(head, "");
        EXPECT_EQ(response.status, 431);
        EXPECT_EQ((co_await connection->round_trip(request("/unary"), "ok")).status, 200);
    });
}

TEST(H2Transport, UnfinishedResponseIsReset) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto call = connection->start(request("/abandon"), true);
        Code code = Code::ok;
        try {
            co_await call->read_head();
        } catch (const RpcError& error) {
            code = error.status().code;
        }
        EXPECT_EQ(code, Code::internal);
        EXPECT_EQ((co_await connection->round_trip(request("/unary"), "ok")).status, 200);
    });
}

TEST(H2Transport, ClientGoingAwayEndsTheServerConnection) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        {
            auto connection = co_await connect(io, server.port());
            EXPECT_EQ((co_await connection->round_trip(request("/unary"), "x")).status, 200);
            EXPECT_TRUE(co_await eventually([&] { return server.open_connections() == 1; }));
        }  // GOAWAY from the client
        EXPECT_TRUE(co_await eventually([&] { return server.open_connections() == 0; }));
    });
}

TEST(H2Transport, InitialBytesAreParsedFirst) {
    H2TestServer server(test_limits(), /*sniff_initial_bytes=*/true);
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto response = co_await connection->round_trip(request("/unary"), "sniffed");
        EXPECT_EQ(response.body, "size=7");
    });
}

TEST(H2Transport, ResetStreamsGiveBackTheConnectionWindow) {
    H2TestServer server(test_limits());
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        // 30 x 900 KiB that no handler reads, then reset: far beyond the 16 MiB connection
        // window, so a leak of unconsumed bytes would stall the last call.
        for (int i = 0; i < 30; ++i) {
            auto head = request("/slow-read");
            head.headers.add("x-delay-ms", "2000");
            auto call = connection->start(head);
            const bool sent = co_await call->send_data(std::string(900u << 10, 'r'), false);
            EXPECT_TRUE(sent);
            co_await sleep_for(5ms);
            call->cancel();
        }
        auto response =
            co_await connection->round_trip(request("/unary"), std::string(2u << 20, 'z'));
        EXPECT_EQ(response.body, "size=2097152");
    });
}

TEST(H2Transport, StalledStreamIsReset) {
    auto limits = test_limits();
    limits.send_timeout = 300ms;
    H2TestServer server(limits);
    run_client([&](asio::io_context& io) -> Task<void> {
        auto connection = co_await connect(io, server.port());
        auto head = request("/download");
        head.headers.add("x-bytes", std::to_string(16u << 20));
        auto call = connection->start(head, true);
        EXPECT_EQ((co_await call->read_head()).status, 200);
        co_await sleep_for(1000ms);  // the window stays closed longer than send_timeout
        std::size_t received = 0;
        Code code = Code::ok;
        try {
            for (;;) {
                auto chunk = co_await call->read_data();
                if (!chunk) {
                    break;
                }
                received += chunk->size();
            }
        } catch (const RpcError& error) {
            code = error.status().code;
        }
        EXPECT_EQ(code, Code::canceled);
        EXPECT_LT(received, 16u << 20);
        EXPECT_FALSE(server.probe().download_done);
        EXPECT_EQ((co_await connection->round_trip(request("/unary"), "alive")).status, 200);
    });
}

TEST(H2Transport, PeerThatStopsReadingIsDisconnected) {
    auto limits = test_limits();
    limits.send_timeout = 300ms;
    H2TestServer server(limits);
    run_client([&](asio::io_context& io) -> Task<void> {
        H2Settings unlimited;  // flow control never stops the server: only TCP can
        unlimited.stream_window = 0x7fffffff;
        unlimited.connection_window = 0x7fffffff;
        auto connection = co_await connect(io, server.port(), unlimited);
        auto head = request("/download");
        head.headers.add("x-bytes", std::to_string(1u << 30));
        auto call = connection->start(head, true);
        EXPECT_EQ((co_await call->read_head()).status, 200);
        // Block this client's only thread: nothing reads the socket, its buffers fill up and
        // the server's write stalls.
        std::this_thread::sleep_for(2s);
        EXPECT_EQ(server.open_connections(), 0u);
        bool failed = false;
        try {
            for (;;) {
                auto chunk = co_await call->read_data();
                if (!chunk) {
                    break;
                }
            }
        } catch (const RpcError&) {
            failed = true;
        }
        EXPECT_TRUE(failed);
    });
}

// A self-signed certificate for localhost, made with the openssl command line tool.
struct TestCertificate {
    std::filesystem::path directory;
    std::string certificate;
    std::string key;

    TestCertificate() {
        directory =
            std::filesystem::temp_directory_path() / ("pm_h2_tls_" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory);
        certificate = (directory / "cert.pem").string();
        key = (directory / "key.pem").string();
        const std::string command =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
            "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
            key + " -out " + certificate + " >/dev/null 2>&1";
        ok = std::system(command.c_str()) == 0;
    }
    ~TestCertificate() { std::filesystem::remove_all(directory); }
    bool ok = false;
};

TEST(H2Transport, TlsWithAlpnH2) {
    TestCertificate certificate;
    ASSERT_TRUE(certificate.ok) << "openssl could not make a test certificate";
    TlsOptions tls;
    tls.certificate_file = certificate.certificate;
    tls.private_key_file = certificate.key;
    H2TestServer server(test_limits(), false, tls);
    auto client_context = detail::make_client_context(certificate.certificate, "", "", {"h2"});
    run_client([&](asio::io_context& io) -> Task<void> {
        auto socket = co_await connect_tcp(io, server.port());
        AnyStream::TlsStream handshaking(std::move(socket), client_context);
        co_await handshaking.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        EXPECT_EQ(detail::selected_alpn(handshaking.native_handle()), "h2");
        H2ClientConnection connection(io.get_executor(), AnyStream(std::move(handshaking)));

        auto response = co_await connection.round_trip(request("/unary"), "over tls");
        EXPECT_EQ(response.body, "size=8");

        // Full duplex over TLS: one read and one write outstanding on the stream at once.
        const auto body = pattern(4u << 20, 5);
        auto call = connection.start(request("/echo"));
        asio::co_spawn(
            io,
            [&]() -> Task<void> {
                for (std::size_t offset = 0; offset < body.size(); offset += 65536) {
                    const bool sent = co_await call->send_data(body.substr(offset, 65536), false);
                    if (!sent) {
                        co_return;
                    }
                }
                co_await call->send_data(std::string(), true);
            },
            asio::detached);
        std::string echoed;
        for (;;) {
            auto chunk = co_await call->read_data();
            if (!chunk) {
                break;
            }
            echoed += *chunk;
        }
        EXPECT_TRUE(echoed == body);
        EXPECT_EQ(call->trailers().get("x-result"), "ok");
    });
}

}  // namespace
}  // namespace pm::rpc::test
