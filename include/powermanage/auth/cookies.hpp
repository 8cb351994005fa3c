#pragma once
/// @file
/// @brief The `pm_access` and `pm_refresh` cookies a web client receives at Login and
/// RefreshToken and loses at Logout (reference server 2.6), as Set-Cookie values.
#include <chrono>
#include <string>
#include <string_view>

namespace pm::auth {

/// Name of the cookie holding the access token.
inline constexpr std::string_view kAccessCookie = "pm_access";
/// Name of the cookie holding the refresh token.
inline constexpr std::string_view kRefreshCookie = "pm_refresh";

/// A Set-Cookie value: `<name>=<value>; Path=/; Expires=<IMF-fixdate>; HttpOnly` followed by
/// `; Secure; SameSite=None` when `secure` (the client reached us over HTTPS, directly or
/// through a proxy saying X-Forwarded-Proto: https), else `; SameSite=Lax`.
std::string set_cookie(std::string_view name, std::string_view value,
                       std::chrono::system_clock::time_point expires, bool secure);

/// A Set-Cookie value that deletes the cookie: empty value, `Path=/; Max-Age=0; HttpOnly` and
/// the same Secure/SameSite rule.
std::string clear_cookie(std::string_view name, bool secure);

/// `t` as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string http_date(std::chrono::system_clock::time_point t);

}  // namespace pm::auth
