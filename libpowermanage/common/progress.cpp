#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include <powermanage/common/progress.hpp>

#include "common/text_format.hpp"

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
    char percent[16];
    std::snprintf(percent, sizeof percent, "%3.0f%%", fraction * 100.0);
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%.0f", per_second);
    char left_text[32] = "";
    if (!final) {
        std::snprintf(left_text, sizeof left_text, " ~%.0fs left", left);
    }
    const std::string text =
        common_detail::format("{} [{}] {} {}/{} {} {} {}/s{}", label_, bar, percent, done_, total_,
                              unit_, rate_text, unit_, left_text);
    if (terminal_) {
        std::fprintf(out_, "\r%s\x1b[K%s", text.c_str(), final ? "\n" : "");
    } else {
        std::fprintf(out_, "%s\n", text.c_str());
    }
    std::fflush(out_);
}

}  // namespace pm
