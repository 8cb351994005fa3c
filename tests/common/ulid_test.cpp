#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/ulid.hpp>

namespace pm {
namespace {

using std::chrono::milliseconds;

// 2026-11-26T22:41:07.123Z
constexpr std::int64_t kSomeMs = 1'795'732'867'123;

Clock::TimePoint at_ms(std::int64_t ms) {
    return Clock::TimePoint(milliseconds(ms));
}

TEST(UlidTest, DefaultIsAllZero) {
    EXPECT_EQ(Ulid().to_string(), "00000000000000000000000000");
    EXPECT_EQ(Ulid().timestamp_ms(), 0u);
}

TEST(UlidTest, KnownBytesEncodeAndDecode) {
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>(0xFF);
    }
    EXPECT_EQ(Ulid(bytes).to_string(), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");

    bytes = {};
    bytes[15] = 1;
    EXPECT_EQ(Ulid(bytes).to_string(), "00000000000000000000000001");
    bytes[15] = 32;
    EXPECT_EQ(Ulid(bytes).to_string(), "00000000000000000000000010");

    // A spec example: the timestamp 1469918176385 encodes as 01ARYZ6S41.
    const auto parsed = Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FAV");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->timestamp_ms(), 1'469'918'176'385u);
}

TEST(UlidTest, RoundTripsThroughText) {
    ManualClock clock(at_ms(kSomeMs));
    UlidGenerator generator(clock);
    for (int i = 0; i < 1000; ++i) {
        const Ulid id = generator.next();
        const std::string text = id.to_string();
        ASSERT_EQ(text.size(), Ulid::kTextLength);
        const auto back = Ulid::parse(text);
        ASSERT_TRUE(back.has_value()) << text;
        EXPECT_EQ(*back, id);
        EXPECT_EQ(back->to_string(), text);
        clock.advance(milliseconds(i % 3));
    }
}

TEST(UlidTest, MaximumValueRoundTrips) {
    const auto max = Ulid::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    ASSERT_TRUE(max.has_value());
    for (const std::uint8_t b : max->bytes()) {
        EXPECT_EQ(b, 0xFF);
    }
}

TEST(UlidTest, ParseRejectsMalformedText) {
    const std::string good = "01ARYZ6S41TSV4RRFFQ69G5FAV";
    ASSERT_TRUE(Ulid::parse(good).has_value());
    EXPECT_FALSE(Ulid::parse(""));
    EXPECT_FALSE(Ulid::parse(good.substr(0, 25)));
    EXPECT_FALSE(Ulid::parse(good + "0"));
    EXPECT_FALSE(Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FAU"));  // U is not Crockford
    EXPECT_FALSE(Ulid::parse("81ARYZ6S41TSV4RRFFQ69G5FAV"));  // > 128 bits
    EXPECT_FALSE(Ulid::parse("ZZZZZZZZZZZZZZZZZZZZZZZZZZ"));
    EXPECT_FALSE(Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FA-"));
    EXPECT_FALSE(Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FA "));
    EXPECT_FALSE(Ulid::parse(std::string("01ARYZ6S41TSV4RRFFQ69G5FA\0", 26)));
    EXPECT_FALSE(Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FA\xC3"));
    EXPECT_FALSE(Ulid::is_valid("01ARYZ6S41TSV4RRFFQ69G5FAU"));
    EXPECT_TRUE(Ulid::is_valid(good));
}

TEST(UlidTest, ParseAcceptsLowerCaseAndAliases) {
    const auto upper = Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FAV");
    ASSERT_TRUE(upper.has_value());
    EXPECT_EQ(Ulid::parse("01aryz6s41tsv4rrffq69g5fav"), upper);
    EXPECT_EQ(Ulid::parse("OLARYZ6S4ITSV4RRFFQ69G5FAV"), upper);  // O->0, L->1, I->1
    EXPECT_EQ(Ulid::parse("olaryz6s4itsv4rrffq69g5fav"), upper);
    // Aliases are read but never written.
    EXPECT_EQ(Ulid::parse("olaryz6s4itsv4rrffq69g5fav")->to_string(), "01ARYZ6S41TSV4RRFFQ69G5FAV");
}

TEST(UlidTest, OrdersLikeItsText) {
    const auto a = Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FAV");
    const auto b = Ulid::parse("01ARYZ6S41TSV4RRFFQ69G5FAW");
    const auto c = Ulid::parse("01ARYZ6S420000000000000000");
    ASSERT_TRUE(a && b && c);
    EXPECT_LT(*a, *b);
    EXPECT_LT(*b, *c);
    EXPECT_GT(c->timestamp_ms(), b->timestamp_ms());
}

TEST(UlidGeneratorTest, EncodesTheClockTime) {
    ManualClock clock(at_ms(kSomeMs));
    UlidGenerator generator(clock);
    const Ulid id = generator.next();
    EXPECT_EQ(id.timestamp_ms(), static_cast<std::uint64_t>(kSomeMs));
    // The first ten characters are the 48-bit time, five bits each, most significant first.
    std::string expected_prefix;
    for (int i = 9; i >= 0; --i) {
        expected_prefix += "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(kSomeMs >> (5 * i)) & 31];
    }
    EXPECT_EQ(id.to_string().substr(0, 10), expected_prefix);
    clock.advance(milliseconds(5));
    EXPECT_EQ(generator.next().timestamp_ms(), static_cast<std::uint64_t>(kSomeMs + 5));
}

TEST(UlidGeneratorTest, SubMillisecondTimeIsTruncated) {
    ManualClock clock(at_ms(kSomeMs) + std::chrono::microseconds(999));
    UlidGenerator generator(clock);
    EXPECT_EQ(generator.next().timestamp_ms(), static_cast<std::uint64_t>(kSomeMs));
}

TEST(UlidGeneratorTest, RandomPartIsRandomEvenAtTheEpoch) {
    ManualClock clock;  // the epoch: a generator counting up from zero would be guessable
    UlidGenerator a(clock);
    UlidGenerator b(clock);
    EXPECT_NE(a.next(), b.next());
    EXPECT_NE(a.next().to_string().substr(10), "0000000000000001");
}

TEST(UlidGeneratorTest, StrictlyIncreasingWithinOneMillisecond) {
    ManualClock clock(at_ms(kSomeMs));
    UlidGenerator generator(clock);
    Ulid previous = generator.next();
    std::string previous_text = previous.to_string();
    for (int i = 0; i < 10'000; ++i) {
        const Ulid id = generator.next();
        const std::string text = id.to_string();
        ASSERT_LT(previous, id) << "at " << i;
        ASSERT_LT(previous_text, text) << "at " << i;
        ASSERT_EQ(id.timestamp_ms(), static_cast<std::uint64_t>(kSomeMs));
        previous = id;
        previous_text = text;
    }
}

TEST(UlidGeneratorTest, ClockSteppingBackKeepsIdsIncreasing) {
    ManualClock clock(at_ms(kSomeMs));
    UlidGenerator generator(clock);
    const Ulid before = generator.next();
    clock.set(at_ms(kSomeMs - 60'000));  // NTP step back a minute
    const Ulid after = generator.next();
    EXPECT_LT(before, after);
    EXPECT_EQ(after.timestamp_ms(), static_cast<std::uint64_t>(kSomeMs));
    clock.set(at_ms(kSomeMs + 1));
    const Ulid later = generator.next();
    EXPECT_LT(after, later);
    EXPECT_EQ(later.timestamp_ms(), static_cast<std::uint64_t>(kSomeMs + 1));
}

TEST(UlidGeneratorTest, ClockBeforeTheEpochIsClamped) {
    ManualClock clock(at_ms(-5000));
    UlidGenerator generator(clock);
    EXPECT_EQ(generator.next().timestamp_ms(), 0u);
}

TEST(UlidGeneratorTest, ConcurrentIdsAreAllDistinct) {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 10'000;
    ManualClock clock(at_ms(kSomeMs));
    UlidGenerator generator(clock);
    std::vector<std::vector<Ulid>> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            results[static_cast<std::size_t>(t)].reserve(kPerThread);
            for (int i = 0; i < kPerThread; ++i) {
                if (i % 1000 == 0) {
                    clock.advance(milliseconds(1));
                }
                results[static_cast<std::size_t>(t)].push_back(generator.next());
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    std::unordered_set<Ulid> all;
    for (const auto& ids : results) {
        // Each thread sees its own ids strictly increase.
        for (std::size_t i = 1; i < ids.size(); ++i) {
            ASSERT_LT(ids[i - 1], ids[i]);
        }
        all.insert(ids.begin(), ids.end());
    }
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(UlidGeneratorTest, NewUlidUsesTheSystemClock) {
    const auto before = std::chrono::floor<milliseconds>(std::chrono::system_clock::now());
    const std::string text = new_ulid();
    const auto after = std::chrono::floor<milliseconds>(std::chrono::system_clock::now());
    const auto id = Ulid::parse(text);
    ASSERT_TRUE(id.has_value()) << text;
    EXPECT_GE(id->timestamp_ms(), static_cast<std::uint64_t>(before.time_since_epoch().count()));
    EXPECT_LE(id->timestamp_ms(), static_cast<std::uint64_t>(after.time_since_epoch().count()));
    EXPECT_NE(new_ulid(), text);
}

}  // namespace
}  // namespace pm
