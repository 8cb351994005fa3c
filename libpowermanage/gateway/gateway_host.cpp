#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/migrations.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/gateway/connection_manager.hpp>
#include <powermanage/gateway/gateway_host.hpp>
#include <powermanage/rpc/server.hpp>

namespace pm::gateway {

struct GatewayHost::State {
    State(GatewayHostOptions o, Logger& l) : options(std::move(o)), logger(l) {}

    GatewayHostOptions options;
    Logger& logger;
    // The integrator's when shared (GatewayHostOptions::pool, event_store), else our own.
    std::shared_ptr<db::ConnectionPool> pool;
    std::shared_ptr<eventstore::EventStore> store;
    ConnectionManager connections;
    std::unique_ptr<AgentService> service;
    std::unique_ptr<rpc::Server> server;
    std::unique_ptr<rpc::Server> health;
    // The LISTEN connection's own small context, so that it never competes with agents' I/O;
    // unused on a shared io_context (the integrator sized that one).
    boost::asio::io_context listen_io;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::thread listen_thread;
    std::mutex mutex;
    bool started = false;
    bool stopped = false;

    rpc::PlainResponse health_response() const {
        return {200, "application/json",
                fmt::format(R"({{"status":"healthy","agents":{}}})", connections.size())};
    }
    rpc::PlainResponse ready_response() const {
        if (!service->listening()) {
            return {503, "text/plain", "not ready: not listening for dispatches (database?)"};
        }
        try {
            auto lease = pool->acquire(std::chrono::seconds(2));
            lease->exec("SELECT 1");
        } catch (const std::exception& error) {
            return {503, "text/plain", std::string("not ready: ") + error.what()};
        }
        return {200, "text/plain", "ready"};
    }
};

GatewayHost::GatewayHost(GatewayHostOptions options, Logger& logger)
    : state_(std::make_unique<State>(std::move(options), logger)) {
    auto& s = *state_;
    const auto& o = s.options;
    if (o.database_url.empty()) {
        throw std::invalid_argument(
            "no database: set --database-url, e.g. postgresql://user:password@host/powermanage");
    }
    const bool have_tls =
        !o.tls_certificate_file.empty() || !o.tls_key_file.empty() || !o.tls_ca_file.empty();
    if (!o.insecure_h2c &&
        (o.tls_certificate_file.empty() || o.tls_key_file.empty() || o.tls_ca_file.empty())) {
        throw std::invalid_argument(
            "agents need TLS: give --tls-cert, --tls-key and --tls-ca (the gateway's certificate "
            "from the fleet CA: `pm-admin issue-server-certificate`), or --insecure-h2c for "
            "development");
    }
    if (o.event_store && !o.pool) {
        throw std::invalid_argument(
            "a shared event store needs the pool it was built on: set GatewayHostOptions::pool "
            "too");
    }
    if (o.insecure_h2c && have_tls) {
        throw std::invalid_argument("--insecure-h2c and the TLS files exclude each other");
    }
    {
        db::Connection conn(o.database_url);
        db::require_current_schema(conn);  // the gateway never migrates; pm-control does
    }
    s.pool = o.pool ? o.pool
                    : std::make_shared<db::ConnectionPool>(o.database_url, o.database_connections);
    s.store = o.event_store ? o.event_store : std::make_shared<eventstore::EventStore>(*s.pool);
    AgentServiceOptions agents = o.agents;
    agents.trust_hello_device_id = o.insecure_h2c;
    if (agents.server_version == "libpowermanage") {
        agents.server_version = "libpowermanage " PM_VERSION;
    }
    s.service = std::make_unique<AgentService>(*s.pool, *s.store, s.connections, agents, logger);

    rpc::ServerOptions server_options;
    server_options.listen_address = o.listen_address;
    server_options.io_threads = o.io_threads;
    server_options.limits.shutdown_grace = o.shutdown_grace;
    server_options.limits.max_connections = o.max_connections;
    // Streams live for days; the heartbeat watchdog, not the idle timer, decides they are dead.
    server_options.limits.idle_timeout = std::chrono::hours(24 * 365);
    if (!o.insecure_h2c) {
        rpc::TlsOptions tls;
        tls.certificate_file = o.tls_certificate_file;
        tls.private_key_file = o.tls_key_file;
        tls.client_ca_file = o.tls_ca_file;
        tls.client_auth = rpc::TlsOptions::ClientAuth::required;
        tls.min_version = 0x0304;
        tls.identity_mapper = [](const rpc::PeerCertificate& cert) { return cert.subject_cn; };
        server_options.tls = std::move(tls);
    }
    const auto make_server = [&o](rpc::ServerOptions server) {
        return o.io_context ? std::make_unique<rpc::Server>(std::move(server), o.io_context)
                            : std::make_unique<rpc::Server>(std::move(server));
    };
    s.server = make_server(std::move(server_options));
    s.service->install(*s.server);
    s.server->add_plain_route("/health",
                              [state = state_.get()] { return state->health_response(); });
    s.server->add_plain_route("/ready", [state = state_.get()] { return state->ready_response(); });
    if (!o.health_address.empty()) {
        rpc::ServerOptions health_options;
        health_options.listen_address = o.health_address;
        health_options.io_threads = 1;
        s.health = make_server(std::move(health_options));
        s.health->add_plain_route("/health",
                                  [state = state_.get()] { return state->health_response(); });
        s.health->add_plain_route("/ready",
                                  [state = state_.get()] { return state->ready_response(); });
    }
}

GatewayHost::~GatewayHost() {
    stop();
}

void GatewayHost::start() {
    auto& s = *state_;
    s.server->start();
    if (s.health) {
        s.health->start();
    }
    if (s.options.io_context) {
        s.service->start(s.options.io_context->get_executor(), s.options.database_url);
    } else {
        s.guard.emplace(s.listen_io.get_executor());
        s.listen_thread = std::thread([&s] { s.listen_io.run(); });
        s.service->start(s.listen_io.get_executor(), s.options.database_url);
    }
    {
        std::lock_guard lock(s.mutex);
        s.started = true;
    }
    s.logger.info("gateway listening", {{"address", s.options.listen_address},
                                        {"port", port()},
                                        {"tls", !s.options.insecure_h2c},
                                        {"health_port", health_port()}});
}

std::uint16_t GatewayHost::port() const {
    return state_->server->port();
}

std::uint16_t GatewayHost::health_port() const {
    return state_->health ? state_->health->port() : 0;
}

void GatewayHost::stop() {
    auto& s = *state_;
    {
        std::lock_guard lock(s.mutex);
        if (s.stopped) {
            return;
        }
        s.stopped = true;
    }
    // Agents first get Error{"shutdown"}, then the server drains what is left.
    s.service->stop();
    s.server->stop();
    s.service->finish();
    if (s.health) {
        s.health->stop();
    }
    s.guard.reset();
    s.listen_io.stop();
    if (s.listen_thread.joinable()) {
        s.listen_thread.join();
    }
}

ConnectionManager& GatewayHost::connections() {
    return state_->connections;
}

AgentService& GatewayHost::service() {
    return *state_->service;
}

}  // namespace pm::gateway
