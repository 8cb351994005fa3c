// pm-all-in-one: the control plane, a gateway and the integrator's own service in one process,
// sharing one io_context (run by this program's threads), one database pool and one event
// store. A development composition: the CA and the gateway's certificate are created in
// --state-dir when missing, and a missing JWT secret or admin password is generated.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/ca/authority.hpp>
#include <powermanage/common/config.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/common/stop_signal.hpp>
#include <powermanage/control/control_host.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/gateway/gateway_host.hpp>

#include "site_service.hpp"

namespace {

namespace asio = boost::asio;

pm::OptionSet options() {
    pm::OptionSet set("pm-all-in-one",
                      "Control plane, gateway and a site service of our own in one process, on "
                      "one io_context, pool and event store (development defaults).");
    set.add_url("database-url")
        .env("PM_DATABASE_URL")
        .schemes({"postgres", "postgresql"})
        .required()
        .secret()
        .help("PostgreSQL URL; a throwaway database is fine (the schema is created at start).");
    set.add_address("listen")
        .default_value("127.0.0.1:8081")
        .help("The API: pm.v1.ControlService, the site service, /site/status, the console.");
    set.add_address("gateway-listen")
        .default_value("127.0.0.1:8080")
        .help("Where agents connect (HTTP/2, TLS 1.3, client certificates required).");
    set.add_address("gateway-health")
        .default_value("127.0.0.1:8082")
        .help("The gateway's /health, /ready and /metrics in cleartext.");
    set.add_string("gateway-url")
        .help("The gateway URL Register hands to agents; default: https://<gateway-listen>.");
    set.add_path("state-dir")
        .default_value("pm-all-in-one-state")
        .help("Where the development CA and the gateway's certificate are kept (made if missing).");
    set.add_int("threads").default_value(2).range(1, 256).help("I/O threads, shared by all.");
    set.add_int("database-connections")
        .default_value(16)
        .range(1, 1000)
        .help("Connections of the shared pool.");
    set.add_string("jwt-secret")
        .secret()
        .help(
            "Session token secret (32+ bytes); default: generated, sessions end with the process.");
    set.add_string("admin-email")
        .default_value("admin@example.com")
        .help("The bootstrap admin's email.");
    set.add_string("admin-password")
        .secret()
        .help("The bootstrap admin's password; default: generated and written to the log.");
    set.add_int("register-limit")
        .default_value(5)
        .range(1, 1000000)
        .help("Register calls per minute per client address.");
    set.add_path("console-dir")
        .help(
            "The web console's built files, served at /; default: a note at / that none is "
            "installed.");
    set.add_string("site-name").default_value("development").help("Answered by SiteService.");
    set.add_string("site-key")
        .secret()
        .help(
            "If set, SiteService wants it in the x-site-key header (its own rule, not a pm "
            "session).");
    set.add_choice("log-level", {"debug", "info", "warn", "error"})
        .default_value("info")
        .help("Least severe log level written.");
    return set;
}

// The shared io_context and the threads that run it, stopped and joined when this goes away
// (after the hosts stopped: they need the threads to drain their connections).
class IoThreads {
public:
    explicit IoThreads(std::size_t count)
        : io_(std::make_shared<asio::io_context>(static_cast<int>(count))),
          work_(io_->get_executor()) {
        for (std::size_t i = 0; i < count; ++i) {
            threads_.emplace_back([io = io_] { io->run(); });
        }
    }
    ~IoThreads() {
        work_.reset();
        io_->stop();
        for (auto& thread : threads_) {
            thread.join();
        }
    }
    IoThreads(const IoThreads&) = delete;
    IoThreads& operator=(const IoThreads&) = delete;

    const std::shared_ptr<asio::io_context>& context() const { return io_; }

private:
    std::shared_ptr<asio::io_context> io_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
};

void write_file(const std::filesystem::path& path, const std::string& text,
                std::filesystem::perms perms) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            throw std::runtime_error("cannot write " + path.string() +
                                     ": check that --state-dir is writable");
        }
    }
    std::filesystem::permissions(path, perms);
}

// The gateway's server certificate from the control plane's CA, made once: for localhost,
// 127.0.0.1 and the host agents are told to reach.
void ensure_gateway_certificate(const pm::ca::CertificateAuthority& authority,
                                const std::filesystem::path& certificate,
                                const std::filesystem::path& key, const std::string& host,
                                pm::Logger& logger) {
    if (std::filesystem::exists(certificate) && std::filesystem::exists(key)) {
        return;
    }
    std::vector<std::string> dns = {"localhost"};
    std::vector<std::string> ips = {"127.0.0.1"};
    boost::system::error_code not_ip;
    asio::ip::make_address(host, not_ip);
    if (!host.empty() && host != "localhost" && host != "127.0.0.1" && host != "0.0.0.0") {
        (not_ip ? dns : ips).push_back(host);
    }
    const auto issued = authority.issue_server_certificate(dns, ips, std::chrono::hours(24 * 365));
    write_file(key, issued.private_key_pem,
               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    write_file(certificate, issued.certificate.pem,
               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                   std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    logger.info("issued the gateway's certificate", {{"file", certificate.string()}});
}

int run(const pm::Config& config, pm::Logger& logger) {
    const auto state = config.get_path("state-dir");
    std::filesystem::create_directories(state);
    const auto database_url = config.get_url("database-url");
    const auto gateway_address = config.get_address("gateway-listen");
    if (gateway_address.port == 0) {
        throw pm::ConfigError(
            {"--gateway-listen needs a fixed port: Register tells agents where to connect"});
    }

    // Before any thread starts, so that only wait_for_stop_signal() sees the signals.
    pm::block_stop_signals();
    IoThreads io(static_cast<std::size_t>(config.get_int("threads")));
    auto pool = std::make_shared<pm::db::ConnectionPool>(
        database_url, static_cast<std::size_t>(config.get_int("database-connections")));
    auto store = std::make_shared<pm::eventstore::EventStore>(*pool);

    pm::control::ControlHostOptions c;
    c.listen_address = pm::listen_address(config.get_address("listen"));
    c.database_url = database_url;
    c.development = true;
    c.jwt_secret = config.has("jwt-secret") ? config.get_string("jwt-secret") : "";
    c.ca_certificate_file = (state / "ca.crt").string();
    c.ca_key_file = (state / "ca.key").string();
    c.admin_email = config.get_string("admin-email");
    c.admin_password = config.has("admin-password") ? config.get_string("admin-password") : "";
    if (c.admin_password.empty()) {
        c.admin_password = pm::auth::random_hex(12);
        logger.warn("generated the bootstrap admin's password (give --admin-password to choose)",
                    {{"email", c.admin_email}, {"password", c.admin_password}});
    }
    const auto gateway_host = gateway_address.host.empty() ? "localhost" : gateway_address.host;
    c.control.gateway_url =
        config.has("gateway-url")
            ? config.get_string("gateway-url")
            : fmt::format("https://{}:{}", gateway_host == "0.0.0.0" ? "localhost" : gateway_host,
                          gateway_address.port);
    auto limits = pm::control::ControlService::default_rate_limits({});
    limits.per_method["pm.v1.ControlService.Register"] = pm::rpc::RateLimit{
        static_cast<std::uint32_t>(config.get_int("register-limit")), std::chrono::minutes(1)};
    c.rate_limits = limits;
    c.console_directory = config.has("console-dir") ? config.get_path("console-dir").string() : "";
    c.io_context = io.context();
    c.pool = pool;
    c.event_store = store;
    pm::control::ControlHost control(std::move(c), logger);  // migrates, makes the CA

    const auto certificate = state / "gateway.crt";
    const auto key = state / "gateway.key";
    ensure_gateway_certificate(control.authority(), certificate, key, gateway_host, logger);
    pm::gateway::GatewayHostOptions g;
    g.listen_address = pm::listen_address(gateway_address);
    g.health_address = pm::listen_address(config.get_address("gateway-health"));
    g.database_url = database_url;
    g.tls_certificate_file = certificate.string();
    g.tls_key_file = key.string();
    g.tls_ca_file = (state / "ca.crt").string();
    g.agents.gateway_id = "all-in-one";
    g.io_context = io.context();
    g.pool = pool;
    g.event_store = store;
    pm::gateway::GatewayHost gateway(std::move(g), logger);

    allinone::SiteServiceOptions site_options;
    site_options.site_name = config.get_string("site-name");
    site_options.site_key = config.has("site-key") ? config.get_string("site-key") : "";
    allinone::SiteService site(*pool, gateway.connections(), site_options);
    site.install(control.server());
    if (!config.has("console-dir")) {
        // Where the console will be: say so rather than answer 404.
        control.server().add_plain_route("/", [] {
            return pm::rpc::PlainResponse{
                200, "text/plain; charset=utf-8",
                "pm-all-in-one: no console is installed (give --console-dir). The API is "
                "pm.v1.ControlService at /pm.v1.ControlService/<Method>.\n"};
        });
    }

    control.start();
    gateway.start();
    logger.info("all in one: running", {{"api_port", control.port()},
                                        {"gateway_port", gateway.port()},
                                        {"gateway_health_port", gateway.health_port()}});

    const int received = pm::wait_for_stop_signal();
    logger.info("stopping", {{"signal", received}});
    // Agents first (they reconnect elsewhere), then the API; the shared threads, pool and
    // store go last, when `io` and the shared_ptrs leave scope.
    gateway.stop();
    control.stop();
    site.shutdown();
    logger.info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    const auto config = set.parse_or_exit(argc, argv);
    auto& logger = pm::default_logger();
    try {
        logger.set_level(*pm::parse_log_level(config.get_choice("log-level")));
        return run(config, logger);
    } catch (const pm::ConfigError& e) {  // flags that parse but do not fit together
        fmt::print(stderr, "pm-all-in-one: {}\nRun pm-all-in-one --help for the options.\n",
                   e.what());
        return 2;
    } catch (const std::exception& e) {
        logger.error("cannot run", {{"error", e.what()}});
        return 1;
    }
}
