#pragma once

// The pm_event_store handle, shared by the store's and the subscriptions' functions.

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>

#include "boundary.hpp"

struct pm_event_store {
    // Calls hold it shared; close() holds it exclusively, so it waits for the calls running
    // on other threads instead of pulling the store from under them.
    std::shared_mutex lock;
    std::unique_ptr<pm::db::ConnectionPool> pool;
    std::unique_ptr<pm::eventstore::EventStore> store;  // null once closed
};

namespace pm::capi {

/// Runs `body(store)` under the handle's shared lock; PM_ERR_CLOSED after close().
template <class Body>
void with_store(pm_event_store* handle, Body&& body) {
    require(handle, "store");
    std::shared_lock guard(handle->lock);
    if (!handle->store) {
        throw Failure(PM_ERR_CLOSED, "the event store was closed; open a new one");
    }
    body(*handle->store);
}

}  // namespace pm::capi
