// pm-gateway: the agents' side. Flags as the reference gateway has them (-addr, -database-url,
// -tls-cert, -tls-key, -tls-ca, -log-level), plus ours; everything else is the library's
// GatewayHost.
#include <cstdio>

#include <fmt/format.h>
#include <unistd.h>

#include <powermanage/common/config.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/common/stop_signal.hpp>
#include <powermanage/gateway/gateway_host.hpp>

namespace {

pm::OptionSet options() {
    pm::OptionSet set("pm-gateway",
                      "The libpowermanage gateway: agents' live mTLS streams and dispatch.");
    set.add_address("addr")
        .env("GATEWAY_LISTEN_ADDR")
        .default_value(":8080")
        .help("Address agents connect to (HTTP/2 over TLS 1.3 with client certificates).");
    set.add_string("health-addr")
        .env("GATEWAY_HEALTH_ADDR")
        .default_value("127.0.0.1:8082")
        .help("Cleartext address of /health and /ready (empty: only on --addr).");
    set.add_url("database-url")
        .env("GATEWAY_DATABASE_URL")
        .schemes({"postgres", "postgresql"})
        .required()
        .secret()
        .help("PostgreSQL URL (the schema must be migrated; pm-control does that).");
    set.add_int("database-connections")
        .default_value(16)
        .range(1, 1000)
        .help("Database connections the gateway may use.");
    set.add_int("database-workers")
        .default_value(0)
        .range(0, 1000)
        .help(
            "Threads doing the agents' database work (results, output, delivery); 0: one "
            "per database connection.");
    set.add_bool("tls").help("Accepted for compatibility; TLS is always on unless --insecure-h2c.");
    set.add_path("tls-cert").env("GATEWAY_TLS_CERT").help("The gateway's certificate (PEM).");
    set.add_path("tls-key").env("GATEWAY_TLS_KEY").help("Its private key (PEM).");
    set.add_path("tls-ca")
        .env("GATEWAY_TLS_CA")
        .help("The fleet CA (PEM): agents' certificates must chain to it.");
    set.add_bool("insecure-h2c")
        .help("Development only: cleartext HTTP/2 without certificates, trusting Hello.device_id.");
    set.add_string("gateway-id")
        .env("GATEWAY_ID")
        .help("This gateway's name in events (default: host name and port).");
    set.add_duration("heartbeat-interval")
        .default_value("30s")
        .help("Heartbeat interval told to agents; 3 missed close the stream.");
    set.add_duration("heartbeat-event-interval")
        .default_value("5m")
        .help("A DeviceHeartbeat event at most this often per device.");
    set.add_int("max-connections")
        .default_value(20000)
        .range(1, 10000000)
        .help("Open agent connections accepted.");
    set.add_choice("log-level", {"debug", "info", "warn", "error"})
        .env("GATEWAY_LOG_LEVEL")
        .default_value("info")
        .help("Least severe log level written.");
    set.add_choice("log-format", {"text", "json"})
        .default_value("json")
        .help("Log line format (stdout, as the reference gateway).");
    return set;
}

std::string path_or_empty(const pm::Config& config, const char* name) {
    return config.has(name) ? config.get_path(name).string() : std::string();
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    auto& logger = pm::default_logger();
    try {
        const auto config = set.parse_or_exit(argc, argv);
        logger.set_level(*pm::parse_log_level(config.get_choice("log-level")));
        logger.set_format(*pm::parse_log_format(config.get_choice("log-format")));
        // stdout, as the reference gateway logs (pm-control logs to stderr).
        logger.set_sink([](std::string_view line) {
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fflush(stdout);
        });

        pm::gateway::GatewayHostOptions o;
        o.listen_address = pm::listen_address(config.get_address("addr"));
        o.health_address = config.get_string("health-addr");
        o.database_url = config.get_url("database-url");
        o.database_connections = static_cast<std::size_t>(config.get_int("database-connections"));
        o.agents.database_workers = static_cast<std::size_t>(config.get_int("database-workers"));
        o.tls_certificate_file = path_or_empty(config, "tls-cert");
        o.tls_key_file = path_or_empty(config, "tls-key");
        o.tls_ca_file = path_or_empty(config, "tls-ca");
        o.insecure_h2c = config.get_bool("insecure-h2c");
        o.max_connections = static_cast<std::size_t>(config.get_int("max-connections"));
        char hostname[256] = {};
        ::gethostname(hostname, sizeof hostname - 1);
        o.agents.gateway_id =
            config.has("gateway-id")
                ? config.get_string("gateway-id")
                : std::string(hostname) + ":" + std::to_string(config.get_address("addr").port);
        o.agents.heartbeat_interval = std::chrono::duration_cast<std::chrono::seconds>(
            config.get_duration("heartbeat-interval"));
        o.agents.heartbeat_event_interval = std::chrono::duration_cast<std::chrono::seconds>(
            config.get_duration("heartbeat-event-interval"));

        // Before any thread starts, so that only wait_for_stop_signal() sees the signals.
        pm::block_stop_signals();

        pm::gateway::GatewayHost host(std::move(o), logger);
        host.start();
        const int received = pm::wait_for_stop_signal();
        logger.info("stopping: closing agent streams", {{"signal", received}});
        host.stop();
        logger.info("gateway stopped");
        return 0;
    } catch (const std::exception& e) {
        logger.error("cannot run", {{"error", e.what()}});
        return 1;
    }
}
