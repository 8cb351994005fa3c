#pragma once
/// @file
/// @brief JSON Web Tokens for the control plane: HS256 only. Tokens carry the claims the
/// reference server's tokens carry (jti, iss, sub, iat, exp, uid, email, role, type, sv), so
/// a web client sees the same shape; refresh tokens add `fam`, their rotation family.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pm::auth {

/// What a token is for.
enum class TokenType { access, refresh };

/// The claims of one token.
struct Claims {
    std::string jti;                     ///< unique token id (a ULID)
    std::string user_id;                 ///< `uid` and `sub`
    std::string email;                   ///< `email`
    std::string role;                    ///< `role`: "admin", "user" or "device"
    TokenType type = TokenType::access;  ///< `type`
    std::int32_t session_version = 0;    ///< `sv` (left out of the token when 0)
    std::string family;                  ///< `fam`: refresh tokens' rotation family; else empty
    std::chrono::system_clock::time_point issued_at;   ///< `iat`, whole seconds
    std::chrono::system_clock::time_point expires_at;  ///< `exp`, whole seconds
};

/// Why a token was refused (for logs and tests; clients only ever learn "invalid or expired").
enum class JwtError {
    malformed,      ///< not three base64url parts of JSON objects, or a claim of the wrong type
    bad_algorithm,  ///< header `alg` is not exactly "HS256" (none, HS384, RS256, ...), or has
                    ///< `crit`
    bad_signature,  ///< the HMAC does not match
    expired,        ///< now >= exp
    wrong_type,     ///< `type` is not the expected one
    wrong_issuer,   ///< `iss` is not "power-manage"
};

/// A short English name of the error ("bad_algorithm").
std::string_view to_string(JwtError error);

/// Signs and verifies tokens with one HMAC-SHA256 secret. Thread-safe.
class JwtCodec {
public:
    /// The issuer every token carries and must carry.
    static constexpr std::string_view kIssuer = "power-manage";
    /// Shortest secret accepted, in bytes.
    static constexpr std::size_t kMinSecretBytes = 32;

    /// Throws std::invalid_argument if `secret` is shorter than kMinSecretBytes.
    explicit JwtCodec(std::string secret);

    /// The compact serialization `header.payload.signature`, header {"alg":"HS256","typ":"JWT"}.
    std::string sign(const Claims& claims) const;

    /// The claims if `token` is an HS256 token signed with this secret, of type `expected`,
    /// issued by kIssuer and not expired at `now`; otherwise the first reason it fails, checked
    /// in the order of JwtError (the signature before anything in the payload is trusted).
    struct Verified {
        std::optional<Claims> claims;                   ///< set on success
        JwtError error = JwtError::malformed;           ///< meaningful only without claims
        bool ok() const { return claims.has_value(); }  ///< whether it verified
    };
    /// Checks `token`'s signature, then its type (`expected`) and expiry against `now`.
    Verified verify(std::string_view token, TokenType expected,
                    std::chrono::system_clock::time_point now) const;

private:
    std::string secret_;
};

/// `bytes` random bytes from the OS CSPRNG, hex-encoded (for generated development secrets).
std::string random_hex(std::size_t bytes);

}  // namespace pm::auth
