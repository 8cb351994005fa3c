#include <chrono>
#include <memory>
#include <string>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/common/ulid.hpp>

#include "boundary.hpp"

struct pm_jwt {
    pm::auth::JwtCodec codec;
};

namespace {

using pm::capi::Failure;
using std::chrono::system_clock;

// Verified claims: the C view first, the strings it points into after.
struct OwnedClaims : pm_claims {
    std::string jti_text, user_id_text, email_text, role_text, family_text;
};

pm_status token_status(pm::auth::JwtError error) {
    switch (error) {
        case pm::auth::JwtError::malformed:
            return PM_ERR_TOKEN_MALFORMED;
        case pm::auth::JwtError::bad_algorithm:
            return PM_ERR_TOKEN_ALGORITHM;
        case pm::auth::JwtError::bad_signature:
            return PM_ERR_BAD_SIGNATURE;
        case pm::auth::JwtError::expired:
            return PM_ERR_TOKEN_EXPIRED;
        case pm::auth::JwtError::wrong_type:
            return PM_ERR_TOKEN_TYPE;
        case pm::auth::JwtError::wrong_issuer:
            return PM_ERR_TOKEN_ISSUER;
    }
    return PM_ERR_TOKEN_MALFORMED;
}

pm::auth::TokenType token_type(pm_token_type type) {
    switch (type) {
        case PM_TOKEN_ACCESS:
            return pm::auth::TokenType::access;
        case PM_TOKEN_REFRESH:
            return pm::auth::TokenType::refresh;
    }
    throw Failure(PM_ERR_INVALID_ARGUMENT, "token type " + std::to_string(static_cast<int>(type)) +
                                               " is neither PM_TOKEN_ACCESS nor PM_TOKEN_REFRESH");
}

system_clock::time_point from_unix(std::int64_t seconds) {
    return system_clock::time_point(std::chrono::seconds(seconds));
}

std::int64_t to_unix(system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::string or_empty(const char* text) {
    return text == nullptr ? std::string() : std::string(text);
}

}  // namespace

extern "C" {

pm_status pm_jwt_open(const void* secret, size_t secret_size, pm_jwt** out, pm_error** error) {
    return pm::capi::guarded("pm_jwt_open", error, [&] {
        pm::capi::require(secret, "secret");
        pm::capi::require(out, "out");
        *out = new pm_jwt{
            pm::auth::JwtCodec(std::string(static_cast<const char*>(secret), secret_size))};
    });
}

void pm_jwt_free(pm_jwt* jwt) {
    delete jwt;
}

pm_status pm_jwt_issue(const pm_jwt* jwt, const pm_claims* claims, char** out, pm_error** error) {
    return pm::capi::guarded("pm_jwt_issue", error, [&] {
        pm::capi::require(jwt, "jwt");
        pm::capi::require(claims, "claims");
        pm::capi::require(out, "out");
        pm::capi::require(claims->user_id, "claims->user_id");
        pm::capi::require(claims->role, "claims->role");
        if (claims->expires_at <= claims->issued_at) {
            throw Failure(PM_ERR_INVALID_ARGUMENT,
                          "claims->expires_at must be after claims->issued_at");
        }
        pm::auth::Claims c;
        c.jti = claims->jti == nullptr || *claims->jti == '\0' ? pm::new_ulid() : claims->jti;
        c.user_id = claims->user_id;
        c.email = or_empty(claims->email);
        c.role = claims->role;
        c.type = token_type(claims->type);
        c.session_version = claims->session_version;
        c.family = or_empty(claims->family);
        c.issued_at = from_unix(claims->issued_at);
        c.expires_at = from_unix(claims->expires_at);
        *out = pm::capi::copy_string(jwt->codec.sign(c));
    });
}

pm_status pm_jwt_verify(const pm_jwt* jwt, const char* token, pm_token_type expected, int64_t now,
                        pm_claims** out, pm_error** error) {
    return pm::capi::guarded("pm_jwt_verify", error, [&] {
        pm::capi::require(jwt, "jwt");
        pm::capi::require(token, "token");
        const auto at = now == 0 ? system_clock::now() : from_unix(now);
        const auto verified = jwt->codec.verify(token, token_type(expected), at);
        if (!verified.ok()) {
            throw Failure(token_status(verified.error),
                          "token refused: " + std::string(pm::auth::to_string(verified.error)));
        }
        if (out == nullptr) {
            return;
        }
        const auto& c = *verified.claims;
        auto owned = std::make_unique<OwnedClaims>();
        owned->jti_text = c.jti;
        owned->user_id_text = c.user_id;
        owned->email_text = c.email;
        owned->role_text = c.role;
        owned->family_text = c.family;
        owned->jti = owned->jti_text.c_str();
        owned->user_id = owned->user_id_text.c_str();
        owned->email = owned->email_text.c_str();
        owned->role = owned->role_text.c_str();
        owned->family = owned->family_text.c_str();
        owned->type = c.type == pm::auth::TokenType::access ? PM_TOKEN_ACCESS : PM_TOKEN_REFRESH;
        owned->session_version = c.session_version;
        owned->issued_at = to_unix(c.issued_at);
        owned->expires_at = to_unix(c.expires_at);
        *out = owned.release();
    });
}

void pm_claims_free(pm_claims* claims) {
    // Every pm_claims this library hands out is an OwnedClaims.
    delete static_cast<OwnedClaims*>(claims);
}

}  // extern "C"
