#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include <powermanage/eventstore/subscription.hpp>

#include "boundary.hpp"
#include "events.hpp"
#include "store_handle.hpp"

// The library's reader thread (eventstore::Subscription) fills a bounded queue; the caller
// drains it with pm_subscription_next, so no user code runs on our thread.
struct pm_subscription {
    // Enough for a read batch and the next one in flight; past it the reader waits.
    static constexpr std::size_t kCapacity = 1000;

    std::mutex mutex;
    std::condition_variable has_events;
    std::condition_variable has_room;
    std::deque<pm::eventstore::RecordedEvent> queue;
    bool closed = false;
    pm_position taken{0, 0};

    std::mutex stop_mutex;  // one stop() at a time: joining a thread twice at once is UB
    std::unique_ptr<pm::eventstore::Subscription> reader;

    // Runs on the reader thread.
    void push(const pm::eventstore::RecordedEvent& event) {
        std::unique_lock guard(mutex);
        has_room.wait(guard, [&] { return closed || queue.size() < kCapacity; });
        if (closed) {
            return;  // nobody will take it; stop() is on its way
        }
        queue.push_back(event);
        has_events.notify_one();
    }

    void close() {
        {
            std::lock_guard guard(mutex);
            closed = true;
        }
        has_events.notify_all();
        has_room.notify_all();
        std::lock_guard guard(stop_mutex);
        if (reader) {
            reader->stop();
        }
    }
};

extern "C" {

pm_status pm_event_store_subscribe(pm_event_store* store, pm_position after, pm_subscription** out,
                                   pm_error** error) {
    return pm::capi::guarded("pm_event_store_subscribe", error, [&] {
        pm::capi::require(out, "out");
        auto subscription = std::make_unique<pm_subscription>();
        subscription->taken = after;
        auto* target = subscription.get();
        pm::capi::with_store(store, [&](pm::eventstore::EventStore& s) {
            subscription->reader =
                s.subscribe(pm::capi::to_position(after),
                            [target](const pm::eventstore::RecordedEvent& e) { target->push(e); });
        });
        *out = subscription.release();
    });
}

pm_status pm_subscription_next(pm_subscription* subscription, int64_t timeout_ms,
                               pm_recorded_event** out, pm_error** error) {
    return pm::capi::guarded("pm_subscription_next", error, [&] {
        pm::capi::require(subscription, "subscription");
        pm::capi::require(out, "out");
        std::unique_lock guard(subscription->mutex);
        auto ready = [&] { return subscription->closed || !subscription->queue.empty(); };
        if (timeout_ms < 0) {
            subscription->has_events.wait(guard, ready);
        } else {
            subscription->has_events.wait_for(guard, std::chrono::milliseconds(timeout_ms), ready);
        }
        if (subscription->closed) {
            throw pm::capi::Failure(PM_ERR_CLOSED, "the subscription was closed");
        }
        if (subscription->queue.empty()) {
            // The reader only stops on its own when a handler throws; ours does not, but
            // say so rather than time out for ever if it ever does.
            std::string why = subscription->reader ? subscription->reader->error() : "";
            if (!why.empty()) {
                throw pm::capi::Failure(PM_ERR_SUBSCRIPTION, "the subscription stopped: " + why);
            }
            throw pm::capi::Failure(PM_ERR_TIMEOUT,
                                    "no event within " + std::to_string(timeout_ms) + " ms");
        }
        auto event = std::make_unique<pm::capi::OwnedEvent>();
        event->text = pm::capi::text_of(subscription->queue.front());
        pm::capi::fill_view(*event, event->text, subscription->queue.front());
        subscription->taken = event->position;
        subscription->queue.pop_front();
        subscription->has_room.notify_one();
        *out = event.release();
    });
}

pm_status pm_subscription_position(pm_subscription* subscription, pm_position* out,
                                   pm_error** error) {
    return pm::capi::guarded("pm_subscription_position", error, [&] {
        pm::capi::require(subscription, "subscription");
        pm::capi::require(out, "out");
        std::lock_guard guard(subscription->mutex);
        *out = subscription->taken;
    });
}

void pm_subscription_close(pm_subscription* subscription) {
    if (subscription == nullptr) {
        return;
    }
    try {
        subscription->close();
    } catch (...) {
        // Only locking can throw (a system error); a void C function has nobody to tell.
    }
}

void pm_subscription_free(pm_subscription* subscription) {
    if (subscription == nullptr) {
        return;
    }
    pm_subscription_close(subscription);
    delete subscription;
}

}  // extern "C"
