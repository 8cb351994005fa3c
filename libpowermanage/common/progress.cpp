#include <algorithm>

#include <fmt/format.h>
#include <unistd.h>

#include <powermanage/common/progress.hpp>

namespace pm {

ProgressBar::ProgressBar(std::FILE* out, std::string label, std::string unit)
    : out_(out),
      label_(std::move(label)),
      unit_(std::move(unit)),
      terminal_(::isatty(::fileno(out)) != 0),
      started_(std::chrono::steady_clock::now()) {}

double ProgressBar::rate() const {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    return seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
}

void ProgressBar::update(std::int64_t done, std::int64_t total) {
    done_ = done;
    total_ = std::max(total, done);
    const auto now = std::chrono::steady_clock::now();
    const auto every = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
    if (now - last_draw_ >= every) {
        last_draw_ = now;
        draw(false);
    }
}

void ProgressBar::finish() {
    draw(true);
}

void ProgressBar::draw(bool final) {
    constexpr int kWidth = 30;
    const double fraction =
        total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
    const double per_second = rate();
    const double left = per_second > 0 ? static_cast<double>(total_ - done_) / per_second : 0.0;
    const int filled = static_cast<int>(fraction * kWidth);
    const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                            std::string(static_cast<std::size_t>(kWidth - filled), '.');
    const std::string text = fmt::format("{} [{}] {:3.0f}% {}/{} {} {:.0f} {}/s{}", label_, bar,
                                         fraction * 100.0, done_, total_, unit_, per_second, unit_,
                                         final ? "" : fmt::format(" ~{:.0f}s left", left));
    if (terminal_) {
        fmt::print(out_, "\r{}\x1b[K{}", text, final ? "\n" : "");
    } else {
        fmt::print(out_, "{}\n", text);
    }
    std::fflush(out_);
}

}  // namespace pm
