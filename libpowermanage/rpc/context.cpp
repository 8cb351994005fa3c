#include <algorithm>

#include <powermanage/rpc/context.hpp>

namespace pm::rpc {
namespace {

// ASCII only, as header names are: std::tolower is a call into the locale per character, and
// every request's header names pass through here.
constexpr char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

void lower_in_place(std::string& text) {
    std::transform(text.begin(), text.end(), text.begin(), ascii_lower);
}

// Header names are case-insensitive on the wire; callers may ask in any case.
bool equal_names(std::string_view stored_lower, std::string_view asked) {
    return std::equal(stored_lower.begin(), stored_lower.end(), asked.begin(), asked.end(),
                      [](char a, char b) { return a == ascii_lower(b); });
}

}  // namespace

void Headers::add(std::string name, std::string value) {
    lower_in_place(name);
    fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
    lower_in_place(name);
    erase(name);
    fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::erase(std::string_view name) {
    std::erase_if(fields_, [&](const auto& field) { return equal_names(field.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [field, value] : fields_) {
        if (equal_names(field, name)) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

}  // namespace pm::rpc
