#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <set>
#include <system_error>
#include <utility>

#include <powermanage/common/config.hpp>

#include "common/text_format.hpp"

namespace pm {
namespace {

using std::chrono::nanoseconds;

char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

std::string join(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) {
            out += separator;
        }
        out += words[i];
    }
    return out;
}

// Quotes a value for a message, escaping what would otherwise hide in a terminal.
std::string quote(std::string_view value) {
    std::string out = "\"";
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7F) {
            out += "\\x";
            common_detail::append_hex(out, c, 2);
        } else {
            out += ch;
        }
    }
    out += '"';
    return out;
}

// ---- value parsers ----------------------------------------------------------------------

std::optional<std::int64_t> parse_int(std::string_view text) {
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
        if (!text.empty() && text.front() == '-') {
            return std::nullopt;
        }
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::optional<bool> parse_bool(std::string_view text) {
    for (const std::string_view yes : {"true", "1", "yes", "on", "t", "y"}) {
        if (iequals(text, yes)) {
            return true;
        }
    }
    for (const std::string_view no : {"false", "0", "no", "off", "f", "n"}) {
        if (iequals(text, no)) {
            return false;
        }
    }
    return std::nullopt;
}

bool is_plain_integer(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// A URL needs `scheme://` and something after it; a scheme-less "db:5432" would otherwise be
// read with "db" as its scheme.
std::optional<std::string> url_scheme(std::string_view text) {
    const std::size_t colon = text.find("://");
    if (colon == std::string_view::npos || colon == 0 || colon + 3 == text.size()) {
        return std::nullopt;
    }
    const std::string_view scheme = text.substr(0, colon);
    if (!is_alpha(scheme.front())) {
        return std::nullopt;
    }
    for (const char c : scheme) {
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') {
            return std::nullopt;
        }
    }
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7F) {
            return std::nullopt;
        }
    }
    std::string lower(scheme);
    std::transform(lower.begin(), lower.end(), lower.begin(), to_lower);
    return lower;
}

std::string format_duration(nanoseconds d) {
    struct Unit {
        std::int64_t ns;
        std::string_view suffix;
    };
    constexpr Unit kUnits[] = {
        {3'600'000'000'000, "h"}, {60'000'000'000, "m"}, {1'000'000'000, "s"},
        {1'000'000, "ms"},        {1'000, "us"},         {1, "ns"}};
    if (d.count() == 0) {
        return "0s";
    }
    for (const Unit& unit : kUnits) {
        if (d.count() % unit.ns == 0) {
            return common_detail::format("{}{}", d.count() / unit.ns, unit.suffix);
        }
    }
    return common_detail::format("{}ns", d.count());
}

// Levenshtein distance, for suggesting the flag the user probably meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// ---- error messages ---------------------------------------------------------------------

std::string expectation(const OptionSpec& spec, std::int64_t min, std::int64_t max,
                        const std::vector<std::string>& words) {
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    switch (spec.type()) {
        case OptionType::string:
            return "a string";
        case OptionType::boolean:
            return "true or false";
        case OptionType::integer:
            if (min != kMin && max != kMax) {
                return common_detail::format("an integer from {} to {}", min, max);
            }
            if (min != kMin) {
                return common_detail::format("an integer of at least {}", min);
            }
            if (max != kMax) {
                return common_detail::format("an integer of at most {}", max);
            }
            return "an integer";
        case OptionType::duration:
            return "a duration such as 30s, 5m or 1h";
        case OptionType::address:
            return "host:port such as :8081, 127.0.0.1:8081 or [::1]:8081";
        case OptionType::url:
            if (!words.empty()) {
                return common_detail::format("a URL starting with {}://", join(words, ":// or "));
            }
            return "a URL with a scheme, such as https://host/path";
        case OptionType::path:
            return "a file path";
        case OptionType::choice:
            return common_detail::format("one of {}", join(words, ", "));
    }
    return "a valid value";
}

// "for --x (env X)" / "in env X (flag --x)" / "as the default of --x (env X)": the first
// place named is the one the user has to edit.
std::string origin(const OptionSpec& spec, ValueSource source) {
    const std::string env = spec.env_name().empty()
                                ? std::string()
                                : common_detail::format(" (env {})", spec.env_name());
    switch (source) {
        case ValueSource::environment:
            return common_detail::format("in env {} (flag --{})", spec.env_name(), spec.name());
        case ValueSource::default_value:
            return common_detail::format("as the default of --{}{}", spec.name(), env);
        case ValueSource::flag:
        case ValueSource::unset:
            break;
    }
    return common_detail::format("for --{}{}", spec.name(), env);
}

std::string invalid(const OptionSpec& spec, ValueSource source, std::string_view value,
                    std::string_view expected) {
    const std::string shown = spec.is_secret() ? "(hidden)" : quote(value);
    return common_detail::format("invalid value {} {}: expected {}", shown, origin(spec, source),
                                 expected);
}

}  // namespace

// ---- free functions ---------------------------------------------------------------------

std::string_view to_string(ValueSource source) {
    switch (source) {
        case ValueSource::unset:
            return "unset";
        case ValueSource::default_value:
            return "default";
        case ValueSource::environment:
            return "env";
        case ValueSource::flag:
            return "flag";
    }
    return "unknown";
}

std::string HostPort::to_string() const {
    if (host.find(':') != std::string::npos) {
        return common_detail::format("[{}]:{}", host, port);
    }
    return common_detail::format("{}:{}", host, port);
}

std::optional<nanoseconds> parse_duration(std::string_view text) {
    if (text == "0") {
        return nanoseconds(0);
    }
    struct Unit {
        std::string_view suffix;
        std::int64_t ns;
    };
    // Longer suffixes first, so "ms" is not read as "m" followed by garbage.
    constexpr Unit kUnits[] = {{"ns", 1},
                               {"us", 1'000},
                               {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
                               {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
                               {"ms", 1'000'000},
                               {"s", 1'000'000'000},
                               {"m", 60'000'000'000},
                               {"h", 3'600'000'000'000}};
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    if (text.empty()) {
        return std::nullopt;
    }
    std::int64_t total = 0;
    while (!text.empty()) {
        std::size_t i = 0;
        std::int64_t whole = 0;
        bool overflow = false;
        while (i < text.size() && is_digit(text[i])) {
            const int digit = text[i] - '0';
            overflow = overflow || whole > (kMax - digit) / 10;
            if (!overflow) {
                whole = whole * 10 + digit;
            }
            ++i;
        }
        const std::size_t whole_digits = i;
        double fraction = 0;
        std::size_t fraction_digits = 0;
        if (i < text.size() && text[i] == '.') {
            ++i;
            double scale = 0.1;
            while (i < text.size() && is_digit(text[i])) {
                fraction += (text[i] - '0') * scale;
                scale /= 10;
                ++fraction_digits;
                ++i;
            }
        }
        if (overflow || whole_digits + fraction_digits == 0) {
            return std::nullopt;
        }
        text.remove_prefix(i);
        const Unit* unit = nullptr;
        for (const Unit& candidate : kUnits) {
            if (text.starts_with(candidate.suffix) &&
                (unit == nullptr || candidate.suffix.size() > unit->suffix.size())) {
                unit = &candidate;
            }
        }
        if (unit == nullptr) {
            return std::nullopt;
        }
        text.remove_prefix(unit->suffix.size());
        if (whole > kMax / unit->ns) {
            return std::nullopt;
        }
        const std::int64_t part =
            whole * unit->ns + static_cast<std::int64_t>(std::llround(fraction * unit->ns));
        if (part > kMax - total) {
            return std::nullopt;
        }
        total += part;
    }
    return nanoseconds(total);
}

std::optional<HostPort> parse_host_port(std::string_view text) {
    HostPort result;
    std::string_view host;
    std::string_view port;
    if (text.starts_with('[')) {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.find(':') == std::string_view::npos) {
            return std::nullopt;  // brackets are for IPv6 only
        }
        for (const char c : host) {
            if (!is_alpha(c) && !is_digit(c) && c != ':' && c != '.' && c != '%') {
                return std::nullopt;
            }
        }
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        for (const char c : host) {
            if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' && c != '_') {
                return std::nullopt;  // includes ':' of an unbracketed IPv6 literal
            }
        }
    }
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit)) {
        return std::nullopt;
    }
    const auto number = parse_int(port);
    if (!number || *number > 65535) {
        return std::nullopt;
    }
    result.host = std::string(host);
    result.port = static_cast<std::uint16_t>(*number);
    return result;
}

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

EnvLookup environment_from(std::map<std::string, std::string> variables) {
    return
        [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
            const auto it = variables.find(name);
            if (it == variables.end()) {
                return std::nullopt;
            }
            return it->second;
        };
}

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(problems.size() == 1
                             ? problems.front()
                             : common_detail::format("{} configuration problems:\n  {}",
                                                     problems.size(), join(problems, "\n  "))),
      problems_(std::move(problems)) {}

// ---- OptionSpec -------------------------------------------------------------------------

void OptionSpec::require_type(OptionType type, std::string_view setting) const {
    if (type_ != type) {
        throw std::logic_error(
            common_detail::format("option --{}: {} does not apply to its type", name_, setting));
    }
}

OptionSpec& OptionSpec::env(std::string name) {
    const bool well_formed = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
    });
    if (!well_formed) {
        throw std::logic_error(common_detail::format(
            "option --{}: environment variable {} must be upper-case letters, digits and '_'",
            name_, quote(name)));
    }
    env_ = std::move(name);
    return *this;
}

OptionSpec& OptionSpec::help(std::string text) {
    help_ = std::move(text);
    return *this;
}

OptionSpec& OptionSpec::default_value(std::string_view text) {
    default_ = std::string(text);
    return *this;
}

OptionSpec& OptionSpec::default_duration(nanoseconds d) {
    require_type(OptionType::duration, "a duration default");
    return default_value(format_duration(d));
}

OptionSpec& OptionSpec::required() {
    required_ = true;
    return *this;
}

OptionSpec& OptionSpec::secret() {
    secret_ = true;
    return *this;
}

OptionSpec& OptionSpec::range(std::int64_t min, std::int64_t max) {
    require_type(OptionType::integer, "range()");
    if (min > max) {
        throw std::logic_error(
            common_detail::format("option --{}: range({}, {}) is empty", name_, min, max));
    }
    min_ = min;
    max_ = max;
    return *this;
}

OptionSpec& OptionSpec::must_exist() {
    require_type(OptionType::path, "must_exist()");
    must_exist_ = true;
    return *this;
}

OptionSpec& OptionSpec::schemes(std::vector<std::string> allowed) {
    require_type(OptionType::url, "schemes()");
    for (std::string& scheme : allowed) {
        std::transform(scheme.begin(), scheme.end(), scheme.begin(), to_lower);
    }
    words_ = std::move(allowed);
    return *this;
}

// ---- Config -----------------------------------------------------------------------------

const Config::Entry& Config::find(std::string_view name) const {
    for (const Entry& e : entries_) {
        if (e.name == name) {
            return e;
        }
    }
    throw std::logic_error(common_detail::format("no option --{} was declared", name));
}

const Config::Entry& Config::entry(std::string_view name, OptionType type) const {
    const Entry& e = find(name);
    if (e.type != type) {
        throw std::logic_error(
            common_detail::format("option --{} was read with the getter of another type", name));
    }
    if (e.source == ValueSource::unset) {
        throw std::logic_error(common_detail::format(
            "option --{} has no value; give it a default, make it required or check has()", name));
    }
    return e;
}

bool Config::has(std::string_view name) const {
    return find(name).source != ValueSource::unset;
}

ValueSource Config::source(std::string_view name) const {
    return find(name).source;
}

const std::string& Config::get_string(std::string_view name) const {
    const Entry& e = find(name);
    return entry(name, e.type).text;
}

bool Config::get_bool(std::string_view name) const {
    return std::get<bool>(entry(name, OptionType::boolean).typed);
}

std::int64_t Config::get_int(std::string_view name) const {
    return std::get<std::int64_t>(entry(name, OptionType::integer).typed);
}

nanoseconds Config::get_duration(std::string_view name) const {
    return std::get<nanoseconds>(entry(name, OptionType::duration).typed);
}

const HostPort& Config::get_address(std::string_view name) const {
    return std::get<HostPort>(entry(name, OptionType::address).typed);
}

const std::string& Config::get_url(std::string_view name) const {
    return entry(name, OptionType::url).text;
}

std::filesystem::path Config::get_path(std::string_view name) const {
    return entry(name, OptionType::path).text;
}

const std::string& Config::get_choice(std::string_view name) const {
    return entry(name, OptionType::choice).text;
}

std::string Config::describe() const {
    std::string out;
    for (const Entry& e : entries_) {
        const std::string value = e.source == ValueSource::unset ? std::string()
                                  : e.secret                     ? std::string("<hidden>")
                                                                 : quote(e.text);
        out += common_detail::format("{}={} ({})\n", e.name, value, to_string(e.source));
    }
    return out;
}

// ---- OptionSet --------------------------------------------------------------------------

OptionSet::OptionSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

OptionSpec& OptionSet::add(std::string name, OptionType type) {
    const bool well_formed = !name.empty() && !name.starts_with('-') && !name.ends_with('-') &&
                             std::all_of(name.begin(), name.end(), [](char c) {
                                 return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-';
                             });
    if (!well_formed) {
        throw std::logic_error(common_detail::format(
            "option name {} must be lower-case words joined by '-', without leading dashes",
            quote(name)));
    }
    if (name == "help" || name == "h") {
        throw std::logic_error("option --" + name + " is reserved for the usage text");
    }
    if (find(name) != nullptr) {
        throw std::logic_error("option --" + name + " is declared twice");
    }
    OptionSpec& spec = options_.emplace_back(OptionSpec(std::move(name), type));
    if (type == OptionType::boolean) {
        spec.default_ = "false";
    }
    return spec;
}

OptionSpec& OptionSet::add_choice(std::string name, std::vector<std::string> words) {
    if (words.empty()) {
        throw std::logic_error("choice option --" + name + " needs at least one word");
    }
    OptionSpec& spec = add(std::move(name), OptionType::choice);
    spec.words_ = std::move(words);
    return spec;
}

void OptionSet::allow_positional(std::string placeholder) {
    positional_ = std::move(placeholder);
}

const OptionSpec* OptionSet::find(std::string_view name) const {
    for (const OptionSpec& spec : options_) {
        if (spec.name_ == name) {
            return &spec;
        }
    }
    return nullptr;
}

void OptionSet::check(const OptionSpec& spec, ValueSource source, std::string_view text,
                      Config::Entry& out, std::vector<std::string>& problems) {
    const auto fail = [&](std::string_view hint = {}) {
        std::string message =
            invalid(spec, source, text, expectation(spec, spec.min_, spec.max_, spec.words_));
        message += hint;
        problems.push_back(std::move(message));
    };
    out.text = std::string(text);
    if (text.empty() && spec.type_ != OptionType::string) {
        fail();
        return;
    }
    switch (spec.type_) {
        case OptionType::string:
            break;
        case OptionType::boolean:
            if (const auto flag = parse_bool(text)) {
                out.text = *flag ? "true" : "false";
                out.typed = *flag;
            } else {
                fail();
            }
            break;
        case OptionType::integer: {
            const auto number = parse_int(text);
            if (number && *number >= spec.min_ && *number <= spec.max_) {
                out.typed = *number;
            } else {
                fail();
            }
            break;
        }
        case OptionType::duration:
            if (const auto d = parse_duration(text)) {
                out.typed = *d;
            } else if (is_plain_integer(text)) {
                // The reference daemons are Go, where a bare number is nanoseconds to some
                // readers and seconds to others; refuse rather than guess.
                fail("; a bare number has no unit, add one such as s, m or h");
            } else {
                fail();
            }
            break;
        case OptionType::address:
            if (auto address = parse_host_port(text)) {
                out.typed = std::move(*address);
            } else if (std::count(text.begin(), text.end(), ':') > 1 && !text.starts_with('[')) {
                fail("; put IPv6 addresses in brackets, as in [::1]:8081");
            } else if (text.find(':') == std::string_view::npos) {
                fail("; the port is missing");
            } else {
                fail();
            }
            break;
        case OptionType::url: {
            const auto scheme = url_scheme(text);
            if (!scheme) {
                fail();
            } else if (!spec.words_.empty() && std::find(spec.words_.begin(), spec.words_.end(),
                                                         *scheme) == spec.words_.end()) {
                fail();
            }
            break;
        }
        case OptionType::path:
            if (spec.must_exist_) {
                std::error_code ec;
                if (!std::filesystem::exists(std::filesystem::path(text), ec)) {
                    const std::string shown = spec.secret_ ? "(hidden)" : quote(text);
                    problems.push_back(
                        common_detail::format("invalid value {} {}: expected an existing file "
                                              "or directory, but nothing is there",
                                              shown, origin(spec, source)));
                }
            }
            break;
        case OptionType::choice: {
            const auto it = std::find_if(spec.words_.begin(), spec.words_.end(),
                                         [&](const std::string& w) { return iequals(w, text); });
            if (it != spec.words_.end()) {
                out.text = *it;
            } else {
                fail();
            }
            break;
        }
    }
}

std::string OptionSet::unknown_flag(std::string_view written) const {
    // Compare in flag spelling, so that LISTEN_ADDR or listen_addr still find listen-addr.
    const std::size_t start = written.find_first_not_of('-');
    std::string name(start == std::string_view::npos ? std::string_view() : written.substr(start));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return c == '_' ? '-' : to_lower(c); });
    const OptionSpec* best = nullptr;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const OptionSpec& spec : options_) {
        // A typed prefix ("--listen") is as good as one typo, but not a prefix of one or two
        // letters, which would match almost anything.
        const bool prefix = name.size() >= 3 && spec.name_.starts_with(name);
        const std::size_t d = prefix ? 1 : edit_distance(name, spec.name_);
        if (d < best_distance) {
            best = &spec;
            best_distance = d;
        }
    }
    if (best != nullptr && !name.empty() &&
        best_distance <= std::max<std::size_t>(2, name.size() / 3)) {
        return common_detail::format("unknown flag {}: did you mean --{}?", written, best->name_);
    }
    return common_detail::format("unknown flag {}: run with --help to list the flags", written);
}

Config OptionSet::parse(std::span<const std::string_view> args, const EnvLookup& env) const {
    std::set<std::string_view> env_names;
    for (const OptionSpec& spec : options_) {
        if (!spec.env_.empty() && !env_names.insert(spec.env_).second) {
            throw std::logic_error("environment variable " + spec.env_ +
                                   " is declared for two options");
        }
    }

    Config config;
    std::vector<std::string> problems;
    std::map<std::string_view, std::string_view> flags;  // last one wins, as in Go
    bool flags_ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (flags_ended || arg == "-" || !arg.starts_with('-')) {
            if (positional_) {
                config.positional_.emplace_back(arg);
            } else {
                problems.push_back(common_detail::format(
                    "unexpected argument {}: every setting is a flag such as --name=value",
                    quote(arg)));
            }
            continue;
        }
        if (arg == "--") {
            flags_ended = true;
            continue;
        }
        const std::size_t dashes = arg.starts_with("--") ? 2 : 1;
        const std::size_t equals = arg.find('=');
        const std::string_view written = arg.substr(0, equals);
        const std::string_view name = written.substr(dashes);
        const bool has_value = equals != std::string_view::npos;
        if (name == "help" || name == "h") {
            config.help_requested_ = true;
            continue;
        }
        const OptionSpec* spec = find(name);
        if (spec == nullptr) {
            // Never echo the value: a mistyped --databse-url=... may carry a password. A
            // separate value is skipped too, or it would be reported again as an argument.
            problems.push_back(unknown_flag(written));
            if (!has_value && i + 1 < args.size() && !args[i + 1].starts_with('-')) {
                ++i;
            }
            continue;
        }
        if (has_value) {
            flags[spec->name_] = arg.substr(equals + 1);
        } else if (spec->type_ == OptionType::boolean) {
            flags[spec->name_] = "true";
        } else if (i + 1 < args.size()) {
            flags[spec->name_] = args[++i];
        } else {
            problems.push_back(
                common_detail::format("flag {} needs a value: expected {}", written,
                                      expectation(*spec, spec->min_, spec->max_, spec->words_)));
        }
    }
    if (config.help_requested_) {
        return config;
    }

    for (const OptionSpec& spec : options_) {
        Config::Entry& entry = config.entries_.emplace_back();
        entry.name = spec.name_;
        entry.type = spec.type_;
        entry.secret = spec.secret_;
        std::optional<std::string> env_value;
        if (!spec.env_.empty()) {
            env_value = env(spec.env_);
        }
        std::string_view text;
        if (const auto it = flags.find(spec.name_); it != flags.end()) {
            entry.source = ValueSource::flag;
            text = it->second;
        } else if (env_value && !env_value->empty()) {
            // An empty variable counts as unset, as with Go's os.Getenv checks.
            entry.source = ValueSource::environment;
            text = *env_value;
        } else if (spec.default_) {
            entry.source = ValueSource::default_value;
            text = *spec.default_;
        }
        if (entry.source != ValueSource::unset) {
            check(spec, entry.source, text, entry, problems);
        } else if (spec.required_) {
            const std::string env_hint =
                spec.env_.empty() ? std::string() : common_detail::format(" or env {}", spec.env_);
            problems.push_back(
                common_detail::format("missing --{}: set the flag{} to {}", spec.name_, env_hint,
                                      expectation(spec, spec.min_, spec.max_, spec.words_)));
        }
    }
    if (!problems.empty()) {
        throw ConfigError(std::move(problems));
    }
    return config;
}

Config OptionSet::parse(int argc, const char* const* argv, const EnvLookup& env) const {
    std::vector<std::string_view> args;
    for (int i = 1; i < argc; ++i) {
        args.emplace_back(argv[i]);
    }
    return parse(std::span<const std::string_view>(args), env);
}

Config OptionSet::parse_or_exit(int argc, const char* const* argv,
                                std::string_view epilogue) const {
    return parse_or_exit(argc, argv, epilogue, std::cout, std::cerr);
}

Config OptionSet::parse_or_exit(int argc, const char* const* argv, std::string_view epilogue,
                                std::ostream& out, std::ostream& err) const {
    try {
        Config config = parse(argc, argv);
        if (config.help_requested()) {
            out << usage() << epilogue << std::flush;
            std::exit(0);
        }
        return config;
    } catch (const ConfigError& e) {
        err << program_ << ": " << e.what() << "\nRun " << program_ << " --help for the options.\n"
            << std::flush;
        std::exit(2);
    }
}

std::string OptionSet::usage() const {
    std::string out = common_detail::format("Usage: {} [flags]{}\n", program_,
                                            positional_ ? " " + *positional_ : std::string());
    if (!summary_.empty()) {
        out += common_detail::format("\n{}\n", summary_);
    }
    out +=
        "\nFlags (a flag overrides its environment variable, which overrides the default;\n"
        "-name=value works as well as --name=value):\n";
    for (const OptionSpec& spec : options_) {
        std::string placeholder;
        switch (spec.type_) {
            case OptionType::boolean:
                break;
            case OptionType::choice:
                placeholder = "<" + join(spec.words_, "|") + ">";
                break;
            case OptionType::integer:
                placeholder = "<integer>";
                break;
            case OptionType::string:
                placeholder = "<string>";
                break;
            case OptionType::duration:
                placeholder = "<duration>";
                break;
            case OptionType::address:
                placeholder = "<host:port>";
                break;
            case OptionType::url:
                placeholder = "<url>";
                break;
            case OptionType::path:
                placeholder = "<path>";
                break;
        }
        out += common_detail::format("  --{}{}\n", spec.name_,
                                     placeholder.empty() ? "" : "=" + placeholder);
        if (!spec.help_.empty()) {
            out += common_detail::format("        {}\n", spec.help_);
        }
        std::vector<std::string> facts;
        if (!spec.env_.empty()) {
            facts.push_back("env " + spec.env_);
        }
        if (spec.type_ != OptionType::string && spec.type_ != OptionType::boolean &&
            spec.type_ != OptionType::choice) {
            facts.push_back(expectation(spec, spec.min_, spec.max_, spec.words_));
        }
        if (spec.default_) {
            facts.push_back(spec.secret_ ? "default hidden" : "default " + quote(*spec.default_));
        } else if (spec.required_) {
            facts.push_back("required");
        }
        if (spec.secret_) {
            facts.push_back("secret");
        }
        if (spec.must_exist_) {
            facts.push_back("must exist");
        }
        if (!facts.empty()) {
            out += common_detail::format("        ({})\n", join(facts, "; "));
        }
    }
    out += "  --help\n        Print this text and exit.\n";
    return out;
}

}  // namespace pm
