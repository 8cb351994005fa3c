#include <array>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <argon2.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <powermanage/auth/password.hpp>

namespace pm::auth {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kTagBytes = 32;
constexpr std::string_view kPrefix = "$argon2id$v=19$";

// Reads "<key>=<decimal>" at the front of `text` and drops it; false unless it is exactly
// that with a value that fits 32 bits.
bool take_param(std::string_view& text, std::string_view key, std::uint32_t& value) {
    if (text.size() <= key.size() + 1 || text.substr(0, key.size()) != key ||
        text[key.size()] != '=') {
        return false;
    }
    text.remove_prefix(key.size() + 1);
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr == text.data()) {
        return false;
    }
    text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
    return true;
}

// One PHC field of unpadded standard base64, as libargon2 writes salts and tags.
bool is_b64_field(std::string_view field) {
    if (field.empty()) {
        return false;
    }
    for (const char c : field) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string encode(const PasswordParams& params, std::string_view password) {
    std::array<unsigned char, kSaltBytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        throw std::runtime_error("cannot hash a password: the OpenSSL random source failed (" +
                                 std::to_string(ERR_get_error()) + ")");
    }
    std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                          kSaltBytes, kTagBytes, Argon2_id),
                        '\0');
    const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                         password.data(), password.size(), salt.data(), salt.size(),
                                         kTagBytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) {
        const std::string why =
            std::string("Argon2id refused the parameters m=") + std::to_string(params.memory_kib) +
            ", t=" + std::to_string(params.iterations) +
            ", p=" + std::to_string(params.parallelism) + ": " + argon2_error_message(rc);
        if (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL) {
            throw std::runtime_error(why);
        }
        throw std::invalid_argument(why);
    }
    // argon2_encodedlen() counts the terminating NUL and can overestimate.
    encoded.resize(encoded.find('\0'));
    return encoded;
}

}  // namespace

PasswordHasher::PasswordHasher(PasswordParams params) : params_(params) {
    // Hashing once both validates the parameters (libargon2 is the judge of what it accepts)
    // and gives spend_verify_time() a hash that costs exactly what a real one does.
    dummy_hash_ = encode(params_, "pm-auth-timing-equalizer");
}

std::string PasswordHasher::hash(std::string_view password) const {
    if (password.size() > kMaxPasswordBytes) {
        throw std::invalid_argument("password is longer than " + std::to_string(kMaxPasswordBytes) +
                                    " bytes");
    }
    return encode(params_, password);
}

bool PasswordHasher::verify(std::string_view password, std::string_view encoded) const {
    PasswordParams stored;
    if (password.size() > kMaxPasswordBytes || !parse_argon2id_params(encoded, stored)) {
        return false;
    }
    // parse_argon2id_params() has ruled out NULs, so the copy is the whole C string.
    const std::string terminated(encoded);
    return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool PasswordHasher::needs_rehash(std::string_view encoded) const {
    PasswordParams stored;
    if (!parse_argon2id_params(encoded, stored)) {
        return true;
    }
    return stored.memory_kib < params_.memory_kib || stored.iterations < params_.iterations ||
           stored.parallelism < params_.parallelism;
}

void PasswordHasher::spend_verify_time(std::string_view password) const {
    static_cast<void>(verify(password, dummy_hash_));
}

bool parse_argon2id_params(std::string_view encoded, PasswordParams& out) {
    if (encoded.substr(0, kPrefix.size()) != kPrefix) {
        return false;
    }
    std::string_view rest = encoded.substr(kPrefix.size());
    PasswordParams params;
    if (!take_param(rest, "m", params.memory_kib) || rest.empty() || rest.front() != ',') {
        return false;
    }
    rest.remove_prefix(1);
    if (!take_param(rest, "t", params.iterations) || rest.empty() || rest.front() != ',') {
        return false;
    }
    rest.remove_prefix(1);
    if (!take_param(rest, "p", params.parallelism) || rest.empty() || rest.front() != '$') {
        return false;
    }
    rest.remove_prefix(1);
    const auto dollar = rest.find('$');
    if (dollar == std::string_view::npos || !is_b64_field(rest.substr(0, dollar)) ||
        !is_b64_field(rest.substr(dollar + 1))) {
        return false;
    }
    out = params;
    return true;
}

}  // namespace pm::auth
