#include <algorithm>

#include <google/protobuf/descriptor.h>

#include <powermanage/common/log.hpp>
#include <powermanage/control/control_service.hpp>
#include <powermanage/validation/validator.hpp>

#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace {

constexpr std::string_view kServicePrefix = "pm.v1.ControlService.";

std::string full_name(std::string_view method) {
    return std::string(kServicePrefix) + std::string(method);
}

// The RPCs implemented so far. The rest of the ControlService answers unimplemented (after the
// policy's role check, so a user still learns "permission denied" first).
constexpr std::string_view kImplemented[] = {
    "Register",
    "Login",
    "RefreshToken",
    "Logout",
    "GetCurrentUser",
    "CreateUser",
    "GetUser",
    "ListUsers",
    "UpdateUserEmail",
    "UpdateUserPassword",
    "UpdateUserRole",
    "SetUserDisabled",
    "DeleteUser",
    "ListDevices",
    "GetDevice",
    "SetDeviceLabel",
    "RemoveDeviceLabel",
    "AssignDevice",
    "UnassignDevice",
    "SetDeviceSyncInterval",
    "DeleteDevice",
    "CreateToken",
    "GetToken",
    "ListTokens",
    "RenameToken",
    "SetTokenDisabled",
    "DeleteToken",
    "DispatchAction",
    "DispatchToMultiple",
    "GetExecution",
    "ListExecutions",
};

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
      sessions_(pool, options_.session_cache_ttl),
      login_throttle_(options_.max_failed_logins, options_.failed_login_window) {}

namespace {

// Adapts a synchronous handler to the server: validation by the contract's rules, the
// policy's condition, then the handler, all on a worker thread.
template <class Request, class Response>
void add_handler(rpc::Server& server, ControlService::Impl& impl, std::string_view method,
                 Response (ControlService::Impl::*handler)(Call&, const Request&), bool is_public) {
    const std::string name(method);
    std::function<rpc::Task<rpc::Result<Response>>(rpc::CallContext&, const Request&)> adapted =
        [&impl, handler, name, is_public](
            rpc::CallContext& ctx, const Request& request) -> rpc::Task<rpc::Result<Response>> {
        Response response;
        co_await impl.workers_.run([&] {
            auto violations = validation::RuleSet::contract().validate(request);
            if (!violations.empty()) {
                fail(rpc::Code::invalid_argument, validation::describe(violations));
            }
            Call call{ctx, {}, {}, {}};
            if (!is_public) {
                call.caller_id = ctx.principal;
                auto role = ctx.attributes.find(std::string(rpc::kRoleAttribute));
                call.role = role == ctx.attributes.end() ? std::string() : role->second;
                auto permission = impl.policy_.lookup(name, call.role);
                if (!permission) {
                    fail(rpc::Code::permission_denied, "permission denied");
                }
                call.permission = *permission;
                impl.authorize(call, request);
            }
            response = (impl.*handler)(call, request);
        });
        co_return response;
    };
    server.add_unary<Request, Response>(full_name(method), std::move(adapted));
}

}  // namespace

void ControlService::Impl::install(rpc::Server& server, const rpc::RateLimitOptions& rate_limits) {
    server.add_interceptor(rpc::rate_limit(rate_limits));
    rpc::AuthenticationOptions authn;
    authn.verifier = [this](std::string_view token) {
        return verify_access_token(std::string(token));
    };
    server.add_interceptor(rpc::authentication(std::move(authn)));
    // The role check up front, so that RPCs without a handler still refuse callers the policy
    // refuses; conditions need the request and are checked by the handlers' adapter.
    auto publics = rpc::default_public_methods();
    server.add_interceptor(rpc::policy([this, publics](const rpc::CallContext& ctx) {
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

    using I = Impl;
    add_handler(server, *this, "Register", &I::register_device, true);
    add_handler(server, *this, "Login", &I::login, true);
    add_handler(server, *this, "RefreshToken", &I::refresh_token, true);
    add_handler(server, *this, "Logout", &I::logout, true);
    add_handler(server, *this, "GetCurrentUser", &I::get_current_user, false);
    add_handler(server, *this, "CreateUser", &I::create_user, false);
    add_handler(server, *this, "GetUser", &I::get_user, false);
    add_handler(server, *this, "ListUsers", &I::list_users, false);
    add_handler(server, *this, "UpdateUserEmail", &I::update_user_email, false);
    add_handler(server, *this, "UpdateUserPassword", &I::update_user_password, false);
    add_handler(server, *this, "UpdateUserRole", &I::update_user_role, false);
    add_handler(server, *this, "SetUserDisabled", &I::set_user_disabled, false);
    add_handler(server, *this, "DeleteUser", &I::delete_user, false);
    add_handler(server, *this, "ListDevices", &I::list_devices, false);
    add_handler(server, *this, "GetDevice", &I::get_device, false);
    add_handler(server, *this, "SetDeviceLabel", &I::set_device_label, false);
    add_handler(server, *this, "RemoveDeviceLabel", &I::remove_device_label, false);
    add_handler(server, *this, "AssignDevice", &I::assign_device, false);
    add_handler(server, *this, "UnassignDevice", &I::unassign_device, false);
    add_handler(server, *this, "SetDeviceSyncInterval", &I::set_device_sync_interval, false);
    add_handler(server, *this, "DeleteDevice", &I::delete_device, false);
    add_handler(server, *this, "CreateToken", &I::create_token, false);
    add_handler(server, *this, "GetToken", &I::get_token, false);
    add_handler(server, *this, "ListTokens", &I::list_tokens, false);
    add_handler(server, *this, "RenameToken", &I::rename_token, false);
    add_handler(server, *this, "SetTokenDisabled", &I::set_token_disabled, false);
    add_handler(server, *this, "DeleteToken", &I::delete_token, false);
    add_handler(server, *this, "DispatchAction", &I::dispatch_action, false);
    add_handler(server, *this, "DispatchToMultiple", &I::dispatch_to_multiple, false);
    add_handler(server, *this, "GetExecution", &I::get_execution, false);
    add_handler(server, *this, "ListExecutions", &I::list_executions, false);

    // The other RPCs are served too, answering unimplemented: a method the server does not
    // know is refused (404) before any interceptor runs, so anonymous callers would not learn
    // unauthenticated, nor refused roles permission_denied.
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        "pm.v1.ControlService");
    for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
        const auto* method = service->method(i);
        if (std::ranges::find(kImplemented, method->name()) != std::end(kImplemented) ||
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
    rpc::Result<rpc::Principal> result{rpc::Status{rpc::Code::unauthenticated, "invalid token"}};
    co_await workers_.run([&] {
        auto verified = jwt_.verify(token, auth::TokenType::access, clock_.now());
        if (!verified.ok()) {
            return;
        }
        const auth::Claims& claims = *verified.claims;
        if (claims.role == "device") {
            // No flow issues device JWTs; agents authenticate with certificates at the gateway.
            result = rpc::Principal{claims.user_id, claims.role};
            return;
        }
        std::optional<SessionState> session;
        try {
            session = sessions_.get(claims.user_id);
        } catch (const std::exception&) {
            result = rpc::Status{rpc::Code::unavailable,
                                 "cannot check the session: the database is unreachable; retry"};
            return;
        }
        if (!session || session->deleted || session->disabled ||
            session->session_version != claims.session_version) {
            return;
        }
        result = rpc::Principal{claims.user_id, session->role};
    });
    co_return result;
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
}

bool ControlService::ensure_admin(const std::string& email, const std::string& password) {
    return impl_->ensure_admin(email, password);
}

std::vector<std::string> ControlService::implemented_methods() {
    std::vector<std::string> out;
    for (auto m : kImplemented) {
        out.push_back(full_name(m));
    }
    return out;
}

}  // namespace pm::control
