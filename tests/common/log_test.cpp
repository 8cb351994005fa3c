#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/log.hpp>

namespace pm {
namespace {

using namespace std::chrono_literals;

// 2026-11-26T22:41:07.123Z
const Clock::TimePoint kSomeTime{std::chrono::milliseconds(1'795'732'867'123)};

class LogTest : public ::testing::Test {
protected:
    ManualClock clock_{kSomeTime};
    std::ostringstream out_;
    Logger text_{out_, LogLevel::debug, LogFormat::text, clock_};

    std::string json_line(std::string_view message, std::initializer_list<LogField> fields) {
        std::ostringstream out;
        Logger logger(out, LogLevel::debug, LogFormat::json, clock_);
        logger.info(message, fields);
        return out.str();
    }

    std::string text_line(std::string_view message, std::initializer_list<LogField> fields) {
        out_.str("");
        text_.info(message, fields);
        return out_.str();
    }
};

// Counts reads, to show that a dropped event does not even look at the time.
class CountingClock final : public Clock {
public:
    TimePoint now() const override {
        ++reads;
        return kSomeTime;
    }
    mutable std::atomic<int> reads{0};
};

TEST_F(LogTest, TextLineHasTimeLevelMessageAndFields) {
    const std::string id = "01HZX3K5V8M2Q4R6T8W0Y2A4C6";
    text_.info("agent connected", {{"device_id", id}, {"streams", 3}});
    EXPECT_EQ(out_.str(),
              "2026-11-26T22:41:07.123Z INFO  agent connected "
              "device_id=01HZX3K5V8M2Q4R6T8W0Y2A4C6 streams=3\n");
}

TEST_F(LogTest, TextLevelsAreUpperCaseAndAligned) {
    text_.debug("a");
    text_.info("b");
    text_.warn("c");
    text_.error("d");
    EXPECT_EQ(out_.str(),
              "2026-11-26T22:41:07.123Z DEBUG a\n"
              "2026-11-26T22:41:07.123Z INFO  b\n"
              "2026-11-26T22:41:07.123Z WARN  c\n"
              "2026-11-26T22:41:07.123Z ERROR d\n");
}

TEST_F(LogTest, JsonLineHasEveryValueType) {
    EXPECT_EQ(json_line("agent connected", {{"device_id", "01HZX"},
                                            {"streams", 3},
                                            {"negative", -7},
                                            {"big", std::numeric_limits<std::uint64_t>::max()},
                                            {"ratio", 0.25},
                                            {"ok", true},
                                            {"closed", false}}),
              R"({"ts":"2026-11-26T22:41:07.123Z","level":"info","msg":"agent connected",)"
              R"("device_id":"01HZX","streams":3,"negative":-7,"big":18446744073709551615,)"
              R"("ratio":0.25,"ok":true,"closed":false})"
              "\n");
}

TEST_F(LogTest, JsonLevelsAreLowerCase) {
    std::ostringstream out;
    Logger logger(out, LogLevel::debug, LogFormat::json, clock_);
    logger.debug("m");
    logger.warn("m");
    logger.error("m");
    EXPECT_EQ(out.str(), R"({"ts":"2026-11-26T22:41:07.123Z","level":"debug","msg":"m"})"
                         "\n"
                         R"({"ts":"2026-11-26T22:41:07.123Z","level":"warn","msg":"m"})"
                         "\n"
                         R"({"ts":"2026-11-26T22:41:07.123Z","level":"error","msg":"m"})"
                         "\n");
}

TEST_F(LogTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
    const std::string line = json_line("say \"hi\"\\ now\n\t\r\b\f\x01\x1f\x7f", {});
    EXPECT_NE(line.find(R"("msg":"say \"hi\"\\ now\n\t\r\b\f\u0001\u001f\u007f")"),
              std::string::npos)
        << line;
    // Escaping keeps the event on one line.
    EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST_F(LogTest, JsonEscapesKeysAndStringValues) {
    const std::string line = json_line("m", {{"we\"ird", "a\nb"}});
    EXPECT_NE(line.find(R"("we\"ird":"a\nb")"), std::string::npos) << line;
}

TEST_F(LogTest, JsonKeepsValidUtf8AndEscapesLineSeparators) {
    const std::string line =
        json_line("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE2\x80\xA8", {});
    EXPECT_NE(line.find("\"msg\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \\u2028\""),
              std::string::npos)
        << line;
}

TEST_F(LogTest, InvalidUtf8IsReplaced) {
    const std::string r = "\xEF\xBF\xBD";  // U+FFFD
    // A stray continuation byte, a lone lead byte, a truncated sequence at the end.
    EXPECT_NE(json_line("a\x80z\xFFz\xE2\x82", {}).find("\"a" + r + "z" + r + "z" + r + "\""),
              std::string::npos);
    // An overlong '/' and a UTF-16 surrogate: each byte that cannot start or continue a
    // sequence becomes one replacement character.
    EXPECT_NE(json_line("\xC0\xAF|\xED\xA0\x80", {}).find(r + r + "|" + r + r + r),
              std::string::npos);
    // Code points above U+10FFFF.
    EXPECT_NE(json_line("\xF4\x90\x80\x80", {}).find("\"msg\":\"" + r + r + r + r + "\""),
              std::string::npos);
    // The text format replaces too.
    EXPECT_EQ(text_line("x\xFFy", {{"k", "v\xC3"}}),
              "2026-11-26T22:41:07.123Z INFO  x" + r + "y k=v" + r + "\n");
}

TEST_F(LogTest, JsonWritesNonFiniteNumbersAsStrings) {
    const std::string line = json_line("m", {{"nan", std::numeric_limits<double>::quiet_NaN()},
                                             {"inf", std::numeric_limits<double>::infinity()}});
    EXPECT_NE(line.find(R"("nan":"nan","inf":"inf")"), std::string::npos) << line;
}

TEST_F(LogTest, TextQuotesValuesThatWouldBeMisread) {
    EXPECT_EQ(text_line("m", {{"plain", "abc"},
                              {"space", "a b"},
                              {"equals", "a=b"},
                              {"empty", ""},
                              {"quote", "say \"x\""},
                              {"newline", "a\nb"},
                              {"path", "C:\\dir"}}),
              "2026-11-26T22:41:07.123Z INFO  m plain=abc space=\"a b\" equals=\"a=b\" "
              "empty=\"\" quote=\"say \\\"x\\\"\" newline=\"a\\nb\" path=C:\\dir\n");
}

TEST_F(LogTest, TextMessageCannotForgeALine) {
    EXPECT_EQ(text_line("bad\n2026-01-01T00:00:00.000Z ERROR forged\x1b", {}),
              "2026-11-26T22:41:07.123Z INFO  bad\\n2026-01-01T00:00:00.000Z ERROR forged\\x1b\n");
}

TEST_F(LogTest, TextWritesNumbersAndBools) {
    EXPECT_EQ(text_line("m", {{"n", -12}, {"u", 7u}, {"d", 1.5}, {"b", true}}),
              "2026-11-26T22:41:07.123Z INFO  m n=-12 u=7 d=1.5 b=true\n");
}

TEST_F(LogTest, TimestampIsUtcWithMilliseconds) {
    ManualClock clock;
    std::ostringstream out;
    Logger logger(out, LogLevel::info, LogFormat::text, clock);
    logger.info("epoch");
    clock.set(Clock::TimePoint(std::chrono::sys_days{std::chrono::year{2024} / 2 / 29}) + 24h -
              1ms);
    logger.info("leap");
    clock.advance(1ms);
    logger.info("march");
    clock.advance(999us);  // sub-millisecond time is truncated, not rounded
    logger.info("march");
    EXPECT_EQ(out.str(),
              "1970-01-01T00:00:00.000Z INFO  epoch\n"
              "2024-02-29T23:59:59.999Z INFO  leap\n"
              "2024-03-01T00:00:00.000Z INFO  march\n"
              "2024-03-01T00:00:00.000Z INFO  march\n");
}

TEST(LoggerTest, DropsEventsBelowItsLevel) {
    ManualClock clock(kSomeTime);
    std::ostringstream out;
    Logger logger(out, LogLevel::warn, LogFormat::text, clock);
    logger.debug("no");
    logger.info("no");
    logger.warn("yes1");
    logger.error("yes2");
    logger.log(LogLevel::info, "no");
    EXPECT_EQ(out.str(),
              "2026-11-26T22:41:07.123Z WARN  yes1\n"
              "2026-11-26T22:41:07.123Z ERROR yes2\n");
    EXPECT_FALSE(logger.enabled(LogLevel::info));
    EXPECT_TRUE(logger.enabled(LogLevel::warn));

    logger.set_level(LogLevel::debug);
    logger.debug("now");
    EXPECT_NE(out.str().find("DEBUG now"), std::string::npos);
    EXPECT_EQ(logger.level(), LogLevel::debug);
}

TEST(LoggerTest, DroppedEventsDoNotReadTheClock) {
    CountingClock clock;
    int sink_calls = 0;
    Logger logger([&](std::string_view) { ++sink_calls; }, LogLevel::error, LogFormat::json, clock);
    for (int i = 0; i < 100; ++i) {
        logger.info("noise", {{"i", i}});
    }
    EXPECT_EQ(clock.reads.load(), 0);
    EXPECT_EQ(sink_calls, 0);
    logger.error("signal");
    EXPECT_EQ(clock.reads.load(), 1);
    EXPECT_EQ(sink_calls, 1);
}

TEST(LoggerTest, FormatCanChangeAtRunTime) {
    ManualClock clock(kSomeTime);
    std::vector<std::string> lines;
    Logger logger([&](std::string_view line) { lines.emplace_back(line); }, LogLevel::info,
                  LogFormat::text, clock);
    logger.info("one");
    logger.set_format(LogFormat::json);
    EXPECT_EQ(logger.format(), LogFormat::json);
    logger.info("two");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "2026-11-26T22:41:07.123Z INFO  one\n");
    EXPECT_EQ(lines[1], R"({"ts":"2026-11-26T22:41:07.123Z","level":"info","msg":"two"})"
                        "\n");
}

TEST(LoggerTest, SpanOverloadTakesRunTimeFields) {
    ManualClock clock(kSomeTime);
    std::ostringstream out;
    Logger logger(out, LogLevel::info, LogFormat::text, clock);
    std::vector<LogField> fields;
    fields.push_back({"a", 1});
    fields.push_back({"b", "x"});
    logger.log(LogLevel::info, "m", std::span<const LogField>(fields));
    EXPECT_EQ(out.str(), "2026-11-26T22:41:07.123Z INFO  m a=1 b=x\n");
}

TEST(LoggerTest, ThrowingSinkIsCountedNotPropagated) {
    Logger logger([](std::string_view) { throw std::runtime_error("disk full"); });
    EXPECT_NO_THROW(logger.error("a"));
    EXPECT_NO_THROW(logger.error("b"));
    EXPECT_EQ(logger.dropped(), 2u);
}

TEST(LoggerTest, SetSinkRedirectsOutput) {
    ManualClock clock(kSomeTime);
    std::ostringstream first;
    std::ostringstream second;
    Logger logger(first, LogLevel::info, LogFormat::text, clock);
    logger.info("a");
    logger.set_sink([&](std::string_view line) { second << line; });
    logger.info("b");
    EXPECT_EQ(first.str(), "2026-11-26T22:41:07.123Z INFO  a\n");
    EXPECT_EQ(second.str(), "2026-11-26T22:41:07.123Z INFO  b\n");
}

TEST(LoggerTest, ConcurrentLinesNeverInterleave) {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 2000;
    ManualClock clock(kSomeTime);
    std::ostringstream out;
    Logger logger(out, LogLevel::info, LogFormat::json, clock);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&logger, t] {
            for (int i = 0; i < kPerThread; ++i) {
                logger.info("a message long enough to be split if writes were not atomic",
                            {{"thread", t}, {"i", i}, {"padding", std::string(200, 'x')}});
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    std::istringstream in(out.str());
    std::string line;
    std::vector<int> next_i(kThreads, 0);
    int count = 0;
    const std::string prefix =
        R"({"ts":"2026-11-26T22:41:07.123Z","level":"info","msg":"a message long enough to be )"
        R"(split if writes were not atomic","thread":)";
    while (std::getline(in, line)) {
        ++count;
        ASSERT_EQ(line.substr(0, prefix.size()), prefix);
        const int t = line[prefix.size()] - '0';
        ASSERT_GE(t, 0);
        ASSERT_LT(t, kThreads);
        const std::string expected_tail = std::string(R"(,"i":)") +
                                          std::to_string(next_i[static_cast<std::size_t>(t)]++) +
                                          R"(,"padding":")" + std::string(200, 'x') + "\"}";
        ASSERT_EQ(line.substr(prefix.size() + 1), expected_tail);
    }
    EXPECT_EQ(count, kThreads * kPerThread);
}

TEST(LogLevelTest, ParsesNamesInAnyCase) {
    EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
    EXPECT_EQ(parse_log_level("INFO"), LogLevel::info);
    EXPECT_EQ(parse_log_level("Warn"), LogLevel::warn);
    EXPECT_EQ(parse_log_level("warning"), LogLevel::warn);
    EXPECT_EQ(parse_log_level("error"), LogLevel::error);
    EXPECT_EQ(parse_log_level(""), std::nullopt);
    EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
    EXPECT_EQ(parse_log_level("infos"), std::nullopt);
    EXPECT_EQ(parse_log_level(" info"), std::nullopt);
    for (const LogLevel level :
         {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
        EXPECT_EQ(parse_log_level(to_string(level)), level);
    }
}

TEST(LogFormatTest, ParsesNamesInAnyCase) {
    EXPECT_EQ(parse_log_format("json"), LogFormat::json);
    EXPECT_EQ(parse_log_format("TEXT"), LogFormat::text);
    EXPECT_EQ(parse_log_format("xml"), std::nullopt);
    EXPECT_EQ(parse_log_format(""), std::nullopt);
    EXPECT_EQ(to_string(LogFormat::json), "json");
}

TEST(DefaultLoggerTest, IsOneProcessWideInstanceAtInfo) {
    EXPECT_EQ(&default_logger(), &default_logger());
    EXPECT_EQ(default_logger().level(), LogLevel::info);
    EXPECT_EQ(default_logger().format(), LogFormat::text);
}

}  // namespace
}  // namespace pm
