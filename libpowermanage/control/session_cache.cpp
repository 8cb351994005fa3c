#include "control/session_cache.hpp"

#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>

namespace pm::control {

namespace {
// Bounds memory: the cache is emptied when it grows past this many users (they are refetched
// on their next request), which is simpler than an LRU and rare in practice.
constexpr std::size_t kMaxEntries = 100000;
}  // namespace

SessionCache::SessionCache(db::ConnectionPool& pool, std::chrono::milliseconds ttl)
    : pool_(pool), ttl_(ttl) {}

std::optional<SessionState> SessionCache::get(const std::string& user_id) {
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(user_id);
        if (it != entries_.end() && now - it->second.fetched < ttl_) {
            return it->second.state;
        }
    }
    std::optional<SessionState> state;
    db::with_actor(pool_, db::Actor::system("session-check"), [&](db::Transaction& tx) {
        auto rows = tx.exec(
            "SELECT role, email, session_version, disabled, is_deleted FROM users_projection "
            "WHERE id = $1",
            {user_id});
        if (rows.rows() == 1) {
            state = SessionState{std::string(rows.text(0, 0)), std::string(rows.text(0, 1)),
                                 static_cast<std::int32_t>(rows.int64(0, 2)), rows.boolean(0, 3),
                                 rows.boolean(0, 4)};
        }
    });
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) {
        entries_.clear();
    }
    entries_[user_id] = Entry{state, now};
    return state;
}

std::optional<std::optional<SessionState>> SessionCache::cached(const std::string& user_id) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    auto it = entries_.find(user_id);
    if (it != entries_.end() && now - it->second.fetched < ttl_) {
        return it->second.state;
    }
    return std::nullopt;
}

void SessionCache::invalidate(const std::string& user_id) {
    std::lock_guard lock(mutex_);
    entries_.erase(user_id);
}

}  // namespace pm::control
