// Login, refresh-token rotation with reuse detection, logout, and the bootstrap admin.
#include <powermanage/auth/cookies.hpp>
#include <powermanage/common/time.hpp>
#include <powermanage/eventstore/events.hpp>
#include <powermanage/validation/validator.hpp>

#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

// One answer for an unknown email, a wrong password and a disabled account, so that the
// answer tells an attacker nothing about which accounts exist or are disabled.
constexpr const char* kBadLogin = "invalid email or password";
constexpr const char* kBadRefresh = "invalid or expired refresh token; log in again";

Clock::TimePoint whole_seconds(Clock::TimePoint t) {
    return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

bool over_https(const rpc::CallContext& ctx) {
    auto proto = ctx.request_headers.get("x-forwarded-proto");
    return ctx.secure || (proto && *proto == "https");
}

db::Actor actor_for(const std::string& user_id, const std::string& role) {
    return role == "admin" ? db::Actor::admin(user_id) : db::Actor::user(user_id);
}

struct LoginRow {
    std::string id;
    std::string password_hash;
    SessionState session;
};

std::optional<LoginRow> find_login(db::ConnectionPool& pool, const std::string& email) {
    return db::with_actor(pool, db::Actor::system("login"), [&](db::Transaction& tx) {
        auto rows = tx.exec(
            "SELECT id, password_hash, role, email, session_version, disabled FROM "
            "users_projection WHERE lower(email) = lower($1) AND NOT is_deleted",
            {email});
        std::optional<LoginRow> row;
        if (rows.rows() == 1) {
            row = LoginRow{std::string(rows.text(0, 0)), std::string(rows.text(0, 1)),
                           SessionState{std::string(rows.text(0, 2)), std::string(rows.text(0, 3)),
                                        static_cast<std::int32_t>(rows.int64(0, 4)),
                                        rows.boolean(0, 5), false}};
        }
        return row;
    });
}

void revoke_family(db::Transaction& tx, const std::string& family, const std::string& reason) {
    tx.exec(
        "UPDATE auth_refresh_families SET revoked_at = now(), revoke_reason = $2 "
        "WHERE family_id = $1 AND revoked_at IS NULL",
        {family, reason});
}

}  // namespace

ControlService::Impl::IssuedTokens ControlService::Impl::issue_tokens(db::Transaction& tx,
                                                                      const std::string& user_id,
                                                                      const SessionState& session,
                                                                      const std::string& family) {
    const auto now = whole_seconds(clock_.now());
    IssuedTokens out;
    out.access_expires_at = now + options_.access_token_lifetime;
    out.refresh_expires_at = now + options_.refresh_token_lifetime;

    auth::Claims claims;
    claims.user_id = user_id;
    claims.email = session.email;
    claims.role = session.role;
    claims.session_version = session.session_version;
    claims.issued_at = now;

    claims.jti = ids_.next_string();
    claims.type = auth::TokenType::access;
    claims.expires_at = out.access_expires_at;
    out.access_token = jwt_.sign(claims);

    claims.jti = ids_.next_string();
    claims.type = auth::TokenType::refresh;
    claims.expires_at = out.refresh_expires_at;
    claims.family = family.empty() ? ids_.next_string() : family;
    const std::string issued = format_rfc3339(now);
    const std::string expires = format_rfc3339(out.refresh_expires_at);
    if (family.empty()) {
        tx.exec(
            "INSERT INTO auth_refresh_families (family_id, user_id, created_at, expires_at) "
            "VALUES ($1, $2, $3, $4)",
            {claims.family, user_id, issued, expires});
    } else {
        tx.exec("UPDATE auth_refresh_families SET expires_at = $2 WHERE family_id = $1",
                {claims.family, expires});
    }
    tx.exec(
        "INSERT INTO auth_refresh_tokens (jti, family_id, issued_at, expires_at) "
        "VALUES ($1, $2, $3, $4)",
        {claims.jti, claims.family, issued, expires});
    out.refresh_token = jwt_.sign(claims);
    return out;
}

void ControlService::Impl::set_session_cookies(Call& call, const IssuedTokens& tokens) const {
    const bool secure = over_https(call.ctx);
    call.ctx.response_headers.add("set-cookie",
                                  auth::set_cookie(auth::kAccessCookie, tokens.access_token,
                                                   tokens.access_expires_at, secure));
    call.ctx.response_headers.add("set-cookie",
                                  auth::set_cookie(auth::kRefreshCookie, tokens.refresh_token,
                                                   tokens.refresh_expires_at, secure));
}

pm::v1::LoginResponse Sessions::login(Call& call, const pm::v1::LoginRequest& request) {
    const auto steady_now = std::chrono::steady_clock::now();
    if (!service_.login_throttle_.allowed(request.email(), steady_now)) {
        fail(rpc::Code::resource_exhausted,
             "too many failed logins for this account; wait 15 minutes or ask an administrator "
             "to reset the password");
    }
    auto row = find_login(service_.pool_, request.email());
    if (!row) {
        service_.hasher_.spend_verify_time(request.password());
        service_.login_throttle_.record_failure(request.email(), steady_now);
        fail(rpc::Code::unauthenticated, kBadLogin);
    }
    if (!service_.hasher_.verify(request.password(), row->password_hash)) {
        service_.login_throttle_.record_failure(request.email(), steady_now);
        fail(rpc::Code::unauthenticated, kBadLogin);
    }
    if (row->session.disabled) {
        fail(rpc::Code::unauthenticated, kBadLogin);
    }
    service_.login_throttle_.record_success(request.email());

    std::vector<es::NewEvent> events;
    if (service_.hasher_.needs_rehash(row->password_hash)) {
        // Parameters were raised since this hash was made: the password is at hand only now.
        events.push_back(
            es::NewEvent::of(es::UserPasswordRehashed{service_.hasher_.hash(request.password())}));
    }
    events.push_back(es::NewEvent::of(es::UserLoggedIn{}));
    service_.store_.append({std::string(es::kUserStream), row->id}, es::ExpectedVersion::any(),
                           std::move(events), actor_for(row->id, row->session.role));

    ControlService::Impl::IssuedTokens tokens = db::with_actor(
        service_.pool_, db::Actor::system("login"),
        [&](db::Transaction& tx) { return service_.issue_tokens(tx, row->id, row->session, {}); });
    service_.set_session_cookies(call, tokens);

    pm::v1::LoginResponse response;
    response.set_access_token(tokens.access_token);
    response.set_refresh_token(tokens.refresh_token);
    set_timestamp(response.mutable_expires_at(), tokens.access_expires_at);
    auto user = service_.read(call, [&](db::Transaction& tx) { return find_user(tx, row->id); });
    if (user) {
        *response.mutable_user() = std::move(*user);
    }
    return response;
}

pm::v1::RefreshTokenResponse Sessions::refresh_token(Call& call,
                                                     const pm::v1::RefreshTokenRequest& request) {
    auto verified = service_.jwt_.verify(request.refresh_token(), auth::TokenType::refresh,
                                         service_.clock_.now());
    if (!verified.ok() || verified.claims->family.empty()) {
        fail(rpc::Code::unauthenticated, kBadRefresh);
    }
    const auth::Claims& claims = *verified.claims;
    std::string refusal;
    std::optional<ControlService::Impl::IssuedTokens> tokens;
    db::with_actor(service_.pool_, db::Actor::system("refresh"), [&](db::Transaction& tx) {
        // Locks the token and its family, so that concurrent refreshes of one token queue up
        // and the second one sees the first one's consumption (and counts as reuse).
        auto rows = tx.exec(
            "SELECT t.consumed_at IS NOT NULL, f.revoked_at IS NOT NULL, f.user_id "
            "FROM auth_refresh_tokens t JOIN auth_refresh_families f USING (family_id) "
            "WHERE t.jti = $1 AND f.family_id = $2 FOR UPDATE",
            {claims.jti, claims.family});
        if (rows.rows() != 1 || rows.boolean(0, 1) || rows.text(0, 2) != claims.user_id) {
            refusal = kBadRefresh;
            return;
        }
        if (rows.boolean(0, 0)) {
            revoke_family(tx, claims.family, "refresh token reused");
            refusal =
                "this refresh token was already used, so it may have been copied: every session "
                "started by this login is now revoked; log in again";
            return;
        }
        tx.exec("UPDATE auth_refresh_tokens SET consumed_at = now() WHERE jti = $1", {claims.jti});
        service_.sessions_.invalidate(claims.user_id);
        auto session = service_.sessions_.get(claims.user_id);
        if (!session || session->deleted || session->disabled ||
            session->session_version != claims.session_version) {
            revoke_family(tx, claims.family, "session invalidated");
            refusal = "the session ended (password, role or account changed); log in again";
            return;
        }
        tokens = service_.issue_tokens(tx, claims.user_id, *session, claims.family);
    });
    if (!tokens) {
        fail(rpc::Code::unauthenticated, refusal);
    }
    service_.set_session_cookies(call, *tokens);
    pm::v1::RefreshTokenResponse response;
    response.set_access_token(tokens->access_token);
    response.set_refresh_token(tokens->refresh_token);
    set_timestamp(response.mutable_expires_at(), tokens->access_expires_at);
    return response;
}

pm::v1::LogoutResponse Sessions::logout(Call& call, const pm::v1::LogoutRequest& request) {
    // Expired tokens still end their family: logging out must work after a long absence.
    auto verified =
        service_.jwt_.verify(request.refresh_token(), auth::TokenType::refresh, Clock::TimePoint{});
    if (verified.ok() && !verified.claims->family.empty()) {
        db::with_actor(service_.pool_, db::Actor::system("logout"), [&](db::Transaction& tx) {
            revoke_family(tx, verified.claims->family, "logout");
        });
    }
    const bool secure = over_https(call.ctx);
    call.ctx.response_headers.add("set-cookie", auth::clear_cookie(auth::kAccessCookie, secure));
    call.ctx.response_headers.add("set-cookie", auth::clear_cookie(auth::kRefreshCookie, secure));
    return {};
}

pm::v1::GetCurrentUserResponse Sessions::get_current_user(Call& call,
                                                          const pm::v1::GetCurrentUserRequest&) {
    auto user =
        service_.read(call, [&](db::Transaction& tx) { return find_user(tx, call.caller_id); });
    if (!user) {
        fail(rpc::Code::not_found, "user not found");
    }
    pm::v1::GetCurrentUserResponse response;
    *response.mutable_user() = std::move(*user);
    return response;
}

bool ControlService::Impl::ensure_admin(const std::string& email, const std::string& password) {
    pm::v1::CreateUserRequest request;
    request.set_email(email);
    request.set_password(password);
    request.set_role("admin");
    auto violations = validation::RuleSet::contract().validate(request);
    if (!violations.empty()) {
        throw std::invalid_argument("the bootstrap admin is not valid: " +
                                    validation::describe(violations));
    }
    if (find_login(pool_, email)) {
        return false;
    }
    try {
        store_.append({std::string(es::kUserStream), ids_.next_string()},
                      es::ExpectedVersion::no_stream(),
                      {es::NewEvent::of(es::UserCreated{email, hasher_.hash(password), "admin"})},
                      db::Actor::system("bootstrap"));
    } catch (const es::AlreadyExists&) {
        return false;  // another replica created it first
    }
    return true;
}

}  // namespace pm::control
