#include "text_checks.hpp"

#include <algorithm>
#include <optional>

namespace pm::validation::detail {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

bool is_ascii_alpha(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char32_t c) {
    return c >= '0' && c <= '9';
}
bool is_ascii_alnum(char32_t c) {
    return is_ascii_alpha(c) || is_ascii_digit(c);
}
bool is_hex_digit(char c) {
    return is_ascii_digit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

// The non-ASCII ranges the validator's email regex admits wherever it admits a letter.
bool is_ucs_char(char32_t c) {
    return (c >= 0x00A0 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
           (c >= 0xFDF0 && c <= 0xFFEF);
}

// Decodes the code point at `text[pos]` and advances `pos`; kInvalid for malformed UTF-8, so
// that such input simply fails the pattern instead of being misread.
char32_t next_code_point(std::string_view text, std::size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos++]);
    if (lead < 0x80) {
        return lead;
    }
    int extra = 0;
    char32_t cp = 0;
    if ((lead & 0xE0) == 0xC0) {
        extra = 1;
        cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        extra = 2;
        cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        extra = 3;
        cp = lead & 0x07;
    } else {
        return kInvalid;
    }
    for (int i = 0; i < extra; ++i) {
        if (pos >= text.size()) {
            return kInvalid;
        }
        const auto byte = static_cast<unsigned char>(text[pos++]);
        if ((byte & 0xC0) != 0x80) {
            return kInvalid;
        }
        cp = (cp << 6) | (byte & 0x3F);
    }
    return cp;
}

// atext of RFC 5322 as the regex spells it, plus its Unicode ranges.
bool is_atext(char32_t c) {
    constexpr std::string_view kSymbols = "!#$%&'*+-/=?^_`{|}~";
    return is_ascii_alnum(c) || is_ucs_char(c) ||
           (c < 0x80 && kSymbols.find(static_cast<char>(c)) != std::string_view::npos);
}

// local-part as a dot-atom: atext runs separated by single dots.
bool is_dot_atom(std::string_view text) {
    bool after_dot = true;  // the start behaves like a dot: an atext must follow
    std::size_t pos = 0;
    while (pos < text.size()) {
        const char32_t c = next_code_point(text, pos);
        if (c == '.') {
            if (after_dot) {
                return false;
            }
            after_dot = true;
        } else if (is_atext(c)) {
            after_dot = false;
        } else {
            return false;
        }
    }
    return !after_dot;
}

bool is_qtext(char32_t c) {
    return (c >= 0x01 && c <= 0x08) || c == 0x0B || c == 0x0C || (c >= 0x0E && c <= 0x1F) ||
           c == 0x7F || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) ||
           is_ucs_char(c);
}

bool is_quoted_pair_char(char32_t c) {
    return (c >= 0x01 && c <= 0x09) || c == 0x0B || c == 0x0C || (c >= 0x0D && c <= 0x7F) ||
           is_ucs_char(c);
}

// A quoted local part at the start of `text`; returns the length it spans (quotes included).
std::optional<std::size_t> quoted_string_length(std::string_view text) {
    std::size_t pos = 1;  // text[0] is the opening quote
    while (pos < text.size()) {
        const char32_t c = next_code_point(text, pos);
        if (c == '"') {
            return pos;
        }
        if (c == ' ' || c == '\t') {
            continue;  // folding white space
        }
        if (c == '\r') {  // only as CRLF followed by white space
            if (pos + 1 < text.size() && text[pos] == '\n' &&
                (text[pos + 1] == ' ' || text[pos + 1] == '\t')) {
                pos += 1;
                continue;
            }
            return std::nullopt;
        }
        if (c == '\\') {
            if (pos >= text.size() || !is_quoted_pair_char(next_code_point(text, pos))) {
                return std::nullopt;
            }
            continue;
        }
        if (!is_qtext(c)) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

bool is_label_end(char32_t c) {
    return is_ascii_alnum(c) || is_ucs_char(c);
}
bool is_tld_end(char32_t c) {
    return is_ascii_alpha(c) || is_ucs_char(c);
}
bool is_label_inner(char32_t c) {
    return is_label_end(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// The regex's domain `(label\.)+tld\.?`. Labels may themselves hold dots, so the pattern
// reduces to: only label characters; starts with a letter or digit; ends (before an optional
// final dot) with a letter; and some dot sits between a letter-or-digit and a letter.
bool is_email_domain(std::string_view text) {
    if (!text.empty() && text.back() == '.') {
        text.remove_suffix(1);
    }
    if (text.empty()) {
        return false;
    }
    char32_t before_previous = kInvalid;
    char32_t previous = kInvalid;
    bool split_found = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const char32_t c = next_code_point(text, pos);
        if (!is_label_inner(c)) {
            return false;
        }
        if (previous == kInvalid && !is_label_end(c)) {
            return false;
        }
        if (previous == '.' && before_previous != kInvalid && is_label_end(before_previous) &&
            is_tld_end(c)) {
            split_found = true;
        }
        before_previous = previous;
        previous = c;
    }
    return split_found && is_tld_end(previous);
}

bool has_control_char(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7F;
    });
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char a = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
        if (a != prefix[i]) {
            return false;
        }
    }
    return true;
}

// `host[:port]` or `[v6]:port`, after any userinfo was removed.
bool is_host_port(std::string_view authority) {
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        host = authority.substr(0, close + 1);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return false;
            }
            port = rest.substr(1);
        }
        if (host.size() <= 2) {
            return false;
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty() || host.find(' ') != std::string_view::npos) {
        return false;
    }
    return std::all_of(port.begin(), port.end(),
                       [](char c) { return is_ascii_digit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::size_t rune_count(std::string_view text) {
    // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

bool is_email(std::string_view text) {
    std::size_t local_length = 0;
    if (!text.empty() && text.front() == '"') {
        const auto quoted = quoted_string_length(text);
        if (!quoted) {
            return false;
        }
        local_length = *quoted;
    } else {
        local_length = text.find('@');
        if (local_length == std::string_view::npos || !is_dot_atom(text.substr(0, local_length))) {
            return false;
        }
    }
    if (local_length >= text.size() || text[local_length] != '@') {
        return false;
    }
    return is_email_domain(text.substr(local_length + 1));
}

bool is_url(std::string_view text) {
    if (text.empty() || has_control_char(text)) {
        return false;
    }
    if (starts_with_ignoring_case(text, "file:/")) {
        return true;
    }
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !is_ascii_alpha(static_cast<unsigned char>(text.front()))) {
        return false;
    }
    const auto scheme = text.substr(0, colon);
    const bool scheme_ok = std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return is_ascii_alnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
    const auto rest = text.substr(colon + 1);
    if (!scheme_ok || !rest.starts_with("//")) {
        return false;
    }
    auto authority = rest.substr(2);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    return is_host_port(authority);
}

bool is_hexadecimal(std::string_view text) {
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
    }
    return !text.empty() && std::all_of(text.begin(), text.end(), is_hex_digit);
}

bool is_alphanum(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return is_ascii_alnum(static_cast<unsigned char>(c));
    });
}

}  // namespace pm::validation::detail
