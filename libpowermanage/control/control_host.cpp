#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <sys/stat.h>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/auth/password.hpp>
#include <powermanage/auth/policy.hpp>
#include <powermanage/ca/authority.hpp>
#include <powermanage/control/control_host.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/migrations.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/rpc/interceptors.hpp>
#include <powermanage/rpc/server.hpp>

#include "control/console_files.hpp"
#include "control/group_membership.hpp"

namespace pm::control {

namespace {

void write_file(const std::string& path, const std::string& content, mode_t mode) {
    const std::filesystem::path p(path);
    if (p.has_parent_path()) {
        std::filesystem::create_directories(p.parent_path());
    }
    {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out) {
            throw std::runtime_error("cannot write " + path);
        }
    }
    ::chmod(path.c_str(), mode);
}

ca::CertificateAuthority load_or_create_ca(const ControlHostOptions& options, Logger& logger) {
    const bool have_cert = std::filesystem::exists(options.ca_certificate_file);
    const bool have_key = std::filesystem::exists(options.ca_key_file);
    if (have_cert && have_key) {
        return ca::CertificateAuthority::from_files(options.ca_certificate_file,
                                                    options.ca_key_file);
    }
    if (!options.development || have_cert || have_key) {
        throw std::runtime_error(
            "the CA " +
            std::string(have_cert ? "key " + options.ca_key_file
                                  : "certificate " + options.ca_certificate_file) +
            " does not exist: point --ca-cert and --ca-key at an existing CA (docs/operations.md "
            "shows how to make one), or run with --dev to create a development CA");
    }
    auto authority = ca::CertificateAuthority::create(
        "libpowermanage development CA", ca::KeyType::ecdsa_p256, std::chrono::hours(24 * 3650));
    write_file(options.ca_key_file, authority.private_key_pem(), 0600);
    write_file(options.ca_certificate_file, authority.certificate_pem(), 0644);
    logger.warn("development mode: created a new CA",
                {{"certificate", options.ca_certificate_file}, {"key", options.ca_key_file}});
    return authority;
}

std::string jwt_secret(const ControlHostOptions& options, Logger& logger) {
    if (options.jwt_secret.empty()) {
        if (!options.development) {
            throw std::invalid_argument(
                "no JWT secret: set --jwt-secret or CONTROL_JWT_SECRET to at least 32 random "
                "bytes (e.g. `openssl rand -hex 32`), the same on every replica; or run with "
                "--dev");
        }
        logger.warn(
            "development mode: generated a random JWT secret; sessions end when this process "
            "stops and are not valid on other replicas");
        return auth::random_hex(32);
    }
    if (options.jwt_secret.size() < auth::JwtCodec::kMinSecretBytes) {
        throw std::invalid_argument("the JWT secret has " +
                                    std::to_string(options.jwt_secret.size()) +
                                    " bytes; it needs at least 32 (e.g. `openssl rand -hex 32`)");
    }
    return options.jwt_secret;
}

}  // namespace

struct ControlHost::State {
    State(ControlHostOptions o, Logger& l) : options(std::move(o)), logger(l) {}

    ControlHostOptions options;
    Logger& logger;
    std::optional<ca::CertificateAuthority> authority;
    std::optional<auth::JwtCodec> jwt;
    std::optional<auth::PasswordHasher> hasher;
    std::optional<auth::Policy> policy;
    // The integrator's when shared (ControlHostOptions::pool, event_store), else our own.
    std::shared_ptr<db::ConnectionPool> pool;
    std::shared_ptr<eventstore::EventStore> store;
    std::unique_ptr<ControlService> service;
    std::unique_ptr<rpc::Server> server;
    // Keeps the dynamic groups' members right (one replica at a time, by advisory lock).
    std::unique_ptr<GroupMembership> membership;

    // Readiness is checked by a thread, so that /ready never blocks an I/O thread on a
    // database that does not answer.
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::string not_ready = "starting";
    std::thread checker;

    // Login sessions whose last refresh token has expired can never be used again; drop them
    // hourly so the tables stay as small as the set of live sessions.
    std::chrono::steady_clock::time_point next_purge = std::chrono::steady_clock::now();
    void purge_expired_sessions(db::Connection& conn) {
        const auto now = std::chrono::steady_clock::now();
        if (now < next_purge) {
            return;
        }
        next_purge = now + std::chrono::hours(1);
        db::Transaction tx(conn, db::Actor::system("session-purge"));
        auto purged = tx.exec(
            "WITH gone AS (DELETE FROM auth_refresh_families WHERE expires_at < now() "
            "RETURNING 1) SELECT count(*) FROM gone");
        tx.commit();
        if (purged.int64(0, 0) > 0) {
            logger.info("purged expired login sessions", {{"sessions", purged.int64(0, 0)}});
        }
    }

    void check_readiness() {
        std::unique_lock lock(mutex);
        while (!stopping) {
            lock.unlock();
            std::string reason;
            try {
                auto lease = pool->acquire(std::chrono::seconds(2));
                db::require_current_schema(*lease);
                purge_expired_sessions(*lease);
            } catch (const std::exception& error) {
                reason = error.what();
            }
            lock.lock();
            if (reason != not_ready) {
                if (reason.empty()) {
                    logger.info("ready: database reachable and schema current");
                } else {
                    logger.warn("not ready", {{"reason", reason}});
                }
            }
            not_ready = reason;
            wake.wait_for(lock, std::chrono::seconds(1), [this] { return stopping; });
        }
    }
};

ControlHost::ControlHost(ControlHostOptions options, Logger& logger)
    : state_(std::make_unique<State>(std::move(options), logger)) {
    auto& s = *state_;
    const auto& o = s.options;
    if (o.database_url.empty()) {
        throw std::invalid_argument(
            "no database: set --database-url or CONTROL_DATABASE_URL, e.g. "
            "postgresql://user:password@localhost:5432/powermanage");
    }
    if (o.event_store && !o.pool) {
        throw std::invalid_argument(
            "a shared event store needs the pool it was built on: set ControlHostOptions::pool "
            "too");
    }
    if (o.admin_email.empty() != o.admin_password.empty()) {
        throw std::invalid_argument(
            "the bootstrap admin needs both --admin-email and --admin-password (or neither)");
    }
    s.jwt.emplace(jwt_secret(o, logger));
    {
        db::Connection conn(o.database_url);
        if (o.migrate) {
            auto report = db::migrate(conn, db::builtin_migrations(), [&](const db::Migration& m) {
                logger.info("applying migration", {{"version", m.version}, {"name", m.name}});
            });
            logger.info("schema current", {{"version", report.to_version}});
        } else {
            db::require_current_schema(conn);
        }
    }
    s.authority.emplace(load_or_create_ca(o, logger));
    const auto methods = auth::control_service_methods();
    s.policy.emplace(o.policy_file.empty() ? auth::Policy::default_policy()
                                           : auth::Policy::from_file(o.policy_file, methods));
    s.hasher.emplace(o.password_params);
    s.pool = o.pool ? o.pool
                    : std::make_shared<db::ConnectionPool>(o.database_url, o.database_connections);
    s.store = o.event_store ? o.event_store : std::make_shared<eventstore::EventStore>(*s.pool);
    s.service = std::make_unique<ControlService>(*s.pool, *s.store, *s.authority, *s.jwt, *s.hasher,
                                                 *s.policy, o.control);
    if (!o.admin_email.empty()) {
        if (s.service->ensure_admin(o.admin_email, o.admin_password)) {
            logger.info("bootstrap admin created", {{"email", o.admin_email}});
        } else {
            logger.info("bootstrap admin exists; left unchanged", {{"email", o.admin_email}});
        }
    }
    if (o.control.gateway_url.empty()) {
        logger.warn("no --gateway-url: Register answers agents with an empty gateway URL");
    }

    rpc::ServerOptions server_options;
    server_options.listen_address = o.listen_address;
    server_options.cors.enabled = o.cors_enabled;
    server_options.cors.allowed_origins = o.cors_origins;
    server_options.io_threads = o.io_threads;
    server_options.limits.shutdown_grace = o.shutdown_grace;
    s.server = o.io_context ? std::make_unique<rpc::Server>(std::move(server_options), o.io_context)
                            : std::make_unique<rpc::Server>(std::move(server_options));
    s.membership = std::make_unique<GroupMembership>(*s.pool, *s.store, o.database_url, logger);
    s.server->add_observer(rpc::request_logging(logger));
    s.service->install(*s.server, o.rate_limits
                                      ? *o.rate_limits
                                      : ControlService::default_rate_limits(o.trusted_proxies));
    if (!o.console_directory.empty()) {
        const auto files = add_console_routes(*s.server, o.console_directory);
        logger.info("serving the console", {{"directory", o.console_directory}, {"files", files}});
    }
    s.server->add_plain_route("/health", [] {
        return rpc::PlainResponse{200, "text/plain", "ok"};
    });
    s.server->add_plain_route("/ready", [state = state_.get()] {
        std::lock_guard lock(state->mutex);
        if (state->not_ready.empty()) {
            return rpc::PlainResponse{200, "text/plain", "ready"};
        }
        return rpc::PlainResponse{503, "text/plain", "not ready: " + state->not_ready};
    });
}

ControlHost::~ControlHost() {
    stop();
}

void ControlHost::start() {
    state_->server->start();
    state_->checker = std::thread([state = state_.get()] { state->check_readiness(); });
    state_->membership->start();
    state_->logger.info("control server listening",
                        {{"address", state_->options.listen_address}, {"port", port()}});
}

std::uint16_t ControlHost::port() const {
    return state_->server->port();
}

void ControlHost::stop() {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopping) {
            return;
        }
        state_->stopping = true;
    }
    state_->wake.notify_all();
    state_->membership->stop();
    state_->server->stop();
    // Before the server (and its io_context) is destroyed: a worker finishing a request's job
    // still holds the server's executor.
    state_->service->shutdown();
    if (state_->checker.joinable()) {
        state_->checker.join();
    }
}

const ca::CertificateAuthority& ControlHost::authority() const {
    return *state_->authority;
}

rpc::Server& ControlHost::server() {
    return *state_->server;
}

}  // namespace pm::control
