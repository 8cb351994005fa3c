#pragma once

// Shared by the projector_*_test.cpp files: an event store on a private database whose
// occurred_at comes from a manual clock, typed appends, projection rows read as text, and
// re-projection of a stored event (the rebuild's path) to check the projection_version guard.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/clock.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/events.hpp>

#include "eventstore/store_fixture.hpp"

namespace pm::testing {

/// One row, every column as text; SQL NULL reads as "NULL".
using Row = std::vector<std::string>;

class ProjectorTest : public EventStoreTest {
protected:
    /// Where the manual clock starts: 2027-01-15T08:00:00Z.
    static constexpr Clock::TimePoint kT0{std::chrono::seconds(1800000000)};

    const Clock& clock() const override { return clock_; }

    // One writer: every append is its own transaction, in call order.
    eventstore::AppenderOptions appender_options() const override {
        eventstore::AppenderOptions options;
        options.writers = 1;
        return options;
    }

    void TearDown() override {
        conn_.reset();
        EventStoreTest::TearDown();
    }

    /// Appends `payload` to stream `id` of its stream type, whatever the stream's version;
    /// returns the event's global position.
    template <eventstore::CatalogueEvent E>
    std::int64_t append(const std::string& id, const E& payload,
                        const db::Actor& actor = db::Actor::system()) {
        return append_raw({std::string(E::kStream), id}, eventstore::NewEvent::of(payload), actor);
    }

    /// Appends an untyped event (for payloads the C++ types cannot spell, such as JSON null
    /// or a missing required key); returns its global position.
    std::int64_t append_raw(const eventstore::StreamId& stream, eventstore::NewEvent event,
                            const db::Actor& actor = db::Actor::system()) {
        std::vector<eventstore::NewEvent> events;
        events.push_back(std::move(event));
        return store()
            .append(stream, eventstore::ExpectedVersion::any(), std::move(events), actor)
            .last_position;
    }

    /// Appends each event to a stream of its type that has no creation event, and expects the
    /// append to fail with no_data_found (P0002) and write nothing (docs/events.md: "an update
    /// event for a stream that has no projection row fails the append").
    template <eventstore::CatalogueEvent... E>
    void expect_refused_without_creation(const E&... events) {
        (refused_without_creation(events), ...);
    }

    /// A connection to the test's database (a superuser's: row-level security does not apply).
    db::Connection& conn() {
        if (!conn_) {
            conn_ = std::make_unique<db::Connection>(database_url());
        }
        return *conn_;
    }

    /// Every row `sql` returns.
    std::vector<Row> rows(const std::string& sql, const std::vector<db::Param>& params = {}) {
        const auto result = conn().exec(sql, params);
        std::vector<Row> out;
        for (int r = 0; r < result.rows(); ++r) {
            Row row;
            for (int c = 0; c < result.columns(); ++c) {
                row.emplace_back(result.is_null(r, c) ? std::string("NULL")
                                                      : std::string(result.text(r, c)));
            }
            out.push_back(std::move(row));
        }
        return out;
    }

    /// The one row `sql` returns; an empty Row (and a test failure) when it returns another
    /// number of rows.
    Row row(const std::string& sql, const std::vector<db::Param>& params = {}) {
        auto all = rows(sql, params);
        if (all.size() != 1) {
            ADD_FAILURE() << "expected one row, got " << all.size() << " from: " << sql;
            return {};
        }
        return std::move(all.front());
    }

    /// The single value `sql` returns.
    std::string value(const std::string& sql, const std::vector<db::Param>& params = {}) {
        const auto r = row(sql, params);
        return r.size() == 1 ? r.front() : std::string("<no single value>");
    }

    /// SQL: a timestamptz column as whole microseconds since the Unix epoch.
    static std::string us(const std::string& column) {
        return "(extract(epoch FROM " + column + ") * 1000000)::bigint";
    }

    /// `t` as us() prints it.
    static std::string micros(Clock::TimePoint t) {
        return std::to_string(
            std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
    }

    static std::string text(std::int64_t n) { return std::to_string(n); }

    /// Projects the stored event at `position` again, as a rebuild would (pm_project_event as
    /// the system actor, in its own transaction); returns the event's type.
    std::string reproject(std::int64_t position) {
        const auto type =
            value("SELECT event_type FROM events WHERE position = $1", {text(position)});
        db::Transaction tx(conn(), db::Actor::system());
        tx.exec("SELECT pm_project_event(e) FROM events e WHERE e.position = $1", {text(position)});
        tx.commit();
        return type;
    }

    /// Projects every stored event again, in position order, one transaction each; returns
    /// how many.
    std::size_t reproject_all() {
        const auto positions = rows("SELECT position FROM events ORDER BY position");
        for (const auto& p : positions) {
            reproject(std::stoll(p.front()));
        }
        return positions.size();
    }

    /// Every row of every projection table as JSON text, one line per table, in a stable
    /// order: equal snapshots mean no projection row changed.
    std::string snapshot() {
        static const char* const kTables[] = {
            "users_projection",         "tokens_projection",
            "devices_projection",       "actions_projection",
            "executions_projection",    "execution_output_projection",
            "action_sets_projection",   "action_set_members_projection",
            "definitions_projection",   "definition_members_projection",
            "device_groups_projection", "device_group_members_projection",
            "assignments_projection",   "user_selections_projection",
        };
        std::string out;
        for (const char* table : kTables) {
            out += table;
            out += ": ";
            out += value(std::string("SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY "
                                     "to_jsonb(t)::text), '[]')::text FROM ") +
                         table + " t");
            out += '\n';
        }
        return out;
    }

    ManualClock clock_{kT0};

private:
    template <eventstore::CatalogueEvent E>
    void refused_without_creation(const E& event) {
        const auto id = new_ulid();
        try {
            append(id, event);
            ADD_FAILURE() << E::kType << " was projected onto a stream with no row";
        } catch (const db::DatabaseError& e) {
            EXPECT_EQ(e.sqlstate(), "P0002") << E::kType << ": " << e.what();
        }
        EXPECT_EQ(store().stream_version({std::string(E::kStream), id}), 0) << E::kType;
    }

    std::unique_ptr<db::Connection> conn_;
};

}  // namespace pm::testing
