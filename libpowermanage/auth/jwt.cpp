#include <array>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <powermanage/auth/jwt.hpp>
#include <powermanage/common/base64.hpp>

namespace pm::auth {
namespace {

namespace json = boost::json;
using std::chrono::system_clock;

constexpr std::size_t kTagBytes = 32;
constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";

using Tag = std::array<unsigned char, kTagBytes>;

Tag hmac_sha256(std::string_view key, std::string_view data) {
    Tag tag{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), tag.data(),
             &length) == nullptr ||
        length != kTagBytes) {
        throw std::runtime_error("HMAC-SHA256 failed in OpenSSL (" +
                                 std::to_string(ERR_get_error()) + ")");
    }
    return tag;
}

std::string_view to_string(TokenType type) {
    return type == TokenType::access ? "access" : "refresh";
}

std::int64_t to_seconds(system_clock::time_point t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The largest NumericDate a time_point can hold: libstdc++ counts nanoseconds, so a token
// claiming a later date must be refused rather than overflow.
constexpr std::int64_t kMaxSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(system_clock::duration::max()).count();

// Claim readers: true when the claim is absent (leaving `out` alone) or of the right type.
bool read_string(const json::object& payload, std::string_view key, std::string& out) {
    const auto* v = payload.if_contains(key);
    if (v == nullptr) {
        return true;
    }
    if (!v->is_string()) {
        return false;
    }
    out.assign(v->get_string().data(), v->get_string().size());
    return true;
}

bool read_int(const json::object& payload, std::string_view key, std::int64_t& out) {
    const auto* v = payload.if_contains(key);
    if (v == nullptr) {
        return true;
    }
    if (v->is_int64()) {
        out = v->get_int64();
        return true;
    }
    if (v->is_uint64() &&
        v->get_uint64() <= std::uint64_t{std::numeric_limits<std::int64_t>::max()}) {
        out = static_cast<std::int64_t>(v->get_uint64());
        return true;
    }
    return false;
}

bool read_date(const json::object& payload, std::string_view key, system_clock::time_point& out) {
    std::int64_t seconds = 0;
    if (!read_int(payload, key, seconds) || seconds < 0 || seconds > kMaxSeconds) {
        return false;
    }
    out = system_clock::time_point(std::chrono::seconds(seconds));
    return true;
}

std::optional<json::object> parse_object(std::string_view text) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec || !value.is_object()) {
        return std::nullopt;
    }
    return std::move(value.get_object());
}

}  // namespace

std::string_view to_string(JwtError error) {
    switch (error) {
        case JwtError::malformed:
            return "malformed";
        case JwtError::bad_algorithm:
            return "bad_algorithm";
        case JwtError::bad_signature:
            return "bad_signature";
        case JwtError::expired:
            return "expired";
        case JwtError::wrong_type:
            return "wrong_type";
        case JwtError::wrong_issuer:
            return "wrong_issuer";
    }
    return "unknown";
}

JwtCodec::JwtCodec(std::string secret) : secret_(std::move(secret)) {
    if (secret_.size() < kMinSecretBytes) {
        throw std::invalid_argument("the JWT secret has " + std::to_string(secret_.size()) +
                                    " bytes; at least " + std::to_string(kMinSecretBytes) +
                                    " are needed");
    }
}

std::string JwtCodec::sign(const Claims& claims) const {
    json::object payload;
    payload["jti"] = claims.jti;
    payload["iss"] = kIssuer;
    payload["sub"] = claims.user_id;
    payload["iat"] = to_seconds(claims.issued_at);
    payload["exp"] = to_seconds(claims.expires_at);
    payload["uid"] = claims.user_id;
    payload["email"] = claims.email;
    payload["role"] = claims.role;
    payload["type"] = to_string(claims.type);
    if (claims.session_version != 0) {
        payload["sv"] = claims.session_version;
    }
    if (!claims.family.empty()) {
        payload["fam"] = claims.family;
    }
    std::string token = pm::base64url_encode(kHeaderJson);
    token += '.';
    token += pm::base64url_encode(json::serialize(payload));
    const Tag tag = hmac_sha256(secret_, token);
    token += '.';
    token += pm::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(tag.data()), tag.size()));
    return token;
}

JwtCodec::Verified JwtCodec::verify(std::string_view token, TokenType expected,
                                    system_clock::time_point now) const {
    const auto fail = [](JwtError error) { return Verified{std::nullopt, error}; };

    // Structure: three base64url parts, the header a JSON object.
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return fail(JwtError::malformed);
    }
    const auto header_text = pm::base64url_decode(token.substr(0, dot1));
    const auto payload_text = pm::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    const auto signature = pm::base64url_decode(token.substr(dot2 + 1));
    if (!header_text || !payload_text || !signature) {
        return fail(JwtError::malformed);
    }
    const auto header = parse_object(*header_text);
    if (!header) {
        return fail(JwtError::malformed);
    }

    // Algorithm: exactly HS256. `crit` names extensions we would have to understand, and we
    // understand none.
    const auto* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256" ||
        header->contains("crit")) {
        return fail(JwtError::bad_algorithm);
    }

    // Signature, before anything in the payload is believed.
    const Tag expected_tag = hmac_sha256(secret_, token.substr(0, dot2));
    if (signature->size() != kTagBytes ||
        CRYPTO_memcmp(signature->data(), expected_tag.data(), kTagBytes) != 0) {
        return fail(JwtError::bad_signature);
    }

    const auto payload = parse_object(*payload_text);
    if (!payload) {
        return fail(JwtError::malformed);
    }
    Claims claims;
    std::string issuer;
    std::string subject;
    std::string type;
    std::int64_t session_version = 0;
    const bool types_ok =
        read_string(*payload, "jti", claims.jti) && read_string(*payload, "iss", issuer) &&
        read_string(*payload, "sub", subject) && read_string(*payload, "uid", claims.user_id) &&
        read_string(*payload, "email", claims.email) &&
        read_string(*payload, "role", claims.role) && read_string(*payload, "type", type) &&
        read_string(*payload, "fam", claims.family) && read_int(*payload, "sv", session_version) &&
        read_date(*payload, "iat", claims.issued_at) &&
        read_date(*payload, "exp", claims.expires_at);
    if (!types_ok || !payload->contains("jti") || !payload->contains("uid") ||
        !payload->contains("exp") || session_version < std::numeric_limits<std::int32_t>::min() ||
        session_version > std::numeric_limits<std::int32_t>::max()) {
        return fail(JwtError::malformed);
    }
    claims.session_version = static_cast<std::int32_t>(session_version);

    if (!payload->contains("iss") || issuer != kIssuer) {
        return fail(JwtError::wrong_issuer);
    }
    if (now >= claims.expires_at) {
        return fail(JwtError::expired);
    }
    if (type != to_string(expected)) {
        return fail(JwtError::wrong_type);
    }
    claims.type = expected;
    return Verified{std::move(claims), JwtError::malformed};
}

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (bytes > 0 &&
        RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
        throw std::runtime_error(
            "cannot generate random bytes: the OpenSSL random source failed (" +
            std::to_string(ERR_get_error()) + ")");
    }
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (const char c : raw) {
        const auto b = static_cast<unsigned char>(c);
        out += kHex[b >> 4];
        out += kHex[b & 0x0F];
    }
    return out;
}

}  // namespace pm::auth
