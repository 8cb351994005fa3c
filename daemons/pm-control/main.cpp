// pm-control: the control plane's daemon. Flags and environment as the reference server has
// them (an environment variable applies when its flag is absent); everything else is the
// library's ControlHost.
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include <powermanage/common/config.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/common/stop_signal.hpp>
#include <powermanage/control/control_host.hpp>

namespace {

pm::OptionSet options() {
    pm::OptionSet set("pm-control",
                      "The libpowermanage control plane: console API, users, devices, tokens and "
                      "agent registration.");
    set.add_address("listen")
        .env("CONTROL_LISTEN_ADDR")
        .default_value(":8081")
        .help("Address the API listens on (HTTP/1.1 and h2c).");
    set.add_url("database-url")
        .env("CONTROL_DATABASE_URL")
        .schemes({"postgres", "postgresql"})
        .required()
        .secret()
        .help("PostgreSQL URL, e.g. postgresql://user:password@localhost:5432/powermanage.");
    set.add_int("database-connections")
        .default_value(16)
        .range(1, 1000)
        .help("Database connections the API may use.");
    set.add_string("jwt-secret")
        .env("CONTROL_JWT_SECRET")
        .secret()
        .help("HMAC secret of the session tokens, at least 32 bytes, the same on every replica.");
    set.add_path("ca-cert")
        .env("CONTROL_CA_CERT")
        .default_value("/certs/ca.crt")
        .help("CA certificate (PEM) that signs agent certificates and actions.");
    set.add_path("ca-key")
        .env("CONTROL_CA_KEY")
        .default_value("/certs/ca.key")
        .help("The CA's private key (PEM).");
    set.add_duration("cert-validity")
        .default_value("8760h")
        .help("Lifetime of the agent certificates Register issues.");
    set.add_string("admin-email")
        .env("CONTROL_ADMIN_EMAIL")
        .help("Bootstrap admin created at start if no live user has this email.");
    set.add_string("admin-password")
        .env("CONTROL_ADMIN_PASSWORD")
        .secret()
        .help("The bootstrap admin's password (at least 8 characters).");
    set.add_string("gateway-url")
        .env("CONTROL_GATEWAY_URL")
        .help("Gateway URL returned to agents by Register, e.g. https://gateway.example:8080.");
    set.add_string("cors-origins")
        .env("CONTROL_CORS_ORIGINS")
        .help("Comma-separated origins browsers may call from; empty: any.");
    set.add_string("trusted-proxies")
        .env("CONTROL_TRUSTED_PROXIES")
        .help("Comma-separated addresses or networks whose X-Forwarded-For is believed.");
    set.add_int("login-limit")
        .default_value(10)
        .range(1, 1000000)
        .help("Login calls per minute per client address.");
    set.add_int("refresh-limit")
        .default_value(60)
        .range(1, 1000000)
        .help("RefreshToken calls per minute per client address.");
    set.add_int("register-limit")
        .default_value(5)
        .range(1, 1000000)
        .help("Register calls per minute per client address (raise it for fleets behind one NAT).");
    set.add_path("policy-file")
        .env("CONTROL_POLICY_FILE")
        .help("JSON authorization policy replacing the built-in one (docs/authorization.md).");
    set.add_path("console-dir")
        .env("CONTROL_CONSOLE_DIR")
        .help(
            "The web console's built files, served at / (index.html) and at their paths; "
            "default: the installed console (" PM_INSTALLED_CONSOLE
            " from this program's directory) if there is one, else none.");
    set.add_bool("dev")
        .env("CONTROL_DEV")
        .help(
            "Development mode: generate a JWT secret if none is set, create the CA files if "
            "missing.");
    set.add_choice("log-level", {"debug", "info", "warn", "error"})
        .env("CONTROL_LOG_LEVEL")
        .default_value("info")
        .help("Least severe log level written.");
    set.add_choice("log-format", {"text", "json"})
        .default_value("text")
        .help("Log line format (stderr).");
    return set;
}

// The console to serve without --console-dir: the installed one beside this program (the
// install's share dir), or "" if it has no index.html.
std::string default_console_directory() {
    std::error_code error;
    const auto program = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) {
        return "";
    }
    const auto installed = (program.parent_path() / PM_INSTALLED_CONSOLE).lexically_normal();
    return std::filesystem::is_regular_file(installed / "index.html", error) ? installed.string()
                                                                             : "";
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find(',', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        auto item = text.substr(start, end - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            out.push_back(item);
        }
        start = end + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    auto& logger = pm::default_logger();
    try {
        const auto config = set.parse_or_exit(argc, argv);
        logger.set_level(*pm::parse_log_level(config.get_choice("log-level")));
        logger.set_format(*pm::parse_log_format(config.get_choice("log-format")));

        pm::control::ControlHostOptions o;
        o.listen_address = pm::listen_address(config.get_address("listen"));
        o.database_url = config.get_url("database-url");
        o.database_connections = static_cast<std::size_t>(config.get_int("database-connections"));
        o.jwt_secret = config.has("jwt-secret") ? config.get_string("jwt-secret") : "";
        o.ca_certificate_file = config.get_path("ca-cert").string();
        o.ca_key_file = config.get_path("ca-key").string();
        o.control.certificate_validity =
            std::chrono::duration_cast<std::chrono::seconds>(config.get_duration("cert-validity"));
        o.admin_email = config.has("admin-email") ? config.get_string("admin-email") : "";
        o.admin_password = config.has("admin-password") ? config.get_string("admin-password") : "";
        o.control.gateway_url = config.has("gateway-url") ? config.get_string("gateway-url") : "";
        o.cors_origins =
            split_list(config.has("cors-origins") ? config.get_string("cors-origins") : "");
        o.trusted_proxies =
            split_list(config.has("trusted-proxies") ? config.get_string("trusted-proxies") : "");
        auto limits = pm::control::ControlService::default_rate_limits(o.trusted_proxies);
        const auto per_minute = [&](const char* method, const char* flag) {
            limits.per_method[std::string("pm.v1.ControlService.") + method] = pm::rpc::RateLimit{
                static_cast<std::uint32_t>(config.get_int(flag)), std::chrono::minutes(1)};
        };
        per_minute("Login", "login-limit");
        per_minute("RefreshToken", "refresh-limit");
        per_minute("Register", "register-limit");
        o.rate_limits = limits;
        o.policy_file = config.has("policy-file") ? config.get_path("policy-file").string() : "";
        o.development = config.get_bool("dev");
        o.console_directory = config.has("console-dir") ? config.get_path("console-dir").string()
                                                        : default_console_directory();
        if (o.console_directory.empty()) {
            logger.info("no web console to serve (--console-dir)");
        }

        // Before any thread starts, so that only wait_for_stop_signal() sees the signals.
        pm::block_stop_signals();

        pm::control::ControlHost host(std::move(o), logger);
        host.start();
        const int received = pm::wait_for_stop_signal();
        logger.info("stopping: finishing in-flight requests", {{"signal", received}});
        host.stop();
        logger.info("control server stopped");
        return 0;
    } catch (const std::exception& e) {
        logger.error("cannot run", {{"error", e.what()}});
        return 1;
    }
}
