#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <powermanage/db/migrations.hpp>

#include "boundary.hpp"
#include "events.hpp"
#include "store_handle.hpp"

namespace {

using pm::capi::Failure;
using pm::capi::require;

constexpr std::size_t kDefaultPoolSize = 4;
constexpr auto kOpenWait = std::chrono::seconds(10);

boost::json::object parse_object(const char* json, const char* what, std::size_t index) {
    if (json == nullptr) {
        return {};
    }
    boost::system::error_code ec;
    auto value = boost::json::parse(json, ec);
    if (ec || !value.is_object()) {
        throw Failure(PM_ERR_INVALID_ARGUMENT, "events[" + std::to_string(index) + "]." + what +
                                                   (ec ? " is not valid JSON (" + ec.message() + ")"
                                                       : std::string(" must be a JSON object")));
    }
    return std::move(value.as_object());
}

pm::db::Actor actor_of(const pm_actor* actor) {
    if (actor == nullptr) {
        return pm::db::Actor::system("c-api");
    }
    require(actor->id, "actor->id");
    switch (actor->type) {
        case PM_ACTOR_SYSTEM:
            return pm::db::Actor::system(actor->id);
        case PM_ACTOR_ADMIN:
            return pm::db::Actor::admin(actor->id);
        case PM_ACTOR_USER:
            return pm::db::Actor::user(actor->id);
        case PM_ACTOR_DEVICE:
            return pm::db::Actor::device(actor->id);
    }
    throw Failure(
        PM_ERR_INVALID_ARGUMENT,
        "actor->type " + std::to_string(static_cast<int>(actor->type)) + " is not a pm_actor_type");
}

pm::eventstore::ExpectedVersion expected_of(std::int64_t expected) {
    if (expected == PM_EXPECT_ANY) {
        return pm::eventstore::ExpectedVersion::any();
    }
    if (expected < PM_EXPECT_ANY || expected > INT32_MAX) {
        throw Failure(PM_ERR_INVALID_ARGUMENT,
                      "expected_version " + std::to_string(expected) +
                          " is none of PM_EXPECT_ANY, PM_EXPECT_NO_STREAM or a stream version");
    }
    return pm::eventstore::ExpectedVersion::exactly(static_cast<std::int32_t>(expected));
}

pm::eventstore::StreamId stream_of(const char* type, const char* id) {
    require(type, "stream_type");
    require(id, "stream_id");
    return {type, id};
}

}  // namespace

extern "C" {

pm_status pm_database_migrate(const char* url, pm_error** error) {
    return pm::capi::guarded("pm_database_migrate", error, [&] {
        require(url, "url");
        pm::db::Connection conn(url);
        pm::db::migrate(conn);
    });
}

pm_status pm_event_store_open(const char* url, size_t pool_size, pm_event_store** out,
                              pm_error** error) {
    return pm::capi::guarded("pm_event_store_open", error, [&] {
        require(url, "url");
        require(out, "out");
        auto handle = std::make_unique<pm_event_store>();
        handle->pool = std::make_unique<pm::db::ConnectionPool>(
            url, pool_size == 0 ? kDefaultPoolSize : pool_size);
        {
            // The appender connects lazily; fail here, where the URL was given, instead.
            auto conn = handle->pool->acquire(kOpenWait);
            if (pm::db::schema_version(*conn) == 0) {
                throw Failure(PM_ERR_SCHEMA,
                              "the database has no libpowermanage schema; run "
                              "pm_database_migrate on it first");
            }
        }
        handle->store = std::make_unique<pm::eventstore::EventStore>(*handle->pool);
        *out = handle.release();
    });
}

void pm_event_store_close(pm_event_store* store) {
    if (store == nullptr) {
        return;
    }
    try {
        std::unique_lock guard(store->lock);
        // The store's destructor finishes the queued appends.
        store->store.reset();
        store->pool.reset();
    } catch (...) {
        // Only locking can throw (a system error); a void C function has nobody to tell.
    }
}

void pm_event_store_free(pm_event_store* store) {
    pm_event_store_close(store);
    delete store;
}

pm_status pm_event_store_append(pm_event_store* store, const char* stream_type,
                                const char* stream_id, int64_t expected_version,
                                const pm_new_event* events, size_t count, const pm_actor* actor,
                                pm_append_result* out, pm_error** error) {
    return pm::capi::guarded("pm_event_store_append", error, [&] {
        auto stream = stream_of(stream_type, stream_id);
        const auto expected = expected_of(expected_version);
        if (count != 0) {
            require(events, "events");
        }
        std::vector<pm::eventstore::NewEvent> batch;
        batch.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            if (events[i].type == nullptr) {
                throw Failure(PM_ERR_INVALID_ARGUMENT,
                              "events[" + std::to_string(i) + "].type must not be NULL");
            }
            batch.push_back({events[i].type,
                             parse_object(events[i].data_json, "data_json", i),
                             parse_object(events[i].metadata_json, "metadata_json", i),
                             {}});
        }
        const auto who = actor_of(actor);
        pm::capi::with_store(store, [&](pm::eventstore::EventStore& s) {
            const auto result = s.append(stream, expected, std::move(batch), who);
            if (out != nullptr) {
                *out = {result.first_version, result.last_version, result.last_position};
            }
        });
    });
}

pm_status pm_event_store_stream_version(pm_event_store* store, const char* stream_type,
                                        const char* stream_id, int32_t* out, pm_error** error) {
    return pm::capi::guarded("pm_event_store_stream_version", error, [&] {
        auto stream = stream_of(stream_type, stream_id);
        require(out, "out");
        pm::capi::with_store(
            store, [&](pm::eventstore::EventStore& s) { *out = s.stream_version(stream); });
    });
}

pm_status pm_event_store_read_stream(pm_event_store* store, const char* stream_type,
                                     const char* stream_id, int32_t from_version,
                                     pm_event_list** out, pm_error** error) {
    return pm::capi::guarded("pm_event_store_read_stream", error, [&] {
        auto stream = stream_of(stream_type, stream_id);
        require(out, "out");
        pm::capi::with_store(store, [&](pm::eventstore::EventStore& s) {
            *out = pm::capi::make_list(s.read_stream(stream, from_version), {});
        });
    });
}

pm_status pm_event_store_read_all(pm_event_store* store, pm_position after, size_t limit,
                                  pm_event_list** out, pm_error** error) {
    return pm::capi::guarded("pm_event_store_read_all", error, [&] {
        require(out, "out");
        if (limit == 0) {
            throw Failure(PM_ERR_INVALID_ARGUMENT, "limit must be at least 1");
        }
        pm::capi::with_store(store, [&](pm::eventstore::EventStore& s) {
            auto result = s.read_all(pm::capi::to_position(after), limit);
            *out = pm::capi::make_list(result.events, result.next);
        });
    });
}

}  // extern "C"
