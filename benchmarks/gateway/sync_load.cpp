// sync_load: SyncActions served per second by one pm-gateway (issue 10's benchmark). Against a
// running pm-control and pm-gateway (benchmarks/gateway/run_sync_load.sh starts them), it
//   1. registers N devices through Register (examples/agent-sim keeps their keys),
//   2. builds their configuration through the control API: A actions (package, shell and file
//      in turn) in one set, the set in one definition, the definition assigned to every
//      device, so that each device resolves to A signed actions,
//   3. syncs every device once over its own mTLS connection (the reconnect storm: a full
//      handshake and a sync per device),
//   4. keeps those N connections and runs C SyncActions calls at once for T seconds, each call
//      for the next device in turn (closed loop: a call starts when one ends), and reports
//      calls/s and latency p50/p99,
//   5. with --database-url, measures the resolution alone (projection::resolve_device on C
//      connections for T seconds): the PostgreSQL side's ceiling in the same run.
// Every answer is checked to hold A actions; a shorter or failed one counts as a failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <powermanage/common/config.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/projection/resolution.hpp>
#include <powermanage/rpc/client.hpp>

#include "agent_fleet.hpp"
#include "identity_store.hpp"
#include "pm/v1/agent.pb.h"
#include "pm/v1/control.pb.h"
#include "support/drive.hpp"

namespace {

using pm::bench::percentile;
using pm::bench::run;

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// One control-plane call that must succeed.
template <class Response, class Request>
Response must(asio::io_context& io, pm::rpc::Client& control, const pm::rpc::Headers& auth,
              const std::string& method, const Request& request) {
    Response response;
    const auto status =
        run(io, control.unary("pm.v1.ControlService." + method, request, response, auth));
    if (!status.ok()) {
        throw std::runtime_error(method + ": " + status.message);
    }
    return response;
}

// The configuration every device resolves to: `actions` actions in one set in one definition.
std::string build_definition(asio::io_context& io, pm::rpc::Client& control,
                             const pm::rpc::Headers& auth, int actions) {
    pm::v1::CreateActionSetRequest set_request;
    set_request.set_name("sync-load-set");
    const auto set =
        must<pm::v1::CreateActionSetResponse>(io, control, auth, "CreateActionSet", set_request)
            .set()
            .id();
    for (int i = 0; i < actions; ++i) {
        pm::v1::CreateActionRequest request;
        request.set_name(fmt::format("sync-load-{:03}", i));
        request.set_timeout_seconds(300);
        switch (i % 3) {
            case 0:
                request.set_type(pm::v1::ACTION_TYPE_PACKAGE);
                request.mutable_package()->set_name(fmt::format("package-{}", i));
                break;
            case 1:
                request.set_type(pm::v1::ACTION_TYPE_SHELL);
                request.mutable_shell()->set_script(
                    fmt::format("#!/bin/sh\n# step {}\ntest -f /etc/marker-{} || touch "
                                "/etc/marker-{}\n",
                                i, i, i));
                break;
            default:
                request.set_type(pm::v1::ACTION_TYPE_FILE);
                request.mutable_file()->set_path(fmt::format("/etc/sync-load/{}.conf", i));
                request.mutable_file()->set_content(fmt::format("setting_{} = {}\n", i, i * 7));
                request.mutable_file()->set_mode("0644");
                break;
        }
        const auto action =
            must<pm::v1::CreateActionResponse>(io, control, auth, "CreateAction", request)
                .action()
                .id();
        pm::v1::AddActionToSetRequest add;
        add.set_set_id(set);
        add.set_action_id(action);
        add.set_sort_order(i);
        must<pm::v1::AddActionToSetResponse>(io, control, auth, "AddActionToSet", add);
    }
    pm::v1::CreateDefinitionRequest definition_request;
    definition_request.set_name("sync-load-definition");
    const auto definition = must<pm::v1::CreateDefinitionResponse>(
                                io, control, auth, "CreateDefinition", definition_request)
                                .definition()
                                .id();
    pm::v1::AddActionSetToDefinitionRequest add;
    add.set_definition_id(definition);
    add.set_action_set_id(set);
    must<pm::v1::AddActionSetToDefinitionResponse>(io, control, auth, "AddActionSetToDefinition",
                                                   add);
    return definition;
}

// Shared by the calls of one phase.
struct Phase {
    std::vector<double> latencies_ms;  // per successful call (one thread: no lock)
    std::size_t failures = 0;
    std::string first_error;
    std::size_t answered = 0;
};

pm::rpc::Task<void> assign_one(pm::rpc::Client& control, pm::rpc::Headers auth,
                               std::string definition, std::string device, Phase& phase) {
    pm::v1::CreateAssignmentRequest request;
    request.set_source_type("definition");
    request.set_source_id(definition);
    request.set_target_type("device");
    request.set_target_id(device);
    request.set_mode(pm::v1::ASSIGNMENT_MODE_PRESENT);
    pm::v1::CreateAssignmentResponse response;
    const auto status =
        co_await control.unary("pm.v1.ControlService.CreateAssignment", request, response, auth);
    if (!status.ok()) {
        if (phase.first_error.empty()) {
            phase.first_error = status.message;
        }
        ++phase.failures;
    }
    ++phase.answered;
}

// One SyncActions call of `device` on its own connection.
pm::rpc::Task<void> sync_one(pm::rpc::Client& client, std::string device, int expected,
                             Phase& phase) {
    pm::v1::SyncActionsRequest request;
    request.mutable_device_id()->set_value(device);
    pm::v1::SyncActionsResponse response;
    const auto at = Clock::now();
    const auto status = co_await client.unary("pm.v1.AgentService.SyncActions", request, response);
    const auto ms = std::chrono::duration<double, std::milli>(Clock::now() - at).count();
    if (status.ok() && response.actions_size() == expected) {
        phase.latencies_ms.push_back(ms);
    } else {
        if (phase.first_error.empty()) {
            phase.first_error = status.ok() ? fmt::format("{} actions instead of {}",
                                                          response.actions_size(), expected)
                                            : status.message;
        }
        ++phase.failures;
    }
    ++phase.answered;
}

// A closed-loop caller: one call at a time until `end`, each for the next device in turn.
pm::rpc::Task<void> sync_worker(std::vector<std::unique_ptr<pm::rpc::Client>>& clients,
                                const std::vector<std::string>& devices, int expected,
                                std::size_t& next, Clock::time_point end, Phase& phase,
                                std::size_t& running) {
    while (Clock::now() < end) {
        const auto i = next++ % devices.size();
        co_await sync_one(*clients[i], devices[i], expected, phase);
    }
    --running;
}

pm::OptionSet options() {
    pm::OptionSet set("sync_load", "SyncActions load benchmark of pm-gateway.");
    set.add_string("control-url").default_value("http://127.0.0.1:8081").help("pm-control.");
    set.add_string("gateway-url").default_value("https://127.0.0.1:8080").help("pm-gateway.");
    set.add_string("email").default_value("admin@example.com").help("An admin's email.");
    set.add_string("password").default_value("change-me-please").help("Its password.");
    set.add_int("devices").default_value(10000).range(1, 100000).help("Devices to sync.");
    set.add_int("actions").default_value(50).range(1, 1000).help("Resolved actions each.");
    set.add_int("concurrency").default_value(64).range(1, 10000).help("Calls in flight.");
    set.add_duration("duration").default_value("20s").help("How long the steady phase runs.");
    set.add_path("state-dir")
        .default_value("./sync-load-agents")
        .help("Where the devices' identities are kept.");
    set.add_string("database-url")
        .default_value("")
        .help("If set, also measure resolve_device alone on this database.");
    return set;
}

void report(const std::string& what, const Phase& phase, double seconds) {
    fmt::print(
        "{}: {} calls in {:.2f} s = {:.0f}/s, {} failed{}; latency p50 {:.1f} ms, p99 "
        "{:.1f} ms, max {:.1f} ms\n",
        what, phase.answered, seconds, static_cast<double>(phase.answered) / seconds,
        phase.failures, phase.first_error.empty() ? "" : " (first: " + phase.first_error + ")",
        percentile(phase.latencies_ms, 0.5), percentile(phase.latencies_ms, 0.99),
        percentile(phase.latencies_ms, 1.0));
    std::fflush(stdout);
}

// resolve_device alone, `threads` connections for `duration`: the database side's ceiling.
void measure_resolution(const std::string& url, const std::vector<std::string>& devices,
                        int threads, std::chrono::nanoseconds duration, std::size_t expected) {
    pm::db::ConnectionPool pool(url, static_cast<std::size_t>(threads));
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<std::size_t> wrong{0};
    const auto end = Clock::now() + duration;
    const auto begin = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            while (Clock::now() < end) {
                const auto& device = devices[next++ % devices.size()];
                const auto size = pm::db::with_actor(
                    pool, pm::db::Actor::system("gateway"), [&](pm::db::Transaction& tx) {
                        const auto c = pm::projection::resolve_device(tx, device);
                        return c ? c->actions.size() : 0;
                    });
                if (size != expected) {
                    ++wrong;
                }
                ++done;
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    fmt::print("resolve_device alone ({} connections): {} in {:.2f} s = {:.0f}/s, {} wrong\n",
               threads, done.load(), seconds, static_cast<double>(done.load()) / seconds,
               wrong.load());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    try {
        const auto config = set.parse_or_exit(argc, argv);
        const auto count = static_cast<std::size_t>(config.get_int("devices"));
        const int actions = static_cast<int>(config.get_int("actions"));
        const int concurrency = static_cast<int>(config.get_int("concurrency"));
        const auto duration = config.get_duration("duration");
        asio::io_context io;
        pm::rpc::ClientOptions control_options;
        control_options.base_url = config.get_string("control-url");
        control_options.timeout = std::chrono::seconds(60);
        pm::rpc::Client control(io.get_executor(), control_options);

        pm::v1::LoginRequest login;
        login.set_email(config.get_string("email"));
        login.set_password(config.get_string("password"));
        const auto session = must<pm::v1::LoginResponse>(io, control, {}, "Login", login);
        pm::rpc::Headers auth;
        auth.add("authorization", "Bearer " + session.access_token());
        pm::v1::CreateTokenRequest token_request;
        token_request.set_name("sync_load");
        const auto token =
            must<pm::v1::CreateTokenResponse>(io, control, auth, "CreateToken", token_request);

        // 1. Devices.
        pm::agentsim::FleetOptions fleet_options;
        fleet_options.control_url = control_options.base_url;
        fleet_options.gateway_url = config.get_string("gateway-url");
        fleet_options.registration_token = token.token().value();
        fleet_options.count = count;
        fleet_options.state_dir = config.get_path("state-dir");
        fleet_options.threads = 1;
        fleet_options.registration_concurrency = 32;
        std::vector<std::string> devices;
        {
            pm::agentsim::AgentFleet fleet(fleet_options);
            auto started = Clock::now();
            const auto registered = fleet.register_all();
            if (registered.registered + registered.loaded < count) {
                throw std::runtime_error("registered only " +
                                         std::to_string(registered.registered) + ": " +
                                         registered.first_error);
            }
            fmt::print("devices: {} registered, {} loaded in {:.1f} s\n", registered.registered,
                       registered.loaded,
                       std::chrono::duration<double>(Clock::now() - started).count());
            for (std::size_t i = 0; i < count; ++i) {
                devices.push_back(fleet.device_id(i));
            }
        }

        // 2. Configuration.
        auto started = Clock::now();
        const auto definition = build_definition(io, control, auth, actions);
        {
            Phase phase;
            std::size_t issued = 0;
            while (phase.answered < count) {
                while (issued < count && issued - phase.answered < 64) {
                    asio::co_spawn(io,
                                   assign_one(control, auth, definition, devices[issued], phase),
                                   asio::detached);
                    ++issued;
                }
                io.restart();
                io.run_one_for(std::chrono::milliseconds(50));
            }
            if (phase.failures > 0) {
                throw std::runtime_error("CreateAssignment: " + phase.first_error);
            }
        }
        fmt::print("configuration: {} actions, assigned to {} devices in {:.1f} s\n", actions,
                   count, std::chrono::duration<double>(Clock::now() - started).count());

        // 3. The storm: every device's first sync, each on a new mTLS connection.
        pm::agentsim::IdentityStore files(fleet_options.state_dir);
        std::vector<std::unique_ptr<pm::rpc::Client>> clients;
        for (std::size_t i = 0; i < count; ++i) {
            pm::rpc::ClientOptions o;
            o.base_url = fleet_options.gateway_url;
            o.http2 = true;
            o.ca_file = files.ca_file(i).string();
            o.certificate_file = files.cert_file(i).string();
            o.private_key_file = files.key_file(i).string();
            o.timeout = std::chrono::seconds(60);
            clients.push_back(std::make_unique<pm::rpc::Client>(io.get_executor(), o));
        }
        {
            Phase phase;
            std::size_t issued = 0;
            started = Clock::now();
            while (phase.answered < count) {
                while (issued < count &&
                       issued - phase.answered < static_cast<std::size_t>(concurrency)) {
                    asio::co_spawn(io, sync_one(*clients[issued], devices[issued], actions, phase),
                                   asio::detached);
                    ++issued;
                }
                io.restart();
                io.run_one_for(std::chrono::milliseconds(50));
            }
            report(fmt::format("first sync of every device (handshake + sync, {} at once)",
                               concurrency),
                   phase, std::chrono::duration<double>(Clock::now() - started).count());
        }

        // 4. Steady state on the open connections.
        {
            Phase phase;
            std::size_t next = 0;
            std::size_t running = static_cast<std::size_t>(concurrency);
            started = Clock::now();
            const auto end = started + duration;
            for (int w = 0; w < concurrency; ++w) {
                asio::co_spawn(io,
                               sync_worker(clients, devices, actions, next, end, phase, running),
                               asio::detached);
            }
            while (running > 0) {
                io.restart();
                io.run_one_for(std::chrono::milliseconds(50));
            }
            report(fmt::format("SyncActions on open connections ({} at once, {} devices, {} "
                               "actions each)",
                               concurrency, count, actions),
                   phase, std::chrono::duration<double>(Clock::now() - started).count());
        }
        clients.clear();
        io.restart();
        io.run_for(std::chrono::milliseconds(200));

        // 5. The database side alone.
        if (const auto& url = config.get_string("database-url"); !url.empty()) {
            measure_resolution(url, devices, std::min(concurrency, 16), duration,
                               static_cast<std::size_t>(actions));
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sync_load: %s\n", e.what());
        return 1;
    }
}
