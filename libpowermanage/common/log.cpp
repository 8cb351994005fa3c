#include <chrono>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <type_traits>
#include <utility>

#include <powermanage/common/log.hpp>
#include <powermanage/common/utf8.hpp>

#include "common/text_format.hpp"

namespace pm {
namespace {

// One line; std::string's small-buffer and a reserve keep a typical line to one allocation.
using Buffer = std::string;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != b[i]) {
            return false;
        }
    }
    return true;
}

void append(Buffer& out, std::string_view s) {
    out.append(s);
}

// Appends `s` as the inside of a JSON string. U+2028 and U+2029 are escaped too because
// JavaScript consumers treat them as line breaks.
void append_json_escaped(Buffer& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const Utf8Step step = utf8_step(s, i);
            if (!step.valid) {
                append(out, kReplacement);
            } else if (step.length == 3 && c == 0xE2 && s[i + 1] == '\x80' &&
                       (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
                append(out, s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029");
            } else {
                append(out, s.substr(i, step.length));
            }
            i += step.length;
            continue;
        }
        switch (c) {
            case '"':
                append(out, "\\\"");
                break;
            case '\\':
                append(out, "\\\\");
                break;
            case '\b':
                append(out, "\\b");
                break;
            case '\f':
                append(out, "\\f");
                break;
            case '\n':
                append(out, "\\n");
                break;
            case '\r':
                append(out, "\\r");
                break;
            case '\t':
                append(out, "\\t");
                break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    append(out, "\\u");
                    common_detail::append_hex(out, c, 4);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
}

// Appends free text (message, key, unquoted value) for the text format: valid UTF-8 and no
// control characters, so that one event stays one line and cannot forge another.
void append_text_sanitized(Buffer& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const Utf8Step step = utf8_step(s, i);
            append(out, step.valid ? s.substr(i, step.length) : kReplacement);
            i += step.length;
            continue;
        }
        if (c == '\n') {
            append(out, "\\n");
        } else if (c == '\r') {
            append(out, "\\r");
        } else if (c == '\t') {
            append(out, "\\t");
        } else if (c < 0x20 || c == 0x7F) {
            append(out, "\\x");
            common_detail::append_hex(out, c, 2);
        } else {
            out.push_back(static_cast<char>(c));
        }
        ++i;
    }
}

// Text values are quoted when a reader splitting on spaces and '=' would misread them.
bool needs_quotes(std::string_view s) {
    if (s.empty()) {
        return true;
    }
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7F || c == '=' || c == '"') {
            return true;
        }
    }
    return false;
}

void append_timestamp(Buffer& out, Clock::TimePoint t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t.time_since_epoch());
    const auto day = floor<days>(ms);
    const year_month_day date{sys_days(day)};
    const hh_mm_ss time{ms - day};
    char text[40];
    const int n = std::snprintf(
        text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
        static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
    out.append(text, static_cast<std::size_t>(n));
}

std::string_view text_level(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "DEBUG";
        case LogLevel::info:
            return "INFO ";
        case LogLevel::warn:
            return "WARN ";
        case LogLevel::error:
            return "ERROR";
    }
    return "?????";
}

void append_json_value(Buffer& out, const LogValue& value) {
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                out.push_back('"');
                append_json_escaped(out, v);
                out.push_back('"');
            } else if constexpr (std::is_same_v<T, bool>) {
                append(out, v ? "true" : "false");
            } else if constexpr (std::is_same_v<T, double>) {
                // JSON has no NaN or infinity; a string keeps the line parseable.
                if (std::isfinite(v)) {
                    common_detail::append_number(out, v);
                } else {
                    out.push_back('"');
                    common_detail::append_number(out, v);
                    out.push_back('"');
                }
            } else {
                common_detail::append_number(out, v);
            }
        },
        value.value());
}

void append_text_value(Buffer& out, const LogValue& value) {
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
                if (needs_quotes(v)) {
                    out.push_back('"');
                    append_json_escaped(out, v);
                    out.push_back('"');
                } else {
                    append_text_sanitized(out, v);
                }
            } else if constexpr (std::is_same_v<T, bool>) {
                append(out, v ? "true" : "false");
            } else {
                common_detail::append_number(out, v);
            }
        },
        value.value());
}

void format_json(Buffer& out, Clock::TimePoint t, LogLevel level, std::string_view message,
                 std::span<const LogField> fields) {
    append(out, "{\"ts\":\"");
    append_timestamp(out, t);
    append(out, "\",\"level\":\"");
    append(out, to_string(level));
    append(out, "\",\"msg\":\"");
    append_json_escaped(out, message);
    out.push_back('"');
    for (const LogField& field : fields) {
        append(out, ",\"");
        append_json_escaped(out, field.key);
        append(out, "\":");
        append_json_value(out, field.value);
    }
    append(out, "}\n");
}

void format_text(Buffer& out, Clock::TimePoint t, LogLevel level, std::string_view message,
                 std::span<const LogField> fields) {
    append_timestamp(out, t);
    out.push_back(' ');
    append(out, text_level(level));
    out.push_back(' ');
    append_text_sanitized(out, message);
    for (const LogField& field : fields) {
        out.push_back(' ');
        append_text_sanitized(out, field.key);
        out.push_back('=');
        append_text_value(out, field.value);
    }
    out.push_back('\n');
}

void write_stderr(std::string_view line) {
    // stderr is unbuffered, so one fwrite is one write(2) of the whole line.
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
    for (const LogLevel level :
         {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
        if (iequals(text, to_string(level))) {
            return level;
        }
    }
    if (iequals(text, "warning")) {
        return LogLevel::warn;
    }
    return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
    for (const LogFormat format : {LogFormat::text, LogFormat::json}) {
        if (iequals(text, to_string(format))) {
            return format;
        }
    }
    return std::nullopt;
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "unknown";
}

std::string_view to_string(LogFormat format) {
    switch (format) {
        case LogFormat::text:
            return "text";
        case LogFormat::json:
            return "json";
    }
    return "unknown";
}

Logger::Logger() : Logger(LogSink(write_stderr)) {}

Logger::Logger(LogSink sink, LogLevel level, LogFormat format, const Clock& clock)
    : clock_(clock), level_(level), format_(format), sink_(std::move(sink)) {}

Logger::Logger(std::ostream& out, LogLevel level, LogFormat format, const Clock& clock)
    : Logger(
          [&out](std::string_view line) {
              out.write(line.data(), static_cast<std::streamsize>(line.size()));
              out.flush();
          },
          level, format, clock) {}

void Logger::set_sink(LogSink sink) {
    const std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
}

void Logger::write(LogLevel level, std::string_view message,
                   std::span<const LogField> fields) noexcept {
    try {
        Buffer line;
        line.reserve(256);
        const Clock::TimePoint now = clock_.now();
        if (format() == LogFormat::json) {
            format_json(line, now, level, message, fields);
        } else {
            format_text(line, now, level, message, fields);
        }
        const std::lock_guard lock(mutex_);
        if (sink_) {
            sink_(std::string_view(line.data(), line.size()));
        }
    } catch (...) {
        // A logger that throws would turn a diagnostic into an outage; count and move on.
        dropped_.fetch_add(1, std::memory_order_relaxed);
    }
}

Logger& default_logger() {
    // Never destroyed, so that code running during static destruction can still log.
    static Logger* const logger = new Logger();
    return *logger;
}

}  // namespace pm
