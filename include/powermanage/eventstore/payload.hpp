#pragma once

/// @file
/// @brief JSON encoding of typed event payloads. Every payload type is a plain struct described
/// with BOOST_DESCRIBE_STRUCT and carrying `kType` (the event type name) and `kStream` (the
/// stream type it belongs to). Members map to `snake_case` keys of the same name;
/// `std::optional` members may be absent, every other member must be present.

#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/describe.hpp>
#include <boost/json.hpp>

namespace pm::eventstore {

/// A stored payload that does not fit its event type: a missing key or a wrong JSON type.
class PayloadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A payload type: described, named, and bound to a stream type.
template <class E>
concept EventPayload = boost::describe::has_describe_members<E>::value && requires {
    { E::kType } -> std::convertible_to<std::string_view>;
    { E::kStream } -> std::convertible_to<std::string_view>;
};

/// Encodes a payload as the JSON object stored in `events.data`.
template <EventPayload E>
boost::json::object to_json(const E& event);

/// Decodes `events.data` into a payload. Throws PayloadError naming the event type and key.
template <EventPayload E>
E from_json(const boost::json::object& data);

}  // namespace pm::eventstore

#include <powermanage/eventstore/detail/payload_impl.hpp>
