#include <powermanage/common/utf8.hpp>

namespace pm {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

}  // namespace

Utf8Step utf8_step(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        return {1, true};
    }
    std::size_t trailing = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    // The narrowed second-byte ranges exclude overlong forms, UTF-16 surrogates and code
    // points above U+10FFFF.
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        trailing = 1;
    } else if (b0 == 0xE0) {
        trailing = 2;
        lo = 0xA0;
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
        trailing = 2;
    } else if (b0 == 0xED) {
        trailing = 2;
        hi = 0x9F;
    } else if (b0 == 0xF0) {
        trailing = 3;
        lo = 0x90;
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
        trailing = 3;
    } else if (b0 == 0xF4) {
        trailing = 3;
        hi = 0x8F;
    } else {
        return {1, false};
    }
    for (std::size_t k = 1; k <= trailing; ++k) {
        if (i + k >= s.size()) {
            return {k, false};
        }
        const auto b = static_cast<unsigned char>(s[i + k]);
        if (b < lo || b > hi) {
            return {k, false};
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return {trailing + 1, true};
}

std::string valid_utf8_text(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    std::size_t i = 0;
    while (i < bytes.size()) {
        const Utf8Step step = utf8_step(bytes, i);
        if (!step.valid || bytes[i] == '\0') {
            out += kReplacement;
        } else {
            out.append(bytes.substr(i, step.length));
        }
        i += step.length;
    }
    return out;
}

}  // namespace pm
