#pragma once
/// @file
/// @brief A per-account limit on failed logins, on top of the per-address rate limit: after
/// `max_failures` wrong passwords within `window`, the account's logins are refused until the
/// oldest failure leaves the window, whoever tries and from wherever. A success clears the
/// account's failures.
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pm::auth {

/// Counts failed logins per account (by lower-cased email). Thread-safe. Memory is bounded:
/// at most `max_accounts` accounts are tracked; past that the one with the oldest last failure
/// is forgotten.
class LoginThrottle {
public:
    /// Allows `max_failures` failures per `window`.
    LoginThrottle(std::size_t max_failures = 10,
                  std::chrono::seconds window = std::chrono::minutes(15),
                  std::size_t max_accounts = 100000);

    /// Whether a login for `email` may be tried at `now`.
    bool allowed(std::string_view email, std::chrono::steady_clock::time_point now);
    /// Records a wrong password (or unknown account) for `email`.
    void record_failure(std::string_view email, std::chrono::steady_clock::time_point now);
    /// Clears `email`'s failures after a successful login.
    void record_success(std::string_view email);

private:
    std::size_t max_failures_;
    std::chrono::seconds window_;
    std::size_t max_accounts_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::deque<std::chrono::steady_clock::time_point>> failures_;
};

}  // namespace pm::auth
