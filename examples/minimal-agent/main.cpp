// pm-agent: a minimal Power Manage agent. It really runs the shell scripts it is sent (after
// checking that the fleet CA signed them), so run it as an unprivileged user; see README.md.
#include <array>
#include <exception>
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <signal.h>
#include <unistd.h>

#include <powermanage/common/config.hpp>

#include "agent.hpp"

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

pm::OptionSet options() {
    pm::OptionSet set("pm-agent",
                      "A minimal Power Manage agent: enrols with a registration token, keeps a "
                      "stream to the gateway and runs signed shell actions.");
    set.add_path("state-dir")
        .env("PM_AGENT_STATE_DIR")
        .required()
        .help("Where the agent keeps its key, certificate, CA and device id.");
    set.add_url("control-url")
        .env("PM_AGENT_CONTROL_URL")
        .schemes({"http", "https"})
        .help("The control plane, for the first start (enrolment).");
    set.add_string("token")
        .env("PM_AGENT_TOKEN")
        .secret()
        .help("The registration token, for the first start.");
    set.add_path("control-ca")
        .help("CA certificate to trust for an https control URL (default: the system's).");
    set.add_string("hostname").help("The name to enrol with (default: this host's name).");
    set.add_url("gateway-url")
        .schemes({"http", "https"})
        .help("Use this gateway instead of the one enrolment returned.");
    set.add_duration("backoff-min").default_value("1s").help("First wait before reconnecting.");
    set.add_duration("backoff-max").default_value("60s").help("Longest wait before reconnecting.");
    set.add_duration("connect-timeout")
        .default_value("10s")
        .help("Limit for connecting to the gateway (TCP, TLS, HTTP/2) and for enrolling.");
    set.add_duration("write-timeout")
        .default_value("10s")
        .help("A message not sent within this drops the stream (then reconnects).");
    set.add_duration("heartbeat")
        .default_value("30s")
        .help("Between heartbeats, unless the gateway's Welcome asks otherwise.");
    set.add_duration("action-timeout")
        .default_value("300s")
        .help("Limit for a script whose action sets no timeout_seconds.");
    return set;
}

std::string this_host() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
        return "localhost";
    }
    return name.data();
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    const pm::Config config = set.parse_or_exit(argc, argv);
    pm::agent::AgentOptions agent_options;
    agent_options.state_dir = config.get_path("state-dir");
    auto& enrolment = agent_options.enrolment;
    enrolment.control_url = config.has("control-url") ? config.get_url("control-url") : "";
    enrolment.control_ca = config.has("control-ca") ? config.get_path("control-ca").string() : "";
    enrolment.token = config.has("token") ? config.get_string("token") : "";
    enrolment.hostname = config.has("hostname") ? config.get_string("hostname") : this_host();
    enrolment.agent_version = "pm-agent-example/1";
    const auto ms = [&](std::string_view name) {
        return duration_cast<milliseconds>(config.get_duration(name));
    };
    enrolment.timeout = ms("connect-timeout");
    agent_options.gateway_url = config.has("gateway-url") ? config.get_url("gateway-url") : "";
    agent_options.backoff_min = std::max(ms("backoff-min"), milliseconds(1));
    agent_options.backoff_max = std::max(ms("backoff-max"), agent_options.backoff_min);
    agent_options.connect_timeout = ms("connect-timeout");
    agent_options.write_timeout = ms("write-timeout");
    agent_options.heartbeat = std::max(ms("heartbeat"), milliseconds(1000));
    agent_options.default_action_timeout =
        duration_cast<std::chrono::seconds>(config.get_duration("action-timeout"));

    // A peer that closes the connection must be an error on that write, not the end of us.
    ::signal(SIGPIPE, SIG_IGN);
    boost::asio::io_context io(1);
    pm::agent::Agent agent(io, std::move(agent_options));
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code error, int) {
        if (!error) {
            std::cerr << "pm-agent: stopping\n";
            agent.stop();
        }
    });
    int exit_code = 1;
    boost::asio::co_spawn(io, agent.run(), [&](std::exception_ptr failure, int code) {
        exit_code = code;
        if (failure) {
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                std::cerr << "pm-agent: " << e.what() << "\n";
                exit_code = 1;
            }
        }
        signals.cancel();
        agent.stop();  // ends the tasks still running on the io_context
    });
    io.run();
    return exit_code;
}
