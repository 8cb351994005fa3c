#pragma once

/// @file
/// @brief An injectable wall clock, so that time-dependent code can be tested with a clock
/// the test moves by hand.

#include <atomic>
#include <chrono>

namespace pm {

/// A source of wall-clock time.
class Clock {
public:
    /// A point in wall-clock time.
    using TimePoint = std::chrono::system_clock::time_point;

    virtual ~Clock() = default;

    /// The current time.
    virtual TimePoint now() const = 0;

    /// The process-wide system clock.
    static const Clock& system();
};

/// The operating system's real-time clock.
class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::system_clock::now(); }
};

/// A clock that only moves when told to; for tests. Thread-safe.
class ManualClock final : public Clock {
public:
    /// Starts at `start` (the Unix epoch by default).
    explicit ManualClock(TimePoint start = TimePoint{}) : now_(start.time_since_epoch().count()) {}

    TimePoint now() const override { return TimePoint(TimePoint::duration(now_.load())); }

    /// Sets the time, backwards too.
    void set(TimePoint t) { now_.store(t.time_since_epoch().count()); }

    /// Moves the time forward by `d`.
    void advance(std::chrono::system_clock::duration d) { now_.fetch_add(d.count()); }

private:
    std::atomic<TimePoint::duration::rep> now_;
};

}  // namespace pm
