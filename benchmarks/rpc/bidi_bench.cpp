// Connect through pm::rpc::Client on loopback against an in-process Server serving tests/rpc's
// echo service (pm.test.v1.EchoService):
//   - bidi messages/s over h2c: one stream in ping-pong, one stream pipelined (64 messages in
//     flight), 16 streams on one connection, 16 connections with one stream each;
//   - unary calls/s with 16 concurrent callers: HTTP/1.1 + JSON (16 connections, as HTTP/1.1
//     carries one call at a time) and HTTP/2 + proto (one multiplexed connection).
// items_per_second counts echoed messages (bidi) or completed calls (unary).
//
// The client runs on the benchmark thread, the server on PM_BENCH_SERVER_THREADS I/O threads
// (default 1, so that on the 2-core reference machine each side has a core). Every batch must
// finish within kBatchLimit, or the benchmark stops with an error instead of hanging.

#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <powermanage/rpc/client.hpp>
#include <powermanage/rpc/server.hpp>

#include "echo.pb.h"
#include "echo_service.hpp"
#include "support/drive.hpp"

namespace {

namespace asio = boost::asio;
namespace rpc = pm::rpc;
using pm::test::v1::EchoRequest;
using pm::test::v1::EchoResponse;

constexpr auto kBatchLimit = std::chrono::seconds(30);
constexpr int kStreams = 16;
constexpr int kCallers = 16;
constexpr int kWindow = 64;

std::size_t server_threads() {
    const char* text = std::getenv("PM_BENCH_SERVER_THREADS");
    const long threads = text != nullptr ? std::strtol(text, nullptr, 10) : 1;
    return threads > 0 ? static_cast<std::size_t>(threads) : 1;
}

// An echo server on a free loopback port (cleartext: HTTP/1.1 and h2c), for one benchmark.
std::unique_ptr<rpc::Server> start_server() {
    rpc::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.io_threads = server_threads();
    options.limits.shutdown_grace = std::chrono::seconds(1);
    auto server = std::make_unique<rpc::Server>(std::move(options));
    pm::testing::add_echo_service(*server);
    server->start();
    return server;
}

rpc::ClientOptions client_options(const rpc::Server& server, bool http2, rpc::Codec codec) {
    rpc::ClientOptions options;
    options.base_url = "http://127.0.0.1:" + std::to_string(server.port());
    options.http2 = http2;
    options.codec = codec;
    options.timeout = std::chrono::seconds(10);
    return options;
}

void drive(asio::io_context& io, std::vector<rpc::Task<void>> tasks) {
    pm::bench::drive(io, std::move(tasks), kBatchLimit);
}

void drive(asio::io_context& io, rpc::Task<void> task) {
    pm::bench::drive(io, std::move(task), kBatchLimit);
}

EchoRequest ping() {
    EchoRequest request;
    request.set_message("ping");
    return request;
}

rpc::Task<void> open_stream(rpc::Client& client, std::unique_ptr<rpc::ClientStream>& stream) {
    stream = co_await client.stream(pm::testing::kEchoBidi);
}

rpc::Task<void> write(rpc::ClientStream& stream, const EchoRequest& request) {
    const auto status = co_await stream.write(request);
    if (!status.ok()) {
        throw std::runtime_error("write failed: " + status.message);
    }
}

rpc::Task<void> read(rpc::ClientStream& stream, EchoResponse& response) {
    const bool got = co_await stream.read(response);
    if (!got) {
        throw std::runtime_error("the stream ended: " + stream.finish().message);
    }
}

// One message in flight: write, wait for its echo, repeat.
rpc::Task<void> ping_pong(rpc::ClientStream& stream, int messages) {
    const auto request = ping();
    EchoResponse response;
    for (int i = 0; i < messages; ++i) {
        co_await write(stream, request);
        co_await read(stream, response);
    }
}

// Up to `window` messages in flight: each echo read makes room for one more write. write()
// returns once the message is queued, so one coroutine can keep the window full.
rpc::Task<void> pipelined(rpc::ClientStream& stream, int messages, int window) {
    const auto request = ping();
    EchoResponse response;
    int sent = 0;
    for (; sent < messages && sent < window; ++sent) {
        co_await write(stream, request);
    }
    for (int received = 0; received < messages; ++received) {
        co_await read(stream, response);
        if (sent < messages) {
            co_await write(stream, request);
            ++sent;
        }
    }
}

rpc::Task<void> finish(rpc::ClientStream& stream) {
    co_await stream.close_send();
    EchoResponse response;
    while (co_await stream.read(response)) {
    }
    const auto status = stream.finish();
    if (!status.ok()) {
        throw std::runtime_error("the stream failed: " + status.message);
    }
}

rpc::Task<void> unary_calls(rpc::Client& client, int calls) {
    const auto request = ping();
    EchoResponse response;
    for (int i = 0; i < calls; ++i) {
        const auto status = co_await client.unary(pm::testing::kEchoUnary, request, response);
        if (!status.ok()) {
            throw std::runtime_error("call failed: " + status.message);
        }
    }
}

// `streams` bidi streams spread over `connections` clients (round robin); each iteration
// pushes `messages` messages through every stream, `window` in flight per stream (1 =
// ping-pong).
void run_bidi(benchmark::State& state, int connections, int streams, int messages, int window) {
    try {
        const auto server = start_server();
        asio::io_context io;
        std::vector<std::unique_ptr<rpc::Client>> clients;
        for (int i = 0; i < connections; ++i) {
            clients.push_back(std::make_unique<rpc::Client>(
                io.get_executor(), client_options(*server, true, rpc::Codec::proto)));
        }
        std::vector<std::unique_ptr<rpc::ClientStream>> open(static_cast<std::size_t>(streams));
        for (int i = 0; i < streams; ++i) {
            auto& client = *clients[static_cast<std::size_t>(i % connections)];
            drive(io, open_stream(client, open[static_cast<std::size_t>(i)]));
        }
        for (auto _ : state) {
            std::vector<rpc::Task<void>> batch;
            for (auto& stream : open) {
                batch.push_back(window == 1 ? ping_pong(*stream, messages)
                                            : pipelined(*stream, messages, window));
            }
            drive(io, std::move(batch));
        }
        state.SetItemsProcessed(state.iterations() * streams * messages);
        std::vector<rpc::Task<void>> closing;
        for (auto& stream : open) {
            closing.push_back(finish(*stream));
        }
        drive(io, std::move(closing));
        open.clear();
        clients.clear();
        io.restart();
        io.run_for(std::chrono::milliseconds(200));  // let the connections say GOAWAY
    } catch (const std::exception& error) {
        state.SkipWithError(error.what());
    }
}

// `callers` concurrent callers, each making `calls` unary calls per iteration, over one shared
// client or one client each.
void run_unary(benchmark::State& state, bool http2, rpc::Codec codec, bool shared_client,
               int callers, int calls) {
    try {
        const auto server = start_server();
        asio::io_context io;
        std::vector<std::unique_ptr<rpc::Client>> clients;
        for (int i = 0; i < (shared_client ? 1 : callers); ++i) {
            clients.push_back(std::make_unique<rpc::Client>(io.get_executor(),
                                                            client_options(*server, http2, codec)));
        }
        for (auto& client : clients) {
            drive(io, unary_calls(*client, 1));  // connect outside the measurement
        }
        for (auto _ : state) {
            std::vector<rpc::Task<void>> batch;
            for (int i = 0; i < callers; ++i) {
                auto& client = *clients[shared_client ? 0 : static_cast<std::size_t>(i)];
                batch.push_back(unary_calls(client, calls));
            }
            drive(io, std::move(batch));
        }
        state.SetItemsProcessed(state.iterations() * callers * calls);
        clients.clear();
        io.restart();
        io.run_for(std::chrono::milliseconds(200));
    } catch (const std::exception& error) {
        state.SkipWithError(error.what());
    }
}

void BM_BidiPingPong(benchmark::State& state) {
    run_bidi(state, 1, 1, 100, 1);
}
BENCHMARK(BM_BidiPingPong)->UseRealTime()->MinTime(1);

void BM_BidiPipelined64(benchmark::State& state) {
    run_bidi(state, 1, 1, 1000, kWindow);
}
BENCHMARK(BM_BidiPipelined64)->UseRealTime()->MinTime(1);

void BM_Bidi16StreamsOneConnection(benchmark::State& state) {
    run_bidi(state, 1, kStreams, 50, 1);
}
BENCHMARK(BM_Bidi16StreamsOneConnection)->UseRealTime()->MinTime(1);

void BM_Bidi16Connections(benchmark::State& state) {
    run_bidi(state, kStreams, kStreams, 50, 1);
}
BENCHMARK(BM_Bidi16Connections)->UseRealTime()->MinTime(1);

void BM_UnaryHttp1Json16Callers(benchmark::State& state) {
    run_unary(state, false, rpc::Codec::json, false, kCallers, 20);
}
BENCHMARK(BM_UnaryHttp1Json16Callers)->UseRealTime()->MinTime(1);

void BM_UnaryHttp2Proto16Callers(benchmark::State& state) {
    run_unary(state, true, rpc::Codec::proto, true, kCallers, 20);
}
BENCHMARK(BM_UnaryHttp2Proto16Callers)->UseRealTime()->MinTime(1);

}  // namespace
