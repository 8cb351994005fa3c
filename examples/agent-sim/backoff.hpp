#pragma once
/// @file
/// @brief The agents' reconnect backoff (A.2.8): a step that starts at `min`, doubles after
/// every failed attempt up to `max`, and is reset once a connection outlived it; each wait is
/// drawn from [step / 2, step] so that a fleet cut off together does not return together.

#include <chrono>
#include <cstdint>
#include <random>

namespace pm::agentsim {

/// This thread's random engine (seeded from std::random_device).
std::mt19937_64& random_engine();

/// A uniformly drawn duration in [min, max] (min when max <= min).
std::chrono::milliseconds uniform_duration(std::chrono::milliseconds min,
                                           std::chrono::milliseconds max);

/// Jittered exponential backoff; 8 bytes, kept per agent.
class Backoff {
public:
    /// Starts at `min`, capped at `max` (both at least 1 ms).
    Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max);
    /// The wait before the next attempt (jittered), and doubles the step.
    std::chrono::milliseconds next(std::chrono::milliseconds min, std::chrono::milliseconds max);
    /// A connection lived `lived`: back to `min` if that outlasted the current step.
    void connection_lived(std::chrono::milliseconds lived, std::chrono::milliseconds min);
    /// The current step.
    std::chrono::milliseconds step() const { return std::chrono::milliseconds(step_ms_); }

private:
    std::uint32_t step_ms_;
};

}  // namespace pm::agentsim
