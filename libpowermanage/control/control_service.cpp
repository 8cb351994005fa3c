#include <algorithm>

#include <google/protobuf/descriptor.h>

#include <powermanage/common/log.hpp>
#include <powermanage/control/control_service.hpp>
#include <powermanage/validation/validator.hpp>

#include "control/handler_table.hpp"
#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace {

constexpr std::string_view kServicePrefix = "pm.v1.ControlService.";

std::string full_name(std::string_view method) {
    return std::string(kServicePrefix) + std::string(method);
}

}  // namespace

db::Actor Call::actor() const {
    if (role == "admin") {
        return db::Actor::admin(caller_id);
    }
    if (role == "user") {
        return db::Actor::user(caller_id);
    }
    if (role == "device") {
        return db::Actor::device(caller_id);
    }
    return db::Actor::system("control");
}

ControlService::Impl::Impl(db::ConnectionPool& pool, eventstore::EventStore& store,
                           const ca::CertificateAuthority& authority, const auth::JwtCodec& jwt,
                           const auth::PasswordHasher& hasher, const auth::Policy& policy,
                           ControlOptions options, const Clock& clock)
    : pool_(pool),
      store_(store),
      authority_(authority),
      jwt_(jwt),
      hasher_(hasher),
      policy_(policy),
      options_(std::move(options)),
      clock_(clock),
      ids_(clock),
      workers_(options_.worker_threads),
      // Beside the pool's connections, as many: up to one per read in flight, each held for
      // one round trip.
      reads_(pool.url(), db::AsyncReadOptions{.max_connections = pool.max_size()}),
      sessions_(pool, options_.session_cache_ttl),
      login_throttle_(options_.max_failed_logins, options_.failed_login_window) {}

void ControlService::Impl::install(rpc::Server& server, const rpc::RateLimitOptions& rate_limits) {
    // Scoped to this service: an integrator's own services on the same server keep their own
    // authentication, and are not limited by our buckets.
    constexpr std::string_view kService = "pm.v1.ControlService";
    server.add_service_interceptor(kService, rpc::rate_limit(rate_limits));
    rpc::AuthenticationOptions authn;
    authn.verifier = [this](std::string_view token) {
        return verify_access_token(std::string(token));
    };
    server.add_service_interceptor(kService, rpc::authentication(std::move(authn)));
    // The role check up front, so that RPCs without a handler still refuse callers the policy
    // refuses; conditions need the request and are checked by the handlers' adapter.
    auto publics = rpc::default_public_methods();
    server.add_service_interceptor(
        kService, rpc::policy([this, publics](const rpc::CallContext& ctx) {
            if (ctx.method == nullptr) {
                return rpc::Status{rpc::Code::permission_denied, "permission denied"};
            }
            const std::string& full = ctx.method->full_name();
            if (publics.contains(full) || full.rfind(kServicePrefix, 0) != 0) {
                return rpc::Status::success();
            }
            auto role = ctx.attributes.find(std::string(rpc::kRoleAttribute));
            if (role == ctx.attributes.end() || !policy_.lookup(ctx.method->name(), role->second)) {
                return rpc::Status{rpc::Code::permission_denied, "permission denied"};
            }
            return rpc::Status::success();
        }));

    const auto handled = install_handlers(server, *this);

    // The other RPCs are served too, answering unimplemented: a method the server does not
    // know is refused (404) before any interceptor runs, so anonymous callers would not learn
    // unauthenticated, nor refused roles permission_denied.
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        "pm.v1.ControlService");
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
        const auto* method = service->method(i);
        if (std::ranges::find(handled, method->full_name()) != handled.end() ||
            method->client_streaming() || method->server_streaming()) {
            continue;
        }
        server.add_unary(
            method->full_name(),
            [name = method->name()](rpc::CallContext&, const google::protobuf::Message&)
                -> rpc::Task<rpc::Result<std::unique_ptr<google::protobuf::Message>>> {
                co_return rpc::Status{rpc::Code::unimplemented,
                                      name + " is not implemented by this server yet"};
            });
    }
}

rpc::Task<rpc::Result<rpc::Principal>> ControlService::Impl::verify_access_token(
    std::string token) {
    const rpc::Status invalid{rpc::Code::unauthenticated, "invalid token"};
    // An HMAC and a cached session take microseconds: on the I/O thread. Only a session that
    // is not cached needs the database, on a worker (a hand-off costs more than the check).
    auto verified = jwt_.verify(token, auth::TokenType::access, clock_.now());
    if (!verified.ok()) {
        co_return invalid;
    }
    const auth::Claims& claims = *verified.claims;
    if (claims.role == "device") {
        // No flow issues device JWTs; agents authenticate with certificates at the gateway.
        co_return rpc::Principal{claims.user_id, claims.role};
    }
    std::optional<std::optional<SessionState>> session = sessions_.cached(claims.user_id);
    if (!session) {
        bool unreachable = false;
        co_await workers_.run([&] {
            try {
                session = sessions_.get(claims.user_id);
            } catch (const std::exception&) {
                unreachable = true;
            }
        });
        if (unreachable) {
            co_return rpc::Status{rpc::Code::unavailable,
                                  "cannot check the session: the database is unreachable; retry"};
        }
    }
    const std::optional<SessionState>& state = *session;
    if (!state || state->deleted || state->disabled ||
        state->session_version != claims.session_version) {
        co_return invalid;
    }
    co_return rpc::Principal{claims.user_id, state->role};
}

std::int32_t ControlService::Impl::stream_version(const eventstore::StreamId& stream) {
    return store_.stream_version(stream);
}

eventstore::AppendResult ControlService::Impl::append(const Call& call,
                                                      const eventstore::StreamId& stream,
                                                      eventstore::ExpectedVersion expected,
                                                      std::vector<eventstore::NewEvent> events,
                                                      const std::string& duplicate_message) {
    try {
        return store_.append(stream, expected, std::move(events), call.actor());
    } catch (const eventstore::VersionConflict&) {
        fail(rpc::Code::aborted,
             "the " + stream.type + " was changed by another request at the same time; retry");
    } catch (const eventstore::AlreadyExists&) {
        fail(rpc::Code::already_exists, duplicate_message);
    }
}

std::int64_t ControlService::Impl::append_in(const Call& call, db::Transaction& tx,
                                             const Changes& changes,
                                             const std::string& duplicate_message) {
    try {
        std::int64_t last = 0;
        for (const auto& r : store_.append_in(tx, changes, call.actor(), call.actor())) {
            last = std::max(last, r.last_position);
        }
        return last;
    } catch (const eventstore::VersionConflict& conflict) {
        fail(rpc::Code::aborted, "the " + conflict.stream().type +
                                     " was changed by another request at the same time; retry");
    } catch (const eventstore::AlreadyExists&) {
        fail(rpc::Code::already_exists, duplicate_message);
    }
}

ControlService::ControlService(db::ConnectionPool& pool, eventstore::EventStore& store,
                               const ca::CertificateAuthority& authority, const auth::JwtCodec& jwt,
                               const auth::PasswordHasher& hasher, const auth::Policy& policy,
                               ControlOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(pool, store, authority, jwt, hasher, policy, std::move(options),
                                   clock)) {}

ControlService::~ControlService() = default;

void ControlService::install(rpc::Server& server, const rpc::RateLimitOptions& rate_limits) {
    impl_->install(server, rate_limits);
}

rpc::RateLimitOptions ControlService::default_rate_limits(
    std::vector<std::string> trusted_proxies) {
    rpc::RateLimitOptions options;
    options.per_method.emplace(full_name("Login"), rpc::RateLimit{10, std::chrono::minutes(1)});
    options.per_method.emplace(full_name("RefreshToken"),
                               rpc::RateLimit{60, std::chrono::minutes(1)});
    options.per_method.emplace(full_name("Register"), rpc::RateLimit{5, std::chrono::minutes(1)});
    options.trusted_proxies = std::move(trusted_proxies);
    return options;
}

rpc::TokenVerifier ControlService::token_verifier() {
    return [impl = impl_.get()](std::string_view token) {
        return impl->verify_access_token(std::string(token));
    };
}

void ControlService::shutdown() {
    impl_->workers_.join();
    // Their sockets belong to the server's io_context, which goes next.
    impl_->reads_.close();
}

bool ControlService::ensure_admin(const std::string& email, const std::string& password) {
    return impl_->ensure_admin(email, password);
}

std::vector<std::string> ControlService::implemented_methods() {
    return handled_methods();
}

}  // namespace pm::control
