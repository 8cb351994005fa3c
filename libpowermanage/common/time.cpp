#include <cstdint>

#include <powermanage/common/time.hpp>

namespace pm {

namespace {

// Appends `value` as exactly `width` decimal digits (zero-padded; `value` must fit).
void append_digits(std::string& out, std::uint32_t value, int width) {
    std::string digits(static_cast<std::size_t>(width), '0');
    for (int i = width - 1; i >= 0; --i) {
        digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out += digits;
}

}  // namespace

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto micros = floor<microseconds>(t);
    const auto day = floor<days>(micros);
    const year_month_day date{day};
    const hh_mm_ss time{micros - day};
    std::string out;
    out.reserve(32);
    append_digits(out, static_cast<std::uint32_t>(static_cast<int>(date.year())), 4);
    out += '-';
    append_digits(out, static_cast<unsigned>(date.month()), 2);
    out += '-';
    append_digits(out, static_cast<unsigned>(date.day()), 2);
    out += 'T';
    append_digits(out, static_cast<std::uint32_t>(time.hours().count()), 2);
    out += ':';
    append_digits(out, static_cast<std::uint32_t>(time.minutes().count()), 2);
    out += ':';
    append_digits(out, static_cast<std::uint32_t>(time.seconds().count()), 2);
    out += '.';
    const auto fraction = static_cast<std::uint32_t>(time.subseconds().count());
    if (fraction % 1000 == 0) {
        append_digits(out, fraction / 1000, 3);
    } else {
        append_digits(out, fraction, 6);
    }
    out += 'Z';
    return out;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
    using namespace std::chrono;
    std::size_t pos = 0;
    // Reads exactly `width` digits at `pos`.
    const auto number = [&](int width, int& out) {
        if (pos + static_cast<std::size_t>(width) > text.size()) {
            return false;
        }
        out = 0;
        for (int i = 0; i < width; ++i) {
            const char c = text[pos++];
            if (c < '0' || c > '9') {
                return false;
            }
            out = out * 10 + (c - '0');
        }
        return true;
    };
    const auto literal = [&](std::string_view accepted) {
        if (pos >= text.size() || accepted.find(text[pos]) == std::string_view::npos) {
            return false;
        }
        ++pos;
        return true;
    };

    int y = 0;
    int mo = 0;
    int d = 0;
    int h = 0;
    int mi = 0;
    int s = 0;
    if (!number(4, y) || !literal("-") || !number(2, mo) || !literal("-") || !number(2, d) ||
        !literal("Tt ") || !number(2, h) || !literal(":") || !number(2, mi) || !literal(":") ||
        !number(2, s)) {
        return std::nullopt;
    }
    std::int64_t nanos = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (digits < 9) {
                nanos = nanos * 10 + (text[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0) {
            return std::nullopt;
        }
        for (int i = digits; i < 9; ++i) {
            nanos *= 10;
        }
    }
    int offset_minutes = 0;
    if (literal("Zz")) {
        // UTC.
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos++] == '-' ? -1 : 1;
        int oh = 0;
        int om = 0;
        if (!number(2, oh) || !literal(":") || !number(2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = sign * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }

    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                              day{static_cast<unsigned>(d)}};
    if (!date.ok() || h > 23 || mi > 59 || s > 59) {
        return std::nullopt;
    }
    const std::int64_t seconds_since_epoch =
        static_cast<std::int64_t>(sys_days{date}.time_since_epoch().count()) * 86400 + h * 3600 +
        mi * 60 + s - offset_minutes * 60;
    // Nanosecond time points span about 1677..2262; keep a second's margin for the fraction.
    using Clock = system_clock;
    const auto lowest = floor<seconds>(Clock::time_point::min()).time_since_epoch().count() + 1;
    const auto highest = floor<seconds>(Clock::time_point::max()).time_since_epoch().count() - 1;
    if (seconds_since_epoch < lowest || seconds_since_epoch > highest) {
        return std::nullopt;
    }
    return Clock::time_point{duration_cast<Clock::duration>(seconds{seconds_since_epoch}) +
                             duration_cast<Clock::duration>(nanoseconds{nanos})};
}

}  // namespace pm
