#pragma once

/// @file
/// @brief Progress of long work, shown to a person: a redrawn bar with a rate and the time
/// left on a terminal, a plain line every few seconds otherwise (logs, CI).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pm {

/// Reports `done` out of `total` units of work to a stream. Not thread-safe.
class ProgressBar {
public:
    /// Draws to `out` (a terminal gets a redrawn bar); `unit` names what is counted.
    ProgressBar(std::FILE* out, std::string label, std::string unit);

    /// Sets the amount done and the total (total may grow); redraws at most 10 times a second
    /// on a terminal, every 5 s elsewhere.
    void update(std::int64_t done, std::int64_t total);
    /// Draws the final state and ends the line.
    void finish();

    /// Units per second since the start.
    double rate() const;

private:
    void draw(bool final);

    std::FILE* out_;
    std::string label_;
    std::string unit_;
    bool terminal_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_draw_{};
    std::int64_t done_ = 0;
    std::int64_t total_ = 0;
};

}  // namespace pm
