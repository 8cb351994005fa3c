#include "backoff.hpp"

#include <algorithm>

namespace pm::agentsim {

std::mt19937_64& random_engine() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return engine;
}

std::chrono::milliseconds uniform_duration(std::chrono::milliseconds min,
                                           std::chrono::milliseconds max) {
    if (max <= min) {
        return min;
    }
    std::uniform_int_distribution<std::int64_t> pick(min.count(), max.count());
    return std::chrono::milliseconds(pick(random_engine()));
}

namespace {

std::uint32_t clamp_ms(std::chrono::milliseconds d) {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(d.count(), 1, 0x7fffffff));
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds /*max*/)
    : step_ms_(clamp_ms(min)) {}

std::chrono::milliseconds Backoff::next(std::chrono::milliseconds min,
                                        std::chrono::milliseconds max) {
    const auto cap = std::max(clamp_ms(max), clamp_ms(min));
    const auto step = std::min(step_ms_, cap);
    const auto wait = uniform_duration(std::chrono::milliseconds(step / 2 + step % 2),
                                       std::chrono::milliseconds(step));
    step_ms_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{step} * 2, cap));
    return wait;
}

void Backoff::connection_lived(std::chrono::milliseconds lived, std::chrono::milliseconds min) {
    if (lived > step()) {
        step_ms_ = clamp_ms(min);
    }
}

}  // namespace pm::agentsim
