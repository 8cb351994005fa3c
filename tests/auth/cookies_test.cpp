#include <chrono>

#include <gtest/gtest.h>

#include <powermanage/auth/cookies.hpp>

namespace pm::auth {
namespace {

using namespace std::chrono;

// 2026-11-26 08:49:37.750 UTC, a Thursday; the milliseconds must not show.
const system_clock::time_point kWhen =
    sys_days{year{2026} / 11 / 26} + hours(8) + minutes(49) + seconds(37) + milliseconds(750);

TEST(CookiesTest, HttpDateIsAnImfFixdate) {
    EXPECT_EQ(http_date(kWhen), "Thu, 26 Nov 2026 08:49:37 GMT");
    EXPECT_EQ(http_date(sys_days{year{1994} / 11 / 6} + hours(8) + minutes(49) + seconds(37)),
              "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(http_date(system_clock::time_point{}), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(http_date(sys_days{year{2028} / 2 / 29}), "Tue, 29 Feb 2028 00:00:00 GMT");
}

TEST(CookiesTest, SecureCookie) {
    EXPECT_EQ(set_cookie(kAccessCookie, "abc.def.ghi", kWhen, true),
              "pm_access=abc.def.ghi; Path=/; Expires=Thu, 26 Nov 2026 08:49:37 GMT; HttpOnly; "
              "Secure; SameSite=None");
}

TEST(CookiesTest, PlainHttpCookie) {
    EXPECT_EQ(set_cookie(kRefreshCookie, "r", kWhen, false),
              "pm_refresh=r; Path=/; Expires=Thu, 26 Nov 2026 08:49:37 GMT; HttpOnly; "
              "SameSite=Lax");
}

TEST(CookiesTest, ClearCookie) {
    EXPECT_EQ(clear_cookie(kAccessCookie, true),
              "pm_access=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=None");
    EXPECT_EQ(clear_cookie(kRefreshCookie, false),
              "pm_refresh=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

}  // namespace
}  // namespace pm::auth
