#include <powermanage/db/text_array.hpp>

namespace pm::db {
namespace {

template <class Text>
std::string literal(std::span<const Text> elements) {
    std::string out = "{";
    for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        out += '"';
        for (const char c : elements[i]) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

}  // namespace

std::string text_array_literal(std::span<const std::string> elements) {
    return literal(elements);
}

std::string text_array_literal(std::span<const std::string_view> elements) {
    return literal(elements);
}

}  // namespace pm::db
