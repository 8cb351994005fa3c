#include "events.hpp"

#include <chrono>
#include <memory>

#include <boost/json.hpp>

namespace pm::capi {

EventText text_of(const eventstore::RecordedEvent& event) {
    return {event.event_id,
            event.stream.type,
            event.stream.id,
            event.type,
            boost::json::serialize(event.data),
            boost::json::serialize(event.metadata),
            event.actor_type,
            event.actor_id};
}

void fill_view(pm_recorded_event& view, const EventText& text,
               const eventstore::RecordedEvent& event) {
    view.position = from_position(event.position);
    view.event_id = text.event_id.c_str();
    view.stream_type = text.stream_type.c_str();
    view.stream_id = text.stream_id.c_str();
    view.version = event.version;
    view.type = text.type.c_str();
    view.data_json = text.data_json.c_str();
    view.metadata_json = text.metadata_json.c_str();
    view.actor_type = text.actor_type.c_str();
    view.actor_id = text.actor_id.c_str();
    view.occurred_at_us =
        std::chrono::duration_cast<std::chrono::microseconds>(event.occurred_at.time_since_epoch())
            .count();
}

OwnedEventList* make_list(const std::vector<eventstore::RecordedEvent>& events,
                          eventstore::Position next) {
    auto list = std::make_unique<OwnedEventList>();
    // All texts first: the views hold c_str() pointers, which a later reallocation of
    // `texts` would move (short strings live inside the std::string itself).
    list->texts.reserve(events.size());
    for (const auto& e : events) {
        list->texts.push_back(text_of(e));
    }
    list->views.resize(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        fill_view(list->views[i], list->texts[i], events[i]);
    }
    list->events = list->views.empty() ? nullptr : list->views.data();
    list->count = list->views.size();
    list->next = from_position(next);
    return list.release();
}

}  // namespace pm::capi

extern "C" void pm_event_list_free(pm_event_list* list) {
    // Every pm_event_list this library hands out is an OwnedEventList.
    delete static_cast<pm::capi::OwnedEventList*>(list);
}

extern "C" void pm_event_free(pm_recorded_event* event) {
    // Every single pm_recorded_event this library hands out is an OwnedEvent.
    delete static_cast<pm::capi::OwnedEvent*>(event);
}
