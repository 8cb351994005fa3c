#pragma once
/// @file
/// @brief The state of users' sessions that every authenticated request checks (deleted,
/// disabled, session_version, role), read from users_projection and cached briefly so that a
/// busy console does not cost one query per request.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace pm::db {
class ConnectionPool;
}  // namespace pm::db

namespace pm::control {

/// One user's session state.
struct SessionState {
    std::string role;                  ///< current role
    std::string email;                 ///< current email
    std::int32_t session_version = 0;  ///< bumped by password change, disable, role change, delete
    bool disabled = false;             ///< the account is disabled
    bool deleted = false;              ///< the account is deleted
};

/// Cached reads of SessionState. Thread-safe.
class SessionCache {
public:
    /// Reads through `pool`; entries are trusted for `ttl`.
    SessionCache(db::ConnectionPool& pool, std::chrono::milliseconds ttl);

    /// The user's state, from the cache or the database; nullopt if there is no such user.
    /// Throws db::DatabaseError if the database cannot be read.
    std::optional<SessionState> get(const std::string& user_id);

    /// What get() would answer from the cache alone, without blocking: nullopt when the
    /// entry is missing or older than the ttl (get() would read the database); otherwise
    /// the cached answer, which may itself say there is no such user.
    std::optional<std::optional<SessionState>> cached(const std::string& user_id);

    /// Forgets `user_id`, after a change this process made to it.
    void invalidate(const std::string& user_id);

private:
    struct Entry {
        std::optional<SessionState> state;
        std::chrono::steady_clock::time_point fetched;
    };
    db::ConnectionPool& pool_;
    std::chrono::milliseconds ttl_;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace pm::control
