#pragma once

/// @file
/// @brief Structured logging: one line per event, as text for people or as JSON lines for log
/// collectors, each carrying a timestamp, a level, a message and typed key/value fields.

#include <atomic>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <powermanage/common/clock.hpp>

namespace pm {

/// How severe an event is. A Logger drops events below its level.
enum class LogLevel { debug, info, warn, error };

/// How a Logger writes its lines.
enum class LogFormat {
    text,  ///< `2026-11-26T22:41:07.123Z INFO  agent connected streams=3`, for people.
    json,  ///< One JSON object per line, for log collectors.
};

/// Reads "debug", "info", "warn" (or "warning") and "error", in any case; nullopt otherwise.
std::optional<LogLevel> parse_log_level(std::string_view text);

/// Reads "text" or "json", in any case; nullopt otherwise.
std::optional<LogFormat> parse_log_format(std::string_view text);

/// The lower-case name of a level, as parse_log_level() reads it and JSON lines carry it.
std::string_view to_string(LogLevel level);

/// The lower-case name of a format, as parse_log_format() reads it.
std::string_view to_string(LogFormat format);

/// The value of one log field: a string, an integer, a floating-point number or a bool.
///
/// String values are referenced, not copied, so that a dropped event costs no allocation.
/// Build fields inside the logging call, where temporaries such as `id.to_string()` live until
/// the line has been written; do not keep a LogValue beyond that. The constructors are
/// implicit so that fields read `{"streams", 3}`.
class LogValue {
public:
    /// The stored value; string_view for all strings, the widest type for numbers.
    using Variant = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

    /// A string value.
    LogValue(std::string_view text) noexcept : value_(text) {}

    /// A string value from a C string; must not be null.
    LogValue(const char* text) noexcept : value_(std::string_view(text)) {}

    /// A string value referring to `text`.
    LogValue(const std::string& text) noexcept : value_(std::string_view(text)) {}

    /// A signed integer value.
    template <std::signed_integral T>
    LogValue(T number) noexcept : value_(static_cast<std::int64_t>(number)) {}

    /// An unsigned integer value.
    template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>) LogValue(T number)
    noexcept : value_(static_cast<std::uint64_t>(number)) {}

    /// A floating-point value.
    template <std::floating_point T>
    LogValue(T number) noexcept : value_(static_cast<double>(number)) {}

    /// A bool value. A template so that pointers do not silently convert to bool.
    template <std::same_as<bool> T>
    LogValue(T flag) noexcept : value_(flag) {}

    /// The stored value.
    const Variant& value() const noexcept { return value_; }

private:
    Variant value_;
};

/// One key/value pair of a log event. Keys `ts`, `level` and `msg` are taken by every line;
/// fields with those keys are still written but make JSON lines carry duplicate keys.
struct LogField {
    std::string_view key;  ///< Field name, snake_case by convention.
    LogValue value;        ///< Field value.
};

/// Receives each formatted line, ending in '\n'. Called under the Logger's lock, so it sees
/// whole lines one at a time; it must not log through the same Logger.
using LogSink = std::function<void(std::string_view line)>;

/// A structured logger. Thread-safe: each event is formatted on the calling thread, then
/// handed to the sink as one complete line under a lock, so lines never interleave.
///
/// Logging never throws: a line that cannot be formatted or written is counted in dropped().
/// Events below the level return after one atomic load, but their field arguments are still
/// evaluated; guard expensive ones with enabled().
class Logger {
public:
    /// Text at info level to standard error, timed by the system clock.
    Logger();

    /// Writes to `sink`; `clock` (for the timestamps) must outlive the Logger.
    explicit Logger(LogSink sink, LogLevel level = LogLevel::info,
                    LogFormat format = LogFormat::text, const Clock& clock = Clock::system());

    /// Writes to `out`, flushing after each line; `out` and `clock` must outlive the Logger.
    explicit Logger(std::ostream& out, LogLevel level = LogLevel::info,
                    LogFormat format = LogFormat::text, const Clock& clock = Clock::system());

    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    /// The lowest level written.
    LogLevel level() const noexcept { return level_.load(std::memory_order_relaxed); }

    /// Changes the lowest level written; safe while other threads log.
    void set_level(LogLevel level) noexcept { level_.store(level, std::memory_order_relaxed); }

    /// The output format.
    LogFormat format() const noexcept { return format_.load(std::memory_order_relaxed); }

    /// Changes the output format; safe while other threads log.
    void set_format(LogFormat format) noexcept { format_.store(format, std::memory_order_relaxed); }

    /// Replaces the sink; safe while other threads log.
    void set_sink(LogSink sink);

    /// Whether an event at `level` would be written.
    bool enabled(LogLevel level) const noexcept { return level >= this->level(); }

    /// Writes one event if its level is enabled.
    void log(LogLevel level, std::string_view message,
             std::initializer_list<LogField> fields = {}) noexcept {
        if (enabled(level)) {
            write(level, message, std::span<const LogField>(fields.begin(), fields.size()));
        }
    }

    /// Writes one event if its level is enabled; for fields assembled at run time.
    void log(LogLevel level, std::string_view message, std::span<const LogField> fields) noexcept {
        if (enabled(level)) {
            write(level, message, fields);
        }
    }

    /// log() at debug level.
    void debug(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::debug, message, fields);
    }

    /// log() at info level.
    void info(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::info, message, fields);
    }

    /// log() at warn level.
    void warn(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::warn, message, fields);
    }

    /// log() at error level.
    void error(std::string_view message, std::initializer_list<LogField> fields = {}) noexcept {
        log(LogLevel::error, message, fields);
    }

    /// Lines lost because formatting ran out of memory or the sink threw.
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
    void write(LogLevel level, std::string_view message, std::span<const LogField> fields) noexcept;

    const Clock& clock_;
    std::atomic<LogLevel> level_;
    std::atomic<LogFormat> format_;
    std::atomic<std::uint64_t> dropped_{0};
    std::mutex mutex_;
    LogSink sink_;
};

/// The process-wide logger: text at info level to standard error until reconfigured with
/// set_level(), set_format() or set_sink().
Logger& default_logger();

}  // namespace pm
