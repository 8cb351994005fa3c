#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include <boost/mp11/algorithm.hpp>

#include <powermanage/eventstore/events.hpp>

namespace pm::eventstore {

namespace {

/// One catalogue entry: an event type and its stream type.
struct Entry {
    std::string_view type;
    std::string_view stream;
};

/// The catalogue entries of a type list, in its order.
template <class... E>
constexpr std::array<Entry, sizeof...(E)> entries_of(boost::mp11::mp_list<E...> /*events*/) {
    return {Entry{E::kType, E::kStream}...};
}

constexpr auto kEntries = entries_of(AllEvents{});

constexpr auto kEventTypes = [] {
    std::array<std::string_view, kEntries.size()> types{};
    std::ranges::transform(kEntries, types.begin(), &Entry::type);
    return types;
}();

constexpr std::array<std::string_view, 10> kStreamTypes = {
    kUserStream,      kTokenStream,        kDeviceStream,      kActionStream,
    kActionSetStream, kDefinitionStream,   kDeviceGroupStream, kAssignmentStream,
    kExecutionStream, kUserSelectionStream};

// Readers dispatch on the type name and projectors on the stream type, so a duplicate name or
// a stream outside the catalogue would be a silent misrouting; refuse to compile instead.
constexpr bool all_unique() {
    for (std::size_t i = 0; i < kEntries.size(); ++i) {
        for (std::size_t j = i + 1; j < kEntries.size(); ++j) {
            if (kEntries[i].type == kEntries[j].type) {
                return false;
            }
        }
    }
    return true;
}
static_assert(all_unique(), "two payload types share a kType");
static_assert(std::ranges::all_of(kEntries,
                                  [](const Entry& e) {
                                      return std::ranges::find(kStreamTypes, e.stream) !=
                                             kStreamTypes.end();
                                  }),
              "a payload's kStream is not a known stream type");

}  // namespace

std::span<const std::string_view> known_stream_types() {
    return kStreamTypes;
}

std::span<const std::string_view> known_event_types() {
    return kEventTypes;
}

bool is_known_event_type(std::string_view type) {
    return !stream_of_event_type(type).empty();
}

std::string_view stream_of_event_type(std::string_view type) {
    // A linear scan: the catalogue is small, and this runs per decoded event, not per byte.
    const auto it = std::ranges::find(kEntries, type, &Entry::type);
    return it == kEntries.end() ? std::string_view{} : it->stream;
}

}  // namespace pm::eventstore
