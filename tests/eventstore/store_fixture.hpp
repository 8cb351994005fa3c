#pragma once

// An event store on a private, fully migrated database.

#include <memory>

#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>

#include "support/migrated_database.hpp"

namespace pm::testing {

class EventStoreTest : public MigratedDatabaseTest {
protected:
    void SetUp() override {
        MigratedDatabaseTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        pool_ = std::make_unique<db::ConnectionPool>(database_url(), 8);
        store_ = std::make_unique<eventstore::EventStore>(*pool_, clock(), appender_options());
    }
    void TearDown() override {
        store_.reset();
        pool_.reset();
        MigratedDatabaseTest::TearDown();
    }

    virtual const Clock& clock() const { return Clock::system(); }
    virtual eventstore::AppenderOptions appender_options() const { return {}; }

    eventstore::EventStore& store() { return *store_; }
    db::ConnectionPool& pool() { return *pool_; }

    /// An untyped event on a stream type no projector knows.
    static eventstore::NewEvent event(const std::string& type, std::int64_t n = 0) {
        return {type, {{"n", n}}, {}, {}};
    }

private:
    std::unique_ptr<db::ConnectionPool> pool_;
    std::unique_ptr<eventstore::EventStore> store_;
};

}  // namespace pm::testing
