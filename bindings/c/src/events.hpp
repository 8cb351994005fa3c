#pragma once

// Recorded events in their C shape: the pm_recorded_event views point into strings owned by
// the same allocation, released by pm_event_free / pm_event_list_free.

#include <string>
#include <vector>

#include <powermanage/c/powermanage.h>
#include <powermanage/eventstore/types.hpp>

namespace pm::capi {

/// The strings one C event points into.
struct EventText {
    std::string event_id, stream_type, stream_id, type, data_json, metadata_json, actor_type,
        actor_id;
};

/// One event from pm_subscription_next: the C view first, its strings after.
struct OwnedEvent : pm_recorded_event {
    EventText text;
};

/// A list from a read: the C view first, its events and strings after.
struct OwnedEventList : pm_event_list {
    std::vector<EventText> texts;
    std::vector<pm_recorded_event> views;
};

/// The strings of `event` (JSON serialized).
EventText text_of(const eventstore::RecordedEvent& event);

/// Points `view` at `text` and copies the numbers of `event`.
void fill_view(pm_recorded_event& view, const EventText& text,
               const eventstore::RecordedEvent& event);

/// A list holding `events`, with `next` as its continuation.
OwnedEventList* make_list(const std::vector<eventstore::RecordedEvent>& events,
                          eventstore::Position next);

/// pm_position <-> eventstore::Position.
inline eventstore::Position to_position(pm_position p) {
    return {p.transaction_id, p.position};
}
/// See to_position.
inline pm_position from_position(eventstore::Position p) {
    return {p.transaction_id, p.position};
}

}  // namespace pm::capi
