#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <powermanage/common/config.hpp>

namespace pm {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using Env = std::map<std::string, std::string>;

OptionSet gateway_options() {
    OptionSet options("pm-gateway", "Power Manage agent gateway.");
    options.add_address("listen-addr")
        .env("GATEWAY_LISTEN_ADDR")
        .default_value(":8080")
        .help("Address the agent-facing server listens on.");
    options.add_duration("heartbeat-interval")
        .env("GATEWAY_HEARTBEAT_INTERVAL")
        .default_value(30s)
        .help("How often agents must check in.");
    options.add_int("max-streams").env("GATEWAY_MAX_STREAMS").range(1, 1000).default_value(100);
    options.add_bool("dev").env("GATEWAY_DEV").help("Development mode.");
    options.add_url("control-url")
        .env("GATEWAY_CONTROL_URL")
        .schemes({"http", "https"})
        .default_value("http://localhost:8081");
    options.add_url("database-url")
        .env("GATEWAY_DATABASE_URL")
        .schemes({"postgres", "postgresql"})
        .secret()
        .default_value("postgres://pm:s3cr3t-default@localhost/pm");
    options.add_path("tls-cert").env("GATEWAY_TLS_CERT").must_exist();
    options.add_choice("log-format", {"text", "json"})
        .env("GATEWAY_LOG_FORMAT")
        .default_value("text");
    options.add_string("name").env("GATEWAY_NAME").default_value("gateway");
    return options;
}

Config parse(const OptionSet& options, std::vector<std::string_view> args, Env env = {}) {
    return options.parse(std::span<const std::string_view>(args), environment_from(std::move(env)));
}

// The problems of a parse that must fail; an empty list when it unexpectedly succeeds.
std::vector<std::string> problems(const OptionSet& options, std::vector<std::string_view> args,
                                  Env env = {}) {
    try {
        parse(options, std::move(args), std::move(env));
    } catch (const ConfigError& e) {
        return e.problems();
    }
    return {};
}

std::string only_problem(const OptionSet& options, std::vector<std::string_view> args,
                         Env env = {}) {
    const auto found = problems(options, std::move(args), std::move(env));
    return found.size() == 1 ? found.front()
                             : "expected one problem, got " + std::to_string(found.size());
}

// ---- precedence and flag forms ------------------------------------------------------------

TEST(ConfigTest, DefaultsApplyWhenNothingIsSet) {
    const Config config = parse(gateway_options(), {});
    EXPECT_EQ(config.get_address("listen-addr"), (HostPort{"", 8080}));
    EXPECT_EQ(config.get_duration("heartbeat-interval"), 30s);
    EXPECT_EQ(config.get_int("max-streams"), 100);
    EXPECT_FALSE(config.get_bool("dev"));
    EXPECT_EQ(config.get_url("control-url"), "http://localhost:8081");
    EXPECT_EQ(config.get_choice("log-format"), "text");
    EXPECT_EQ(config.get_string("name"), "gateway");
    EXPECT_EQ(config.source("listen-addr"), ValueSource::default_value);
    EXPECT_FALSE(config.has("tls-cert"));
    EXPECT_EQ(config.source("tls-cert"), ValueSource::unset);
    EXPECT_FALSE(config.help_requested());
}

TEST(ConfigTest, FlagBeatsEnvironmentBeatsDefault) {
    const OptionSet options = gateway_options();
    const Env env = {{"GATEWAY_LISTEN_ADDR", ":9001"}, {"GATEWAY_NAME", "from-env"}};

    const Config env_only = parse(options, {}, env);
    EXPECT_EQ(env_only.get_address("listen-addr").port, 9001);
    EXPECT_EQ(env_only.source("listen-addr"), ValueSource::environment);
    EXPECT_EQ(env_only.get_string("name"), "from-env");

    const Config both = parse(options, {"--listen-addr=:9002"}, env);
    EXPECT_EQ(both.get_address("listen-addr").port, 9002);
    EXPECT_EQ(both.source("listen-addr"), ValueSource::flag);
    EXPECT_EQ(both.get_string("name"), "from-env");
    EXPECT_EQ(both.source("name"), ValueSource::environment);
}

TEST(ConfigTest, EmptyEnvironmentVariableCountsAsUnset) {
    const Config config = parse(gateway_options(), {}, {{"GATEWAY_LISTEN_ADDR", ""}});
    EXPECT_EQ(config.get_address("listen-addr").port, 8080);
    EXPECT_EQ(config.source("listen-addr"), ValueSource::default_value);
}

TEST(ConfigTest, AcceptsEveryFlagSpelling) {
    const OptionSet options = gateway_options();
    for (const auto& args : std::vector<std::vector<std::string_view>>{{"--listen-addr=:7000"},
                                                                       {"--listen-addr", ":7000"},
                                                                       {"-listen-addr=:7000"},
                                                                       {"-listen-addr", ":7000"}}) {
        EXPECT_EQ(parse(options, args).get_address("listen-addr").port, 7000) << args[0];
    }
}

TEST(ConfigTest, LaterFlagWins) {
    const Config config = parse(gateway_options(), {"--name=a", "-name", "b"});
    EXPECT_EQ(config.get_string("name"), "b");
}

TEST(ConfigTest, ValueMayContainEqualsAndStartWithDash) {
    const Config config = parse(gateway_options(), {"--name=a=b", "--log-format", "json"});
    EXPECT_EQ(config.get_string("name"), "a=b");
    EXPECT_EQ(parse(gateway_options(), {"--name", "-x"}).get_string("name"), "-x");
}

TEST(ConfigTest, ParsesMainArguments) {
    const char* const argv[] = {"pm-gateway", "--max-streams=5", nullptr};
    const Config config = gateway_options().parse(2, argv, environment_from({}));
    EXPECT_EQ(config.get_int("max-streams"), 5);
}

// ---- each type --------------------------------------------------------------------------

TEST(ConfigTest, BoolFlagAloneMeansTrue) {
    const OptionSet options = gateway_options();
    EXPECT_TRUE(parse(options, {"--dev"}).get_bool("dev"));
    EXPECT_TRUE(parse(options, {"-dev"}).get_bool("dev"));
    EXPECT_FALSE(parse(options, {"--dev=false"}).get_bool("dev"));
    EXPECT_FALSE(parse(options, {"--dev=false"}, {{"GATEWAY_DEV", "true"}}).get_bool("dev"));
    for (const std::string_view yes : {"true", "TRUE", "1", "yes", "on"}) {
        EXPECT_TRUE(parse(options, {}, {{"GATEWAY_DEV", std::string(yes)}}).get_bool("dev")) << yes;
    }
    for (const std::string_view no : {"false", "False", "0", "no", "off"}) {
        EXPECT_FALSE(parse(options, {}, {{"GATEWAY_DEV", std::string(no)}}).get_bool("dev")) << no;
    }
    EXPECT_EQ(parse(options, {"--dev=YES"}).get_string("dev"), "true");
}

TEST(ConfigTest, BoolRejectsOtherWords) {
    EXPECT_EQ(only_problem(gateway_options(), {"--dev=maybe"}),
              R"(invalid value "maybe" for --dev (env GATEWAY_DEV): expected true or false)");
}

TEST(ConfigTest, IntegerWithinRange) {
    const OptionSet options = gateway_options();
    EXPECT_EQ(parse(options, {"--max-streams=1"}).get_int("max-streams"), 1);
    EXPECT_EQ(parse(options, {"--max-streams=1000"}).get_int("max-streams"), 1000);
    EXPECT_EQ(parse(options, {"--max-streams=+7"}).get_int("max-streams"), 7);
    for (const std::string_view bad :
         {"0", "1001", "-5", "abc", "1.5", "10 ", "", "99999999999999999999", "+-1"}) {
        const std::string arg = "--max-streams=" + std::string(bad);
        EXPECT_EQ(only_problem(options, {arg}),
                  "invalid value \"" + std::string(bad) +
                      "\" for --max-streams (env GATEWAY_MAX_STREAMS): expected an integer "
                      "from 1 to 1000")
            << bad;
    }
}

TEST(ConfigTest, DurationsNeedAUnit) {
    const OptionSet options = gateway_options();
    const auto duration = [&](std::string_view text) {
        const std::string arg = "--heartbeat-interval=" + std::string(text);
        return parse(options, {arg}).get_duration("heartbeat-interval");
    };
    EXPECT_EQ(duration("30s"), 30s);
    EXPECT_EQ(duration("15m"), 15min);
    EXPECT_EQ(duration("1h"), 1h);
    EXPECT_EQ(duration("500ms"), 500ms);
    EXPECT_EQ(duration("1h30m"), 90min);
    EXPECT_EQ(duration("1.5s"), 1500ms);
    EXPECT_EQ(duration("0"), 0s);

    EXPECT_EQ(only_problem(options, {"--heartbeat-interval=abc"}),
              "invalid value \"abc\" for --heartbeat-interval (env GATEWAY_HEARTBEAT_INTERVAL): "
              "expected a duration such as 30s, 5m or 1h");
    EXPECT_EQ(only_problem(options, {"--heartbeat-interval=30"}),
              "invalid value \"30\" for --heartbeat-interval (env GATEWAY_HEARTBEAT_INTERVAL): "
              "expected a duration such as 30s, 5m or 1h; a bare number has no unit, add one "
              "such as s, m or h");
    for (const std::string_view bad : {"-1s", "10x", "s", "1.s5", "1 s", "1S", ""}) {
        EXPECT_THAT(only_problem(options, {"--heartbeat-interval=" + std::string(bad)}),
                    HasSubstr("expected a duration"))
            << bad;
    }
}

TEST(ParseDurationTest, MatchesGoSemantics) {
    EXPECT_EQ(parse_duration("1ns"), 1ns);
    EXPECT_EQ(parse_duration("2us"), 2us);
    EXPECT_EQ(parse_duration("3\xC2\xB5s"), 3us);
    EXPECT_EQ(parse_duration("3\xCE\xBCs"), 3us);
    EXPECT_EQ(parse_duration("1h2m3s4ms5us6ns"), 1h + 2min + 3s + 4ms + 5us + 6ns);
    EXPECT_EQ(parse_duration(".5s"), 500ms);
    EXPECT_EQ(parse_duration("2.h"), 2h);
    EXPECT_EQ(parse_duration("2562047h"), 2562047h);
    EXPECT_EQ(parse_duration("2562048h"), std::nullopt);  // beyond int64 nanoseconds
    EXPECT_EQ(parse_duration("99999999999999999999s"), std::nullopt);
    EXPECT_EQ(parse_duration("."), std::nullopt);
    EXPECT_EQ(parse_duration("1"), std::nullopt);
    EXPECT_EQ(parse_duration("+1s"), std::nullopt);
}

TEST(ConfigTest, AddressesNeedHostAndPort) {
    const OptionSet options = gateway_options();
    const auto address = [&](std::string_view text) {
        const std::string arg = "--listen-addr=" + std::string(text);
        return parse(options, {arg}).get_address("listen-addr");
    };
    EXPECT_EQ(address(":8081"), (HostPort{"", 8081}));
    EXPECT_EQ(address("127.0.0.1:8081"), (HostPort{"127.0.0.1", 8081}));
    EXPECT_EQ(address("[::1]:8081"), (HostPort{"::1", 8081}));
    EXPECT_EQ(address("gw.example.com:443"), (HostPort{"gw.example.com", 443}));
    EXPECT_EQ(address("localhost:0"), (HostPort{"localhost", 0}));
    EXPECT_EQ(address("localhost:65535").port, 65535);
    EXPECT_EQ(address("[::1]:8081").to_string(), "[::1]:8081");
    EXPECT_EQ(address(":8081").to_string(), ":8081");

    EXPECT_EQ(only_problem(options, {"--listen-addr=8081"}),
              "invalid value \"8081\" for --listen-addr (env GATEWAY_LISTEN_ADDR): expected "
              "host:port such as :8081, 127.0.0.1:8081 or [::1]:8081; the port is missing");
    EXPECT_THAT(only_problem(options, {"--listen-addr=::1:8081"}),
                HasSubstr("put IPv6 addresses in brackets"));
    for (const std::string_view bad :
         {"host:65536", "host:", "host:abc", "[::1]8081", "[::1]", "a b:80", "host:-1", "[]:80",
          "[localhost]:80", "host:123456"}) {
        EXPECT_THAT(only_problem(options, {"--listen-addr=" + std::string(bad)}),
                    HasSubstr("expected host:port"))
            << bad;
    }
}

TEST(ConfigTest, UrlsNeedAnAllowedScheme) {
    const OptionSet options = gateway_options();
    EXPECT_EQ(parse(options, {"--control-url=https://control:8081/x"}).get_url("control-url"),
              "https://control:8081/x");
    EXPECT_EQ(parse(options, {"--control-url=HTTP://control"}).get_url("control-url"),
              "HTTP://control");
    EXPECT_EQ(only_problem(options, {"--control-url=localhost:8081"}),
              "invalid value \"localhost:8081\" for --control-url (env GATEWAY_CONTROL_URL): "
              "expected a URL starting with http:// or https://");
    for (const std::string_view bad : {"ftp://x", "http://", "://x", "http://a b", "1http://x"}) {
        EXPECT_THAT(only_problem(options, {"--control-url=" + std::string(bad)}),
                    HasSubstr("expected a URL"))
            << bad;
    }

    OptionSet any("x");
    any.add_url("endpoint");
    EXPECT_EQ(parse(any, {"--endpoint=grpc+tls://h"}).get_url("endpoint"), "grpc+tls://h");
    EXPECT_EQ(only_problem(any, {"--endpoint=h:1"}),
              "invalid value \"h:1\" for --endpoint: expected a URL with a scheme, such as "
              "https://host/path");
}

TEST(ConfigTest, PathsCanBeRequiredToExist) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path();
    const std::filesystem::path file =
        dir / ("pm_config_test_" + std::to_string(::getpid()) + ".pem");
    std::ofstream(file) << "cert";
    const OptionSet options = gateway_options();
    EXPECT_EQ(parse(options, {"--tls-cert", file.string()}).get_path("tls-cert"), file);

    const std::string missing = (dir / "pm_config_test_no_such_file.pem").string();
    EXPECT_EQ(only_problem(options, {}, {{"GATEWAY_TLS_CERT", missing}}),
              "invalid value \"" + missing +
                  "\" in env GATEWAY_TLS_CERT (flag --tls-cert): expected an existing file or "
                  "directory, but nothing is there");
    std::filesystem::remove(file);

    OptionSet loose("x");
    loose.add_path("out");
    EXPECT_EQ(parse(loose, {"--out=/no/such/dir/file"}).get_path("out"), "/no/such/dir/file");
}

TEST(ConfigTest, ChoicesMatchWithoutCase) {
    const OptionSet options = gateway_options();
    EXPECT_EQ(parse(options, {"--log-format=json"}).get_choice("log-format"), "json");
    EXPECT_EQ(parse(options, {"--log-format=JSON"}).get_choice("log-format"), "json");
    EXPECT_EQ(only_problem(options, {"--log-format=xml"}),
              "invalid value \"xml\" for --log-format (env GATEWAY_LOG_FORMAT): expected one of "
              "text, json");
}

TEST(ConfigTest, StringsTakeAnything) {
    EXPECT_EQ(parse(gateway_options(), {"--name="}).get_string("name"), "");
    EXPECT_EQ(parse(gateway_options(), {"--name= spaced "}).get_string("name"), " spaced ");
}

TEST(ConfigTest, TypedDefaultsAreWrittenAsText) {
    OptionSet options("x");
    options.add_duration("a").default_value(std::chrono::minutes(15));
    options.add_duration("b").default_value(1500ms);
    options.add_bool("c").default_value(true);
    options.add_int("d").default_value(-3);
    const Config config = parse(options, {});
    EXPECT_EQ(config.get_string("a"), "15m");
    EXPECT_EQ(config.get_duration("a"), 15min);
    EXPECT_EQ(config.get_string("b"), "1500ms");
    EXPECT_TRUE(config.get_bool("c"));
    EXPECT_EQ(config.get_int("d"), -3);
}

// ---- errors -----------------------------------------------------------------------------

TEST(ConfigTest, EnvironmentErrorsNameTheVariableFirst) {
    EXPECT_EQ(only_problem(gateway_options(), {}, {{"GATEWAY_HEARTBEAT_INTERVAL", "abc"}}),
              "invalid value \"abc\" in env GATEWAY_HEARTBEAT_INTERVAL (flag "
              "--heartbeat-interval): expected a duration such as 30s, 5m or 1h");
}

TEST(ConfigTest, BadDefaultsAreReportedAsDefaults) {
    OptionSet options("x");
    options.add_int("port").env("X_PORT").default_value("http");
    EXPECT_EQ(only_problem(options, {}),
              "invalid value \"http\" as the default of --port (env X_PORT): expected an integer");
}

TEST(ConfigTest, ValuesWithControlCharactersAreShownEscaped) {
    EXPECT_EQ(only_problem(gateway_options(), {}, {{"GATEWAY_MAX_STREAMS", "5\n"}}),
              "invalid value \"5\\x0a\" in env GATEWAY_MAX_STREAMS (flag --max-streams): "
              "expected an integer from 1 to 1000");
}

TEST(ConfigTest, ReportsEveryProblemTogether) {
    const OptionSet options = gateway_options();
    try {
        parse(options, {"--heartbeat-interval=abc", "--max-streams=0", "--listen-adr=:1"},
              {{"GATEWAY_LOG_FORMAT", "xml"}});
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_THAT(
            e.problems(),
            ElementsAre(HasSubstr("unknown flag --listen-adr"), HasSubstr("--heartbeat-interval"),
                        HasSubstr("--max-streams"), HasSubstr("--log-format")));
        const std::string what = e.what();
        EXPECT_THAT(what, HasSubstr("4 configuration problems:\n"));
        for (const std::string& problem : e.problems()) {
            EXPECT_THAT(what, HasSubstr("\n  " + problem));
        }
    }
}

TEST(ConfigTest, ConfigErrorIsARuntimeError) {
    try {
        parse(gateway_options(), {"--dev=2"});
        FAIL() << "expected a ConfigError";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(),
                     R"(invalid value "2" for --dev (env GATEWAY_DEV): expected true or false)");
    }
}

TEST(ConfigTest, UnknownFlagSuggestsTheClosestOne) {
    const OptionSet options = gateway_options();
    EXPECT_EQ(only_problem(options, {"--listen-adr=:1"}),
              "unknown flag --listen-adr: did you mean --listen-addr?");
    EXPECT_EQ(only_problem(options, {"-heartbeat_interval=5s"}),
              "unknown flag -heartbeat_interval: did you mean --heartbeat-interval?");
    EXPECT_EQ(only_problem(options, {"--LOG-FORMAT", "json"}),
              "unknown flag --LOG-FORMAT: did you mean --log-format?");
    EXPECT_EQ(only_problem(options, {"--listen"}),
              "unknown flag --listen: did you mean --listen-addr?");
    EXPECT_EQ(only_problem(options, {"--verbose"}),
              "unknown flag --verbose: run with --help to list the flags");
    EXPECT_NO_THROW(parse(options, {"--"}));  // only ends the flags
    EXPECT_EQ(only_problem(options, {"--=x"}),
              "unknown flag --: run with --help to list the flags");
}

TEST(ConfigTest, MissingFlagValueIsReported) {
    EXPECT_EQ(only_problem(gateway_options(), {"--listen-addr"}),
              "flag --listen-addr needs a value: expected host:port such as :8081, "
              "127.0.0.1:8081 or [::1]:8081");
}

TEST(ConfigTest, PositionalArgumentsAreRefusedUnlessAllowed) {
    EXPECT_EQ(only_problem(gateway_options(), {"serve"}),
              "unexpected argument \"serve\": every setting is a flag such as --name=value");

    OptionSet options = gateway_options();
    options.allow_positional("FILE...");
    const Config config = parse(options, {"a", "--dev", "-", "--", "--name=x"});
    EXPECT_THAT(config.positional(), ElementsAre("a", "-", "--name=x"));
    EXPECT_TRUE(config.get_bool("dev"));
    EXPECT_EQ(config.get_string("name"), "gateway");
}

TEST(ConfigTest, RequiredOptionMustBeSet) {
    OptionSet options("pm-control");
    options.add_url("database-url")
        .env("CONTROL_DATABASE_URL")
        .schemes({"postgres"})
        .required()
        .secret();
    EXPECT_EQ(only_problem(options, {}),
              "missing --database-url: set the flag or env CONTROL_DATABASE_URL to a URL "
              "starting with postgres://");
    const Config config = parse(options, {}, {{"CONTROL_DATABASE_URL", "postgres://h/db"}});
    EXPECT_EQ(config.get_url("database-url"), "postgres://h/db");
}

// ---- secrets ----------------------------------------------------------------------------

TEST(ConfigTest, SecretValuesNeverAppearInErrors) {
    const OptionSet options = gateway_options();
    const std::string secret_url = "mysql://admin:hunter2@db/pm";
    const auto from_flag = problems(options, {"--database-url=" + secret_url});
    ASSERT_EQ(from_flag.size(), 1u);
    EXPECT_EQ(from_flag[0],
              "invalid value (hidden) for --database-url (env GATEWAY_DATABASE_URL): expected a "
              "URL starting with postgres:// or postgresql://");
    const auto from_env = problems(options, {}, {{"GATEWAY_DATABASE_URL", secret_url}});
    ASSERT_EQ(from_env.size(), 1u);
    EXPECT_THAT(from_env[0], Not(HasSubstr("hunter2")));

    // A mistyped flag name carrying a password must not echo it either.
    const auto typo = problems(options, {"--databse-url=postgres://u:hunter2@h/db"});
    ASSERT_EQ(typo.size(), 1u);
    EXPECT_EQ(typo[0], "unknown flag --databse-url: did you mean --database-url?");
    const auto typo_separate = problems(options, {"--databse-url", "postgres://u:hunter2@h/db"});
    ASSERT_EQ(typo_separate.size(), 1u);
    EXPECT_THAT(typo_separate[0], Not(HasSubstr("hunter2")));
}

TEST(ConfigTest, SecretValuesNeverAppearInDescribeOrUsage) {
    const OptionSet options = gateway_options();
    const Config config = parse(options, {"--database-url=postgres://u:hunter2@h/db"});
    EXPECT_EQ(config.get_url("database-url"), "postgres://u:hunter2@h/db");
    const std::string described = config.describe();
    EXPECT_THAT(described, HasSubstr("database-url=<hidden> (flag)\n"));
    EXPECT_THAT(described, HasSubstr("listen-addr=\":8080\" (default)\n"));
    EXPECT_THAT(described, HasSubstr("tls-cert= (unset)\n"));
    EXPECT_THAT(described, Not(HasSubstr("hunter2")));
    const std::string usage = options.usage();
    EXPECT_THAT(usage, Not(HasSubstr("s3cr3t-default")));
    EXPECT_THAT(usage, HasSubstr("default hidden"));
}

// ---- help -------------------------------------------------------------------------------

TEST(ConfigTest, HelpIsRequestedInAnySpelling) {
    const OptionSet options = gateway_options();
    for (const std::string_view flag : {"--help", "-help", "-h", "--h"}) {
        EXPECT_TRUE(parse(options, {flag}).help_requested()) << flag;
    }
    // Help works even when the rest of the configuration is broken.
    EXPECT_TRUE(parse(options, {"--max-streams=0", "--bogus", "--help"}, {{"GATEWAY_DEV", "maybe"}})
                    .help_requested());
}

TEST(ConfigTest, UsageListsEveryOptionWithEnvAndDefault) {
    const std::string usage = gateway_options().usage();
    EXPECT_THAT(usage, HasSubstr("Usage: pm-gateway [flags]\n\nPower Manage agent gateway.\n"));
    EXPECT_THAT(usage, HasSubstr("  --listen-addr=<host:port>\n"
                                 "        Address the agent-facing server listens on.\n"
                                 "        (env GATEWAY_LISTEN_ADDR; host:port such as :8081, "
                                 "127.0.0.1:8081 or [::1]:8081; default \":8080\")\n"));
    EXPECT_THAT(usage, HasSubstr("  --heartbeat-interval=<duration>\n"));
    EXPECT_THAT(usage, HasSubstr("default \"30s\""));
    EXPECT_THAT(usage, HasSubstr("  --max-streams=<integer>\n"
                                 "        (env GATEWAY_MAX_STREAMS; an integer from 1 to 1000; "
                                 "default \"100\")\n"));
    EXPECT_THAT(usage, HasSubstr("  --dev\n        Development mode.\n"
                                 "        (env GATEWAY_DEV; default \"false\")\n"));
    EXPECT_THAT(usage, HasSubstr("  --log-format=<text|json>\n"));
    EXPECT_THAT(usage, HasSubstr("  --tls-cert=<path>\n        (env GATEWAY_TLS_CERT; a file "
                                 "path; must exist)\n"));
    EXPECT_THAT(usage, HasSubstr("  --help\n"));
    for (const std::string_view env :
         {"GATEWAY_LISTEN_ADDR", "GATEWAY_HEARTBEAT_INTERVAL", "GATEWAY_MAX_STREAMS", "GATEWAY_DEV",
          "GATEWAY_CONTROL_URL", "GATEWAY_DATABASE_URL", "GATEWAY_TLS_CERT", "GATEWAY_LOG_FORMAT",
          "GATEWAY_NAME"}) {
        EXPECT_THAT(usage, HasSubstr("(env " + std::string(env) + ";")) << env;
    }
}

// ---- the daemon's own mistakes ------------------------------------------------------------

TEST(ConfigTest, DeclarationMistakesThrowLogicError) {
    OptionSet options("x");
    options.add_string("name");
    EXPECT_THROW(options.add_string("name"), std::logic_error);
    EXPECT_THROW(options.add_string("Name"), std::logic_error);
    EXPECT_THROW(options.add_string("--name2"), std::logic_error);
    EXPECT_THROW(options.add_string("with_underscore"), std::logic_error);
    EXPECT_THROW(options.add_string(""), std::logic_error);
    EXPECT_THROW(options.add_bool("help"), std::logic_error);
    EXPECT_THROW(options.add_choice("mode", {}), std::logic_error);
    EXPECT_THROW(options.add_string("a").range(1, 2), std::logic_error);
    EXPECT_THROW(options.add_string("b").must_exist(), std::logic_error);
    EXPECT_THROW(options.add_string("c").schemes({"http"}), std::logic_error);
    EXPECT_THROW(options.add_string("d").default_value(5s), std::logic_error);
    EXPECT_THROW(options.add_int("e").range(5, 1), std::logic_error);
    EXPECT_THROW(options.add_string("f").env("lower_case"), std::logic_error);

    OptionSet shared("x");
    shared.add_string("a").env("SAME");
    shared.add_string("b").env("SAME");
    EXPECT_THROW(parse(shared, {}), std::logic_error);
}

TEST(ConfigTest, GetterMistakesThrowLogicError) {
    const Config config = parse(gateway_options(), {});
    EXPECT_THROW(config.get_string("no-such-option"), std::logic_error);
    EXPECT_THROW(config.get_int("listen-addr"), std::logic_error);
    EXPECT_THROW(config.get_bool("name"), std::logic_error);
    EXPECT_THROW(config.get_path("tls-cert"), std::logic_error);  // unset
    EXPECT_THROW(config.get_string("tls-cert"), std::logic_error);
    EXPECT_EQ(config.get_string("max-streams"), "100");
}

TEST(EnvironmentTest, LooksUpFixedAndProcessVariables) {
    const EnvLookup env = environment_from({{"A", "1"}});
    EXPECT_EQ(env("A"), "1");
    EXPECT_EQ(env("B"), std::nullopt);
    EXPECT_EQ(process_environment()("PM_CONFIG_TEST_SURELY_UNSET_7f3a"), std::nullopt);
}

// ---- parse_or_exit: what every main() answers alike ------------------------------------

// Options read from no environment variable, so that the process environment the test runs
// in cannot change the outcome.
OptionSet tool_options() {
    OptionSet options("pm-tool", "A tool.");
    options.add_int("count").range(1, 10).default_value(3).help("How many.");
    return options;
}

TEST(ConfigParseOrExitTest, ReturnsTheConfigWithoutWritingAnything) {
    const char* const argv[] = {"pm-tool", "--count=7", nullptr};
    std::ostringstream out;
    std::ostringstream err;
    const Config config = tool_options().parse_or_exit(2, argv, "Commands: x\n", out, err);
    EXPECT_EQ(config.get_int("count"), 7);
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(err.str(), "");
}

TEST(ConfigParseOrExitTest, HelpPrintsUsageThenEpilogueAndExitsZero) {
    const char* const argv[] = {"pm-tool", "--help", nullptr};
    // The death-test child's stderr is what EXPECT_EXIT can match, so usage goes there.
    EXPECT_EXIT(
        tool_options().parse_or_exit(2, argv, "Commands: frobnicate\n", std::cerr, std::cerr),
        ::testing::ExitedWithCode(0), "Usage: pm-tool .*--count.*Commands: frobnicate");
}

TEST(ConfigParseOrExitTest, ProblemsGoToErrWithTheProgramNameAndExitTwo) {
    const char* const argv[] = {"pm-tool", "--count=11", "--bogus", nullptr};
    EXPECT_EXIT(
        tool_options().parse_or_exit(3, argv, {}, std::cout, std::cerr),
        ::testing::ExitedWithCode(2),
        "^pm-tool: 2 configuration problems:\n  [^\n]*--bogus[^\n]*\n  [^\n]*--count[^\n]*\n"
        "Run pm-tool --help for the options\\.\n$");
}

TEST(ConfigParseOrExitTest, DefaultStreamsAreStdoutAndStderr) {
    const char* const argv[] = {"pm-tool", "--count=0", nullptr};
    EXPECT_EXIT(tool_options().parse_or_exit(2, argv), ::testing::ExitedWithCode(2),
                "pm-tool: .*count");
}

}  // namespace
}  // namespace pm
