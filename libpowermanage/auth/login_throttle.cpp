#include <algorithm>
#include <cctype>

#include <powermanage/auth/login_throttle.hpp>

namespace pm::auth {
namespace {

std::string account_key(std::string_view email) {
    std::string key(email);
    for (char& c : key) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return key;
}

}  // namespace

LoginThrottle::LoginThrottle(std::size_t max_failures, std::chrono::seconds window,
                             std::size_t max_accounts)
    : max_failures_(max_failures),
      window_(window),
      max_accounts_(std::max<std::size_t>(max_accounts, 1)) {}

bool LoginThrottle::allowed(std::string_view email, std::chrono::steady_clock::time_point now) {
    const std::lock_guard lock(mutex_);
    const auto it = failures_.find(account_key(email));
    if (it == failures_.end()) {
        return max_failures_ > 0;
    }
    auto& times = it->second;
    while (!times.empty() && times.front() + window_ <= now) {
        times.pop_front();
    }
    if (times.empty()) {
        failures_.erase(it);
        return max_failures_ > 0;
    }
    return times.size() < max_failures_;
}

void LoginThrottle::record_failure(std::string_view email,
                                   std::chrono::steady_clock::time_point now) {
    const std::lock_guard lock(mutex_);
    std::string key = account_key(email);
    auto it = failures_.find(key);
    if (it == failures_.end()) {
        if (failures_.size() >= max_accounts_) {
            // Only reached when an attacker spreads failures over very many accounts: a linear
            // sweep drops every account whose failures have all expired and, if that frees
            // nothing, the one whose last failure is oldest (the least useful to remember).
            auto oldest = failures_.end();
            for (auto at = failures_.begin(); at != failures_.end();) {
                if (at->second.empty() || at->second.back() + window_ <= now) {
                    at = failures_.erase(at);
                    continue;
                }
                if (oldest == failures_.end() || at->second.back() < oldest->second.back()) {
                    oldest = at;
                }
                ++at;
            }
            if (failures_.size() >= max_accounts_ && oldest != failures_.end()) {
                failures_.erase(oldest);
            }
        }
        it = failures_.emplace(std::move(key), std::deque<std::chrono::steady_clock::time_point>{})
                 .first;
    }
    auto& times = it->second;
    times.push_back(now);
    // Only the newest max_failures matter: the account is blocked until the oldest of them
    // leaves the window, so older ones never decide anything.
    while (times.size() > std::max<std::size_t>(max_failures_, 1)) {
        times.pop_front();
    }
}

void LoginThrottle::record_success(std::string_view email) {
    const std::lock_guard lock(mutex_);
    failures_.erase(account_key(email));
}

}  // namespace pm::auth
