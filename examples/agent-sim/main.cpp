// pm-agent-sim: N simulated agents from one process. Registers the missing ones through
// ControlService.Register, connects them all to the gateway with their own certificates,
// prints progress every second, and stops cleanly on SIGINT/SIGTERM with the final counters.

#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include <powermanage/common/config.hpp>
#include <powermanage/common/progress.hpp>
#include <powermanage/common/stop_signal.hpp>

#include "agent_fleet.hpp"

namespace {

using std::chrono::milliseconds;

pm::OptionSet options() {
    pm::OptionSet set("pm-agent-sim",
                      "A fleet of simulated Power Manage agents (pm.v1, Feb-2026 behaviour) in "
                      "one process, for end-to-end tests and load benchmarks.");
    set.add_url("control-url")
        .env("PM_SIM_CONTROL_URL")
        .schemes({"http", "https"})
        .help("ControlService base URL agents register with.");
    set.add_path("control-ca")
        .env("PM_SIM_CONTROL_CA")
        .help("CA bundle trusted for an https control URL (default: the system's roots).");
    set.add_url("gateway-url")
        .env("PM_SIM_GATEWAY_URL")
        .schemes({"http", "https"})
        .help("Gateway base URL (default: the gateway_url Register returned).");
    set.add_string("token")
        .env("PM_REGISTRATION_TOKEN")
        .secret()
        .help("Registration token (needed when agents are missing from the state dir).");
    set.add_int("count").default_value(100).range(1, 1000000).help("Number of agents.");
    set.add_path("state-dir")
        .default_value("./pm-agent-sim-state")
        .help("Where agents' ids, keys and certificates are kept; a restart reuses them.");
    set.add_string("hostname-prefix")
        .default_value("sim-agent-")
        .help("Agent i is called <prefix><i, five digits>.");
    set.add_string("agent-version")
        .default_value("2026.02.12-sim")
        .help("Version reported in Register and Hello.");
    set.add_int("register-concurrency")
        .default_value(8)
        .range(1, 1024)
        .help("Register calls in flight at once.");
    set.add_int("threads").default_value(0).range(0, 256).help("I/O threads (0: one per core).");
    set.add_string("delay-ms")
        .help(
            "Simulated run time in milliseconds: N, or MIN-MAX for a uniform draw (overrides "
            "--delay-min/--delay-max).");
    set.add_duration("delay-min")
        .default_value(milliseconds(0))
        .help("Shortest simulated run time of a dispatched action.");
    set.add_duration("delay-max")
        .default_value(milliseconds(0))
        .help("Longest simulated run time (uniform between the two).");
    set.add_string("failure-rate")
        .default_value("0")
        .help("Fraction (0..1) of results reported FAILED.");
    set.add_bool("omit-completed-at")
        .default_value(false)
        .help("Leave ActionResult.completed_at unset, as Feb agents do for replayed results.");
    set.add_bool("output-chunks")
        .default_value(false)
        .help("Send two OutputChunks before every result.");
    set.add_duration("backoff-min")
        .default_value(std::chrono::seconds(1))
        .help("First reconnect wait (doubles per failure, jittered).");
    set.add_duration("backoff-max")
        .default_value(std::chrono::minutes(5))
        .help("Longest reconnect wait.");
    set.add_duration("start-spread")
        .default_value(milliseconds(0))
        .help("Spread the agents' first connections over this long.");
    set.add_duration("connect-timeout")
        .default_value(std::chrono::seconds(10))
        .help("Longest wait for TCP and TLS.");
    set.add_duration("welcome-timeout")
        .default_value(std::chrono::seconds(10))
        .help("Reconnect when Welcome has not come this long after Hello (0: do not wait).");
    set.add_duration("heartbeat-interval")
        .default_value(milliseconds(0))
        .help("Heartbeat period (0: what Welcome says, else 30s).");
    set.add_bool("verify-signatures")
        .default_value(true)
        .help("Refuse SHELL actions whose signature fails, like a Feb-2026 agent.");
    return set;
}

milliseconds ms(const pm::Config& config, std::string_view name) {
    return std::chrono::duration_cast<milliseconds>(config.get_duration(name));
}

pm::agentsim::FleetOptions fleet_options(const pm::Config& config) {
    pm::agentsim::FleetOptions o;
    if (config.has("control-url")) {
        o.control_url = config.get_url("control-url");
    }
    if (config.has("control-ca")) {
        o.control_ca_file = config.get_path("control-ca").string();
    }
    if (config.has("gateway-url")) {
        o.gateway_url = config.get_url("gateway-url");
    }
    if (config.has("token")) {
        o.registration_token = config.get_string("token");
    }
    o.count = static_cast<std::size_t>(config.get_int("count"));
    o.state_dir = config.get_path("state-dir");
    o.hostname_prefix = config.get_string("hostname-prefix");
    o.agent_version = config.get_string("agent-version");
    o.registration_concurrency = static_cast<std::size_t>(config.get_int("register-concurrency"));
    o.threads = static_cast<std::size_t>(config.get_int("threads"));
    o.result_delay_min = ms(config, "delay-min");
    o.result_delay_max = std::max(ms(config, "delay-max"), o.result_delay_min);
    if (config.has("delay-ms")) {
        const auto& text = config.get_string("delay-ms");
        try {
            const auto dash = text.find('-');
            std::size_t used = 0;
            const auto low = std::stoll(text.substr(0, dash), &used);
            auto high = low;
            if (dash != std::string::npos) {
                high = std::stoll(text.substr(dash + 1));
            } else if (used != text.size()) {
                throw std::invalid_argument(text);
            }
            if (low < 0 || high < low) {
                throw std::invalid_argument(text);
            }
            o.result_delay_min = milliseconds(low);
            o.result_delay_max = milliseconds(high);
        } catch (const std::exception&) {
            throw pm::ConfigError({"--delay-ms: \"" + text + "\" is not N or MIN-MAX (ms)"});
        }
    }
    const auto& rate = config.get_string("failure-rate");
    try {
        std::size_t used = 0;
        o.failure_rate = std::stod(rate, &used);
        if (used != rate.size()) {
            throw std::invalid_argument(rate);
        }
    } catch (const std::exception&) {
        throw pm::ConfigError({"--failure-rate: \"" + rate + "\" is not a number in 0..1"});
    }
    o.omit_completed_at = config.get_bool("omit-completed-at");
    o.send_output_chunks = config.get_bool("output-chunks");
    o.backoff_min = ms(config, "backoff-min");
    o.backoff_max = ms(config, "backoff-max");
    o.start_spread = ms(config, "start-spread");
    o.connect_timeout = ms(config, "connect-timeout");
    o.welcome_timeout = ms(config, "welcome-timeout");
    o.heartbeat_interval = ms(config, "heartbeat-interval");
    o.verify_signatures = config.get_bool("verify-signatures");
    return o;
}

void print_stats(const pm::agentsim::FleetStats& s) {
    fmt::print(stderr,
               "agents {}  registered {}  connected {}  welcomes {}  dispatches {}  results {}  "
               "chunks {}  heartbeats {}  errors {}  reconnects {}  failed attempts {}\n",
               s.agents, s.registered, s.connected, s.welcomes, s.dispatches, s.results_sent,
               s.chunks_sent, s.heartbeats_sent, s.errors_received, s.reconnects,
               s.failed_attempts);
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    try {
        const auto config = set.parse_or_exit(argc, argv);
        const auto fleet_opts = fleet_options(config);

        const pm::StopSignalWatcher waiter;

        int exit_code = 0;
        {
            pm::agentsim::AgentFleet fleet(fleet_opts);
            const auto before = fleet.stats();
            if (before.registered < before.agents) {
                if (fleet_opts.control_url.empty() || fleet_opts.registration_token.empty()) {
                    throw pm::ConfigError({fmt::format(
                        "{} of {} agents have no identity in {}: --control-url and --token are "
                        "needed to register them",
                        before.agents - before.registered, before.agents,
                        fleet_opts.state_dir.string())});
                }
                pm::ProgressBar bar(stderr, "registered", "agents");
                const auto report = fleet.register_all([&](std::size_t done, std::size_t total) {
                    bar.update(static_cast<std::int64_t>(done), static_cast<std::int64_t>(total));
                    return !waiter.interrupted();
                });
                bar.finish();
                fmt::print(stderr, "loaded {}, registered {}, failed {}{}\n", report.loaded,
                           report.registered, report.failed,
                           report.first_error.empty() ? "" : " (" + report.first_error + ")");
                if (report.failed > 0) {
                    exit_code = 1;
                }
            }
            if (!waiter.interrupted()) {
                fleet.start();
                auto next = std::chrono::steady_clock::now();
                while (!waiter.interrupted()) {
                    next += std::chrono::seconds(1);
                    while (!waiter.interrupted() && std::chrono::steady_clock::now() < next) {
                        std::this_thread::sleep_for(milliseconds(50));
                    }
                    const auto s = fleet.stats();
                    fmt::print(stderr,
                               "connected {}/{}  dispatches {}  results {}  errors {}  "
                               "reconnects {}\n",
                               s.connected, s.registered, s.dispatches, s.results_sent,
                               s.errors_received, s.reconnects);
                }
            }
            fmt::print(stderr, "stopping\n");
            fleet.stop();
            print_stats(fleet.stats());
        }
        return exit_code;
    } catch (const pm::ConfigError& e) {
        fmt::print(stderr, "pm-agent-sim: {}\nRun pm-agent-sim --help for the options.\n",
                   e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "pm-agent-sim: {}\n", e.what());
        return 1;
    }
}
