#pragma once

/// @file
/// @brief Implementation of payload.hpp: a JSON codec per member type, and to_json / from_json
/// walking the described members.
///
/// Boost.JSON's own described-struct conversion is not used: in 1.81 `value_to` requires every
/// key, an object of exactly the described size and rejects absent optionals, so it can read
/// neither payloads written before a key was added nor payloads written after one was.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json.hpp>
#include <boost/mp11/algorithm.hpp>

#include <powermanage/common/time.hpp>
#include <powermanage/eventstore/payload.hpp>

namespace pm::eventstore::detail {

/// A value that does not fit its member type. Thrown by the codecs without context; from_json
/// adds the event type and key and rethrows it as PayloadError.
class ValueError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The JSON type of `v` as error messages name it.
inline std::string_view json_kind(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::bool_:
            return "bool";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            return "number";
        case boost::json::kind::string:
            return "string";
        case boost::json::kind::array:
            return "array";
        case boost::json::kind::object:
            return "object";
    }
    return "unknown";
}

/// The error for a value of the wrong JSON type.
inline ValueError wrong_kind(std::string_view expected, const boost::json::value& got) {
    std::string message = "expected ";
    message += expected;
    message += ", got ";
    message += json_kind(got);
    return ValueError(message);
}

/// The error for a value of the right JSON type but an unusable content, e.g. a number out of
/// range; the value itself is quoted, since its type alone would not explain the refusal.
inline ValueError bad_value(std::string_view expected, const boost::json::value& got,
                            std::string_view why) {
    std::string message = "expected ";
    message += expected;
    message += ", got ";
    message += boost::json::serialize(got);
    if (!why.empty()) {
        message += " (";
        message += why;
        message += ")";
    }
    return ValueError(message);
}

/// Always false; lets a static_assert fire only when a template is instantiated.
template <class T>
inline constexpr bool kAlwaysFalse = false;

/// JSON encoding of one member type: `encode(const T&) -> value` and `decode(const value&) -> T`
/// (throwing ValueError). Specialised below for every supported type.
template <class T>
struct Codec {
    static_assert(kAlwaysFalse<T>, "unsupported payload member type; see payload_impl.hpp");
};

template <>
struct Codec<std::string> {
    static boost::json::value encode(const std::string& v) { return boost::json::value(v); }
    static std::string decode(const boost::json::value& v) {
        if (const auto* s = v.if_string()) {
            return std::string(s->data(), s->size());
        }
        throw wrong_kind("a string", v);
    }
};

template <>
struct Codec<bool> {
    static boost::json::value encode(bool v) { return boost::json::value(v); }
    static bool decode(const boost::json::value& v) {
        if (const auto* b = v.if_bool()) {
            return *b;
        }
        throw wrong_kind("a bool", v);
    }
};

/// The integer member types: the widths proto and PostgreSQL use.
template <class I>
concept SupportedInteger = std::is_same_v<I, std::int32_t> || std::is_same_v<I, std::int64_t>;

/// Signed integers. Accepts any JSON number holding an integer in range, including integral
/// doubles such as `3.0` (other writers and jsonb may produce them); refuses fractions and
/// values the member cannot hold rather than wrapping or truncating them.
template <SupportedInteger I>
struct Codec<I> {
    static constexpr std::string_view kExpected =
        sizeof(I) == 4 ? "a 32-bit integer" : "a 64-bit integer";

    static boost::json::value encode(I v) { return boost::json::value(std::int64_t{v}); }
    static I decode(const boost::json::value& v) {
        constexpr auto lowest = std::numeric_limits<I>::min();
        constexpr auto highest = std::numeric_limits<I>::max();
        if (const auto* i = v.if_int64()) {
            if (*i < lowest || *i > highest) {
                throw bad_value(kExpected, v, "out of range");
            }
            return static_cast<I>(*i);
        }
        if (const auto* u = v.if_uint64()) {
            if (*u > static_cast<std::uint64_t>(highest)) {
                throw bad_value(kExpected, v, "out of range");
            }
            return static_cast<I>(*u);
        }
        if (const auto* d = v.if_double()) {
            if (!std::isfinite(*d) || std::trunc(*d) != *d) {
                throw bad_value(kExpected, v, "not an integer");
            }
            // -2^(n-1) and 2^(n-1) are exact doubles, so this bound check is exact too.
            if (*d < static_cast<double>(lowest) || *d >= -static_cast<double>(lowest)) {
                throw bad_value(kExpected, v, "out of range");
            }
            return static_cast<I>(*d);
        }
        throw wrong_kind(kExpected, v);
    }
};

template <>
struct Codec<double> {
    static boost::json::value encode(double v) { return boost::json::value(v); }
    static double decode(const boost::json::value& v) {
        if (v.is_number()) {
            return v.to_number<double>();
        }
        throw wrong_kind("a number", v);
    }
};

template <>
struct Codec<std::chrono::system_clock::time_point> {
    static boost::json::value encode(std::chrono::system_clock::time_point v) {
        return boost::json::value(pm::format_rfc3339(v));
    }
    static std::chrono::system_clock::time_point decode(const boost::json::value& v) {
        const auto* s = v.if_string();
        if (s == nullptr) {
            throw wrong_kind("an RFC 3339 timestamp string", v);
        }
        if (const auto t = pm::parse_rfc3339(std::string_view(s->data(), s->size()))) {
            return *t;
        }
        throw bad_value("an RFC 3339 timestamp", v, "");
    }
};

/// Raw JSON objects (`params`, `details`, `output`, ...): kept as written.
template <>
struct Codec<boost::json::object> {
    static boost::json::value encode(const boost::json::object& v) { return boost::json::value(v); }
    static boost::json::object decode(const boost::json::value& v) {
        if (const auto* o = v.if_object()) {
            return *o;
        }
        throw wrong_kind("an object", v);
    }
};

/// Raw JSON of any type.
template <>
struct Codec<boost::json::value> {
    static boost::json::value encode(const boost::json::value& v) { return v; }
    static boost::json::value decode(const boost::json::value& v) { return v; }
};

template <class T>
struct Codec<std::vector<T>> {
    static boost::json::value encode(const std::vector<T>& v) {
        boost::json::array out;
        out.reserve(v.size());
        for (const T& element : v) {
            out.push_back(Codec<T>::encode(element));
        }
        return out;
    }
    static std::vector<T> decode(const boost::json::value& v) {
        const auto* array = v.if_array();
        if (array == nullptr) {
            throw wrong_kind("an array", v);
        }
        std::vector<T> out;
        out.reserve(array->size());
        for (std::size_t i = 0; i < array->size(); ++i) {
            try {
                out.push_back(Codec<T>::decode((*array)[i]));
            } catch (const ValueError& e) {
                throw ValueError("element " + std::to_string(i) + ": " + e.what());
            }
        }
        return out;
    }
};

template <class T>
struct Codec<std::map<std::string, T>> {
    static boost::json::value encode(const std::map<std::string, T>& v) {
        boost::json::object out;
        out.reserve(v.size());
        for (const auto& [key, element] : v) {
            out.emplace(key, Codec<T>::encode(element));
        }
        return out;
    }
    static std::map<std::string, T> decode(const boost::json::value& v) {
        const auto* object = v.if_object();
        if (object == nullptr) {
            throw wrong_kind("an object", v);
        }
        std::map<std::string, T> out;
        for (const auto& entry : *object) {
            try {
                out.emplace(std::string(entry.key()), Codec<T>::decode(entry.value()));
            } catch (const ValueError& e) {
                throw ValueError("entry \"" + std::string(entry.key()) + "\": " + e.what());
            }
        }
        return out;
    }
};

/// Whether `T` is a std::optional; optional members may be absent.
template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;

/// The PayloadError message for a member: `UserCreated: key "email": <what>`.
inline std::string member_error(std::string_view type, std::string_view key,
                                std::string_view what) {
    std::string message(type);
    message += ": key \"";
    message += key;
    message += "\"";
    message += what.empty() ? "" : ": ";
    message += what;
    return message;
}

/// The described public data members of E.
template <class E>
using Members = boost::describe::describe_members<E, boost::describe::mod_public>;

}  // namespace pm::eventstore::detail

namespace pm::eventstore {

template <EventPayload E>
boost::json::object to_json(const E& event) {
    boost::json::object out;
    out.reserve(boost::mp11::mp_size<detail::Members<E>>::value);
    boost::mp11::mp_for_each<detail::Members<E>>([&](auto member) {
        const auto& field = event.*member.pointer;
        using M = std::remove_cvref_t<decltype(field)>;
        if constexpr (detail::kIsOptional<M>) {
            // Absent, not null: absent is what "unchanged" means to the projectors.
            if (field.has_value()) {
                out.emplace(member.name, detail::Codec<typename M::value_type>::encode(*field));
            }
        } else {
            out.emplace(member.name, detail::Codec<M>::encode(field));
        }
    });
    return out;
}

template <EventPayload E>
E from_json(const boost::json::object& data) {
    E event{};
    // Keys not described are skipped, so payloads written by newer code still decode.
    boost::mp11::mp_for_each<detail::Members<E>>([&](auto member) {
        auto& field = event.*member.pointer;
        using M = std::remove_cvref_t<decltype(field)>;
        const boost::json::value* value = data.if_contains(member.name);
        try {
            if constexpr (detail::kIsOptional<M>) {
                if (value == nullptr || value->is_null()) {
                    field.reset();
                } else {
                    field = detail::Codec<typename M::value_type>::decode(*value);
                }
            } else {
                if (value == nullptr) {
                    throw PayloadError(detail::member_error(E::kType, member.name, "") +
                                       " is missing");
                }
                field = detail::Codec<M>::decode(*value);
            }
        } catch (const detail::ValueError& e) {
            throw PayloadError(detail::member_error(E::kType, member.name, e.what()));
        }
    });
    return event;
}

}  // namespace pm::eventstore
