#pragma once
/// @file
/// @brief Password hashing with Argon2id (RFC 9106), stored in the PHC string format so that
/// every hash records its own parameters; hashes made with weaker parameters than the current
/// ones are recognised so that a login can upgrade them.
#include <cstdint>
#include <string>
#include <string_view>

namespace pm::auth {

/// Argon2id cost parameters. The defaults are OWASP's first recommendation (19 MiB, 2 passes,
/// 1 lane).
struct PasswordParams {
    std::uint32_t memory_kib = 19 * 1024;  ///< memory per hash, KiB (>= 8 * parallelism)
    std::uint32_t iterations = 2;          ///< passes over the memory (>= 1)
    std::uint32_t parallelism = 1;         ///< lanes (>= 1)
    friend bool operator==(const PasswordParams&, const PasswordParams&) = default;  ///< tests
};

/// Hashes and checks passwords. Thread-safe; every call costs one Argon2id evaluation.
class PasswordHasher {
public:
    /// Hashes with `params`; throws std::invalid_argument for parameters Argon2 refuses.
    explicit PasswordHasher(PasswordParams params = {});

    /// A PHC string `$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>` with a random 16-byte salt
    /// and a 32-byte tag. Throws std::invalid_argument for a password over kMaxPasswordBytes.
    std::string hash(std::string_view password) const;

    /// Whether `password` matches `encoded`. False (never an exception) for a wrong password,
    /// a malformed or non-Argon2id hash, or a password over kMaxPasswordBytes. Constant-time
    /// comparison.
    bool verify(std::string_view password, std::string_view encoded) const;

    /// Whether `encoded` should be replaced by a new hash: not Argon2id, unparsable, or any
    /// parameter below the current ones.
    bool needs_rehash(std::string_view encoded) const;

    /// Spends the time of one verify() on nothing, so that "no such user" takes as long as
    /// "wrong password".
    void spend_verify_time(std::string_view password) const;

    /// The parameters new hashes get.
    const PasswordParams& params() const { return params_; }

    /// Longest password accepted, in bytes (long inputs would only cost CPU).
    static constexpr std::size_t kMaxPasswordBytes = 1024;

private:
    PasswordParams params_;
    std::string dummy_hash_;  // made at construction, for spend_verify_time()
};

/// Parses the parameters of a PHC Argon2id string; false if it is not one.
bool parse_argon2id_params(std::string_view encoded, PasswordParams& out);

}  // namespace pm::auth
