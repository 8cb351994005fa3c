#include <chrono>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/ulid.hpp>

namespace pm {
namespace {

// The everyday case: the system clock, so mostly increments and a random draw whenever the
// millisecond changes.
void BM_UlidGenerateSystemClock(benchmark::State& state) {
    UlidGenerator generator(Clock::system());
    for (auto _ : state) {
        benchmark::DoNotOptimize(generator.next());
    }
}
BENCHMARK(BM_UlidGenerateSystemClock);

// Every call in a new millisecond: each one draws 80 random bits from OpenSSL.
void BM_UlidGenerateNewMillisecond(benchmark::State& state) {
    ManualClock clock(Clock::TimePoint(std::chrono::milliseconds(1'795'732'867'123)));
    UlidGenerator generator(clock);
    for (auto _ : state) {
        clock.advance(std::chrono::milliseconds(1));
        benchmark::DoNotOptimize(generator.next());
    }
}
BENCHMARK(BM_UlidGenerateNewMillisecond);

// Generation within one millisecond: only the 80-bit increment, no random draw.
void BM_UlidGenerateSameMillisecond(benchmark::State& state) {
    const ManualClock clock(Clock::TimePoint(std::chrono::milliseconds(1'795'732'867'123)));
    UlidGenerator generator(clock);
    for (auto _ : state) {
        benchmark::DoNotOptimize(generator.next());
    }
}
BENCHMARK(BM_UlidGenerateSameMillisecond);

// The contended case: generator shared by several threads, as in a server.
void BM_UlidGenerateShared(benchmark::State& state) {
    static UlidGenerator generator(Clock::system());
    for (auto _ : state) {
        benchmark::DoNotOptimize(generator.next());
    }
}
BENCHMARK(BM_UlidGenerateShared)->Threads(1)->Threads(2)->Threads(4);

void BM_UlidToString(benchmark::State& state) {
    UlidGenerator generator(Clock::system());
    const Ulid id = generator.next();
    for (auto _ : state) {
        benchmark::DoNotOptimize(id.to_string());
    }
}
BENCHMARK(BM_UlidToString);

void BM_UlidParse(benchmark::State& state) {
    UlidGenerator generator(Clock::system());
    std::vector<std::string> texts;
    for (int i = 0; i < 1024; ++i) {
        texts.push_back(generator.next_string());
    }
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(Ulid::parse(texts[i++ & 1023]));
    }
}
BENCHMARK(BM_UlidParse);

void BM_UlidParseInvalid(benchmark::State& state) {
    const std::string text = "01ARYZ6S41TSV4RRFFQ69G5FAU";  // fails on the last character
    for (auto _ : state) {
        benchmark::DoNotOptimize(Ulid::parse(text));
    }
}
BENCHMARK(BM_UlidParseInvalid);

void BM_NewUlid(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(new_ulid());
    }
}
BENCHMARK(BM_NewUlid);

}  // namespace
}  // namespace pm
