// gateway_load: the gateway's load benchmark. Against a running pm-control and pm-gateway
// (benchmarks/gateway/run_load.sh starts them), it registers and connects N simulated agents
// (examples/agent-sim), then measures
//   - full mTLS handshakes per second while the fleet connects,
//   - the gateway's resident memory per connected agent (from /proc/<gateway pid>/status),
//   - dispatch latency from the DispatchAction call to the agent's receipt, p50/p99/max, at
//     each offered rate (open loop: calls start on schedule whatever the answers do).
// It prints one line per figure; run_load.sh records them with the machine's limits.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <powermanage/common/config.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/rpc/client.hpp>

#include "agent_fleet.hpp"
#include "pm/v1/control.pb.h"
#include "support/drive.hpp"

namespace {

using pm::bench::percentile;
using pm::bench::run;

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::int64_t rss_kib(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            std::istringstream in(line.substr(6));
            std::int64_t kib = 0;
            in >> kib;
            return kib;
        }
    }
    return -1;
}

// One offered rate's bookkeeping, shared with its calls (which may outlive the round).
struct Round {
    std::unordered_map<std::string, Clock::time_point> sent;  // execution id -> call start
    std::atomic<int> in_flight{0};
    std::atomic<int> failures{0};
    std::atomic<int> skipped{0};
    std::atomic<int> answered{0};
};

// A plain function, not a capturing lambda: a coroutine keeps its parameters, not a lambda's
// captures, alive while it is suspended.
pm::rpc::Task<void> dispatch_one(pm::rpc::Client& control, pm::rpc::Headers auth, std::mutex& mutex,
                                 std::shared_ptr<Round> round, std::string device) {
    pm::v1::DispatchActionRequest request;
    request.set_device_id(device);
    auto* action = request.mutable_inline_action();
    action->mutable_id()->set_value(pm::new_ulid());
    action->set_type(pm::v1::ACTION_TYPE_SHELL);
    action->mutable_shell()->set_script("true");
    pm::v1::DispatchActionResponse response;
    const auto at = Clock::now();
    auto result =
        co_await control.unary("pm.v1.ControlService.DispatchAction", request, response, auth);
    if (result.ok()) {
        std::lock_guard lock(mutex);
        round->sent.emplace(response.execution().id(), at);
    } else {
        ++round->failures;
    }
    ++round->answered;
    --round->in_flight;
}

pm::OptionSet options() {
    pm::OptionSet set("gateway_load", "Load benchmark of pm-gateway with simulated agents.");
    set.add_string("control-url").default_value("http://127.0.0.1:8081").help("pm-control.");
    set.add_string("email").default_value("admin@example.com").help("An admin's email.");
    set.add_string("password").default_value("change-me-please").help("Its password.");
    set.add_int("agents").default_value(10000).range(1, 100000).help("Agents to connect.");
    set.add_path("state-dir")
        .default_value("./gateway-load-agents")
        .help("Where the agents' identities are kept (reused across runs).");
    set.add_int("gateway-pid").default_value(0).help("pm-gateway's pid, for its memory.");
    set.add_string("rates").default_value("100,1000").help("Dispatches per second to offer.");
    set.add_duration("duration").default_value("10s").help("How long each rate is offered.");
    set.add_int("threads").default_value(2).range(1, 64).help("Agent I/O threads.");
    set.add_int("in-flight")
        .default_value(2000)
        .range(1, 100000)
        .help("Most DispatchAction calls outstanding at once.");
    return set;
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    try {
        const auto config = set.parse_or_exit(argc, argv);
        const auto agents = static_cast<std::size_t>(config.get_int("agents"));
        const int gateway_pid = static_cast<int>(config.get_int("gateway-pid"));
        asio::io_context io;
        pm::rpc::ClientOptions client_options;
        client_options.base_url = config.get_string("control-url");
        client_options.timeout = std::chrono::seconds(60);
        pm::rpc::Client control(io.get_executor(), client_options);

        pm::v1::LoginRequest login;
        login.set_email(config.get_string("email"));
        login.set_password(config.get_string("password"));
        pm::v1::LoginResponse session;
        auto status = run(io, control.unary("pm.v1.ControlService.Login", login, session));
        if (!status.ok()) {
            throw std::runtime_error("Login: " + status.message);
        }
        pm::rpc::Headers auth;
        auth.add("authorization", "Bearer " + session.access_token());
        pm::v1::CreateTokenRequest token_request;
        token_request.set_name("gateway_load");
        pm::v1::CreateTokenResponse token;
        status =
            run(io, control.unary("pm.v1.ControlService.CreateToken", token_request, token, auth));
        if (!status.ok()) {
            throw std::runtime_error("CreateToken: " + status.message);
        }

        pm::agentsim::FleetOptions fleet_options;
        fleet_options.control_url = client_options.base_url;
        fleet_options.registration_token = token.token().value();
        fleet_options.count = agents;
        fleet_options.state_dir = config.get_path("state-dir");
        fleet_options.threads = static_cast<std::size_t>(config.get_int("threads"));
        fleet_options.registration_concurrency = 32;
        fleet_options.backoff_min = std::chrono::milliseconds(500);
        fleet_options.backoff_max = std::chrono::seconds(5);
        fleet_options.connect_timeout = std::chrono::seconds(60);
        fleet_options.welcome_timeout = std::chrono::seconds(60);
        pm::agentsim::AgentFleet fleet(fleet_options);

        auto started = Clock::now();
        const auto report = fleet.register_all([&](std::size_t done, std::size_t total) {
            std::fprintf(stderr, "\rregistered %zu/%zu", done, total);
            return true;
        });
        std::fprintf(stderr, "\n");
        if (report.registered < agents) {
            throw std::runtime_error("registered only " + std::to_string(report.registered) + ": " +
                                     report.first_error);
        }
        if (report.loaded < agents) {
            const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
            fmt::print("registrations: {} in {:.1f} s = {:.0f}/s\n", agents - report.loaded,
                       seconds, static_cast<double>(agents - report.loaded) / seconds);
        }

        std::mutex mutex;
        std::unordered_map<std::string, Clock::time_point> received;
        fleet.on_dispatch(
            [&](const std::string&, const std::string& execution_id, Clock::time_point at) {
                std::lock_guard lock(mutex);
                received.emplace(execution_id, at);
            });

        const auto rss_before = gateway_pid > 0 ? rss_kib(gateway_pid) : -1;
        started = Clock::now();
        fleet.start();
        while (fleet.stats().connected < agents) {
            if (Clock::now() - started > std::chrono::minutes(5)) {
                throw std::runtime_error("only " + std::to_string(fleet.stats().connected) +
                                         " agents connected within 5 minutes");
            }
            std::fprintf(stderr, "\rconnected %zu/%zu", fleet.stats().connected, agents);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        const double connect_seconds =
            std::chrono::duration<double>(Clock::now() - started).count();
        std::fprintf(stderr, "\n");
        fmt::print("connect: {} agents (full mTLS handshakes) in {:.2f} s = {:.0f} handshakes/s\n",
                   agents, connect_seconds, static_cast<double>(agents) / connect_seconds);
        std::this_thread::sleep_for(std::chrono::seconds(3));  // let allocations settle
        if (gateway_pid > 0) {
            const auto rss_after = rss_kib(gateway_pid);
            fmt::print(
                "gateway memory: {} MiB before, {} MiB with {} agents = {:.1f} KiB per agent\n",
                rss_before / 1024, rss_after / 1024, agents,
                static_cast<double>(rss_after - rss_before) / static_cast<double>(agents));
        }

        std::vector<std::string> devices;
        for (std::size_t i = 0; i < agents; ++i) {
            devices.push_back(fleet.device_id(i));
        }
        std::mt19937 random(42);
        const auto duration = config.get_duration("duration");
        const auto in_flight_limit = static_cast<int>(config.get_int("in-flight"));
        std::stringstream rates(config.get_string("rates"));
        std::string rate_text;
        while (std::getline(rates, rate_text, ',')) {
            const double rate = std::stod(rate_text);
            // Shared with the calls, which may outlive this round if the server stalls.
            auto round = std::make_shared<Round>();
            auto& sent = round->sent;
            auto& in_flight = round->in_flight;
            auto& failures = round->failures;
            auto& skipped = round->skipped;
            auto& answered = round->answered;
            const auto interval = std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(1.0 / rate));
            const auto begin = Clock::now();
            std::size_t calls = 0;
            while (Clock::now() - begin < duration) {
                const auto due = begin + interval * static_cast<long>(calls);
                if (Clock::now() < due) {
                    io.run_until(due);
                    io.restart();
                    continue;
                }
                ++calls;
                if (in_flight >= in_flight_limit) {
                    ++skipped;  // the server is behind: count it rather than queue without bound
                    continue;
                }
                ++in_flight;
                asio::co_spawn(
                    io,
                    dispatch_one(control, auth, mutex, round, devices[random() % devices.size()]),
                    asio::detached);
                io.poll();
                io.restart();
            }
            const auto offered_end = Clock::now();
            while (in_flight > 0 && Clock::now() - offered_end < std::chrono::seconds(60)) {
                io.run_for(std::chrono::milliseconds(50));
                io.restart();
            }
            std::this_thread::sleep_for(std::chrono::seconds(2));  // last receipts
            std::vector<double> latencies;
            {
                std::lock_guard lock(mutex);
                for (const auto& [id, at] : sent) {
                    if (auto it = received.find(id); it != received.end()) {
                        latencies.push_back(
                            std::chrono::duration<double, std::milli>(it->second - at).count());
                    }
                }
            }
            const double seconds = std::chrono::duration<double>(offered_end - begin).count();
            fmt::print(
                "dispatch at {:.0f}/s offered: {} calls, {} answered ({:.0f}/s), {} failed, {} "
                "skipped (over {} in flight), {} received by agents; latency p50 {:.1f} ms, p99 "
                "{:.1f} ms, max {:.1f} ms\n",
                rate, calls, answered.load(), static_cast<double>(answered.load()) / seconds,
                failures.load(), skipped.load(), in_flight_limit, latencies.size(),
                percentile(latencies, 0.50), percentile(latencies, 0.99),
                percentile(latencies, 1.0));
            std::fflush(stdout);
        }
        fleet.stop();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gateway_load: %s\n", e.what());
        return 1;
    }
}
