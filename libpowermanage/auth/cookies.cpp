#include <array>
#include <cstdio>
#include <ctime>
#include <string>

#include <powermanage/auth/cookies.hpp>

namespace pm::auth {
namespace {

// Fixed English names: strftime's %a and %b follow the locale, and HTTP dates must not.
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view attributes(bool secure) {
    // SameSite=None is only honoured together with Secure; over plain HTTP Lax is the most a
    // browser will send the cookie with.
    return secure ? "; Secure; SameSite=None" : "; SameSite=Lax";
}

}  // namespace

std::string set_cookie(std::string_view name, std::string_view value,
                       std::chrono::system_clock::time_point expires, bool secure) {
    std::string out;
    out.reserve(name.size() + value.size() + 96);
    out.append(name).append("=").append(value);
    out.append("; Path=/; Expires=").append(http_date(expires)).append("; HttpOnly");
    out.append(attributes(secure));
    return out;
}

std::string clear_cookie(std::string_view name, bool secure) {
    std::string out(name);
    out.append("=; Path=/; Max-Age=0; HttpOnly").append(attributes(secure));
    return out;
}

std::string http_date(std::chrono::system_clock::time_point t) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
    const auto time = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&time, &tm);
    std::array<char, 40> buffer{};
    const int n = std::snprintf(buffer.data(), buffer.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                                kDays[static_cast<std::size_t>(tm.tm_wday)].data(), tm.tm_mday,
                                kMonths[static_cast<std::size_t>(tm.tm_mon)].data(),
                                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buffer.data(), static_cast<std::size_t>(n));
}

}  // namespace pm::auth
