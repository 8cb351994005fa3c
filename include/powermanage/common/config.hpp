#pragma once

/// @file
/// @brief Daemon configuration from command-line flags and environment variables.
///
/// A daemon declares its options once in an OptionSet; parsing then applies the precedence
/// flag > environment > default, checks every value against its type, and reports all
/// problems together in one ConfigError whose lines name the flag, the environment variable,
/// the offending value and what was expected.
///
/// @code
/// pm::OptionSet options("pm-gateway", "Power Manage agent gateway.");
/// options.add_address("listen-addr").env("GATEWAY_LISTEN_ADDR").default_value(":8080")
///     .help("Address the agent-facing server listens on.");
/// options.add_duration("heartbeat-interval").env("GATEWAY_HEARTBEAT_INTERVAL")
///     .default_value("30s").help("How often agents must check in.");
/// // Prints the usage and exits 0 on --help; prints the problems and exits 2 on bad flags.
/// const pm::Config config = options.parse_or_exit(argc, argv);
/// const auto interval = config.get_duration("heartbeat-interval");
/// @endcode

#include <chrono>
#include <concepts>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pm {

/// Configuration the user has to fix. what() lists every problem found, one per line.
class ConfigError : public std::runtime_error {
public:
    /// An error made of `problems`, which must not be empty.
    explicit ConfigError(std::vector<std::string> problems);

    /// Each problem on its own, in the order found.
    const std::vector<std::string>& problems() const noexcept { return problems_; }

private:
    std::vector<std::string> problems_;
};

/// What kind of value an option holds, which decides how its text is checked.
enum class OptionType {
    string,    ///< Any text.
    boolean,   ///< true/false, 1/0, yes/no, on/off; a bare flag means true.
    integer,   ///< A decimal integer within the option's range.
    duration,  ///< A Go-style duration: 30s, 15m, 1h30m, 1.5h, 500ms; a bare number is refused.
    address,   ///< host:port, e.g. :8081, 127.0.0.1:8081, [::1]:8081.
    url,       ///< scheme://rest, optionally limited to given schemes.
    path,      ///< A file-system path, optionally required to exist.
    choice,    ///< One of a fixed list of words, matched without regard to case.
};

/// Where an option's value came from.
enum class ValueSource {
    unset,          ///< No flag, no environment variable, no default.
    default_value,  ///< The declared default.
    environment,    ///< The option's environment variable.
    flag,           ///< A command-line flag.
};

/// The name of a source as describe() prints it: "unset", "default", "env" or "flag".
std::string_view to_string(ValueSource source);

/// A network address to listen on or connect to.
struct HostPort {
    std::string host;        ///< Empty for every interface; IPv6 literals without brackets.
    std::uint16_t port = 0;  ///< 0 lets the operating system pick when listening.

    /// The `host:port` text, with brackets around IPv6 literals.
    std::string to_string() const;

    /// Equal when host and port are.
    friend bool operator==(const HostPort&, const HostPort&) = default;
};

/// Reads a Go-style duration: a sequence of decimal numbers (fractions allowed) each followed
/// by a unit ns, us, µs, ms, s, m or h, as in "1h30m" or "1.5s"; "0" alone is also accepted.
/// Returns nullopt for anything else, including signs, bare numbers and overflow.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// Reads `host:port`, `:port` or `[ipv6]:port`. Returns nullopt for a missing or out-of-range
/// port, an IPv6 literal without brackets, or characters no host name contains.
std::optional<HostPort> parse_host_port(std::string_view text);

/// Looks up an environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The real process environment.
EnvLookup process_environment();

/// A fixed environment, for tests and for tools that build one by hand.
EnvLookup environment_from(std::map<std::string, std::string> variables);

class OptionSet;

/// One declared option. OptionSet's add_*() functions return it so that its settings chain.
/// Setters that do not apply to the option's type throw std::logic_error: they are mistakes
/// in the daemon, not in its configuration.
class OptionSpec {
public:
    /// The environment variable that sets this option when its flag is absent, e.g.
    /// CONTROL_LISTEN_ADDR. Upper-case letters, digits and '_'.
    OptionSpec& env(std::string name);

    /// One or two sentences for the usage text.
    OptionSpec& help(std::string text);

    /// The value used when neither flag nor environment sets one; checked like user input.
    OptionSpec& default_value(std::string_view text);

    /// default_value() from a C string.
    OptionSpec& default_value(const char* text) { return default_value(std::string_view(text)); }

    /// default_value() for boolean options.
    template <std::same_as<bool> T>
    OptionSpec& default_value(T flag) {
        return default_value(std::string_view(flag ? "true" : "false"));
    }

    /// default_value() for integer options.
    template <std::integral T>
    requires(!std::same_as<T, bool>) OptionSpec& default_value(T number) {
        return default_value(std::string_view(std::to_string(number)));
    }

    /// default_value() for duration options, written in the largest exact unit ("90s").
    template <class Rep, class Period>
    OptionSpec& default_value(std::chrono::duration<Rep, Period> d) {
        return default_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
    }

    /// Parsing fails unless a flag, the environment or the default sets the option.
    OptionSpec& required();

    /// The value is never printed: not in errors, not in usage, not by Config::describe().
    OptionSpec& secret();

    /// Integer options only: the inclusive range allowed.
    OptionSpec& range(std::int64_t min, std::int64_t max);

    /// Path options only: the path must exist when parsed.
    OptionSpec& must_exist();

    /// URL options only: the schemes allowed, e.g. {"postgres", "postgresql"}.
    OptionSpec& schemes(std::vector<std::string> allowed);

    /// The flag name without dashes, e.g. "listen-addr".
    const std::string& name() const noexcept { return name_; }

    /// The environment variable, or empty when there is none.
    const std::string& env_name() const noexcept { return env_; }

    /// The value type.
    OptionType type() const noexcept { return type_; }

    /// Whether the value is kept out of every printed text.
    bool is_secret() const noexcept { return secret_; }

private:
    friend class OptionSet;

    OptionSpec(std::string name, OptionType type) : name_(std::move(name)), type_(type) {}
    OptionSpec& default_duration(std::chrono::nanoseconds d);
    void require_type(OptionType type, std::string_view setting) const;

    std::string name_;
    OptionType type_;
    std::string env_;
    std::string help_;
    std::optional<std::string> default_;
    bool required_ = false;
    bool secret_ = false;
    bool must_exist_ = false;
    std::int64_t min_ = std::numeric_limits<std::int64_t>::min();
    std::int64_t max_ = std::numeric_limits<std::int64_t>::max();
    std::vector<std::string> words_;  // choices, or allowed URL schemes
};

/// The parsed configuration: each option's checked value and where it came from.
///
/// Getters take the flag name without dashes. Asking for an undeclared option, with the
/// getter of another type, or for an option without a value (check has()) throws
/// std::logic_error, because that is a mistake in the daemon, not in its configuration.
class Config {
public:
    /// True when --help, -help or -h was given; nothing else was checked then.
    bool help_requested() const noexcept { return help_requested_; }

    /// Whether the option has a value from a flag, the environment or its default.
    bool has(std::string_view name) const;

    /// Where the option's value came from.
    ValueSource source(std::string_view name) const;

    /// The value's text, for options of any type; booleans read "true" or "false", choices
    /// their declared spelling.
    const std::string& get_string(std::string_view name) const;

    /// A boolean option's value.
    bool get_bool(std::string_view name) const;

    /// An integer option's value.
    std::int64_t get_int(std::string_view name) const;

    /// A duration option's value.
    std::chrono::nanoseconds get_duration(std::string_view name) const;

    /// An address option's value.
    const HostPort& get_address(std::string_view name) const;

    /// A URL option's value.
    const std::string& get_url(std::string_view name) const;

    /// A path option's value.
    std::filesystem::path get_path(std::string_view name) const;

    /// A choice option's value, spelled as declared.
    const std::string& get_choice(std::string_view name) const;

    /// Arguments that are not flags, when the OptionSet allows them.
    const std::vector<std::string>& positional() const noexcept { return positional_; }

    /// One `name=value (source)` line per option, secrets shown as `<hidden>`; for start-up
    /// logs.
    std::string describe() const;

private:
    friend class OptionSet;

    using Typed =
        std::variant<std::monostate, bool, std::int64_t, std::chrono::nanoseconds, HostPort>;
    struct Entry {
        std::string name;
        OptionType type = OptionType::string;
        ValueSource source = ValueSource::unset;
        bool secret = false;
        std::string text;
        Typed typed;
    };

    const Entry& entry(std::string_view name, OptionType type) const;
    const Entry& find(std::string_view name) const;

    std::vector<Entry> entries_;  // in declaration order, for describe()
    std::vector<std::string> positional_;
    bool help_requested_ = false;
};

/// The options a program accepts. Declare them once, then parse() and usage() use the same
/// declarations, so the help text cannot drift from what is accepted.
///
/// Accepted forms: `--name=value`, `--name value`, `-name=value`, `-name value`, and for
/// booleans also a bare `--name`. A later flag overrides an earlier one; `--` ends the flags.
class OptionSet {
public:
    /// A set for `program`; `summary` opens the usage text.
    explicit OptionSet(std::string program, std::string summary = {});

    /// Declares an option of `type`; `name` is lower-case words joined by '-'. Throws
    /// std::logic_error for a malformed or repeated name, or "help"/"h".
    OptionSpec& add(std::string name, OptionType type);

    /// add() a string option.
    OptionSpec& add_string(std::string name) { return add(std::move(name), OptionType::string); }

    /// add() a boolean option; it defaults to false unless given another default.
    OptionSpec& add_bool(std::string name) { return add(std::move(name), OptionType::boolean); }

    /// add() an integer option.
    OptionSpec& add_int(std::string name) { return add(std::move(name), OptionType::integer); }

    /// add() a duration option.
    OptionSpec& add_duration(std::string name) {
        return add(std::move(name), OptionType::duration);
    }

    /// add() a host:port option.
    OptionSpec& add_address(std::string name) { return add(std::move(name), OptionType::address); }

    /// add() a URL option.
    OptionSpec& add_url(std::string name) { return add(std::move(name), OptionType::url); }

    /// add() a path option.
    OptionSpec& add_path(std::string name) { return add(std::move(name), OptionType::path); }

    /// add() an option whose value is one of `words`.
    OptionSpec& add_choice(std::string name, std::vector<std::string> words);

    /// Lets parse() collect non-flag arguments instead of rejecting them; `placeholder`
    /// names them in the usage text, e.g. "FILE...".
    void allow_positional(std::string placeholder);

    /// The declared option, or nullptr.
    const OptionSpec* find(std::string_view name) const;

    /// Parses `args` (without the program name) and the environment. Throws ConfigError
    /// listing every problem; throws std::logic_error if two options share an environment
    /// variable.
    Config parse(std::span<const std::string_view> args,
                 const EnvLookup& env = process_environment()) const;

    /// parse() of main()'s arguments; argv[0] is skipped.
    Config parse(int argc, const char* const* argv,
                 const EnvLookup& env = process_environment()) const;

    /// The --help text: every option with its type, environment variable and default.
    std::string usage() const;

    /// parse() for main(), with the answers every program gives alike. On --help it writes
    /// usage() and then `epilogue` to `out` and exits with 0. On a ConfigError it writes
    /// "<program>: <problems>" and "Run <program> --help for the options." to `err` and exits
    /// with 2, the usage-error code. Otherwise it returns the Config. It exits through
    /// std::exit(), which skips the destructors of main()'s locals: call it before main()
    /// acquires anything that needs releasing.
    Config parse_or_exit(int argc, const char* const* argv, std::string_view epilogue = {}) const;

    /// parse_or_exit() writing to `out` and `err` instead of stdout and stderr.
    Config parse_or_exit(int argc, const char* const* argv, std::string_view epilogue,
                         std::ostream& out, std::ostream& err) const;

private:
    // Checks `text` from `source` against the spec; fills `out` or adds to `problems`.
    static void check(const OptionSpec& spec, ValueSource source, std::string_view text,
                      Config::Entry& out, std::vector<std::string>& problems);
    std::string unknown_flag(std::string_view written) const;

    std::string program_;
    std::string summary_;
    std::optional<std::string> positional_;
    std::deque<OptionSpec> options_;  // a deque, so references handed out stay valid
};

}  // namespace pm
