#include "event_counts.hpp"

#include <array>
#include <chrono>
#include <map>
#include <tuple>

namespace custom_projection {

std::span<const pm::db::Migration> migrations() {
    // Unqualified names: db::migrate runs them with the set's schema first on search_path.
    // Never edit one once released; add a new one.
    static const std::array list = {
        pm::db::Migration{1, "event_counts",
                          "CREATE TABLE event_counts ("
                          " stream_type text NOT NULL,"
                          " event_type text NOT NULL,"
                          " hour timestamptz NOT NULL,"
                          " n bigint NOT NULL,"
                          " PRIMARY KEY (stream_type, event_type, hour))"},
        // The shape eventstore::ensure_checkpoint_table() would create; owned here so that
        // the program's database role needs no CREATE privilege at run time.
        pm::db::Migration{2, "checkpoints",
                          "CREATE TABLE checkpoints ("
                          " subscriber text PRIMARY KEY,"
                          " transaction_id bigint NOT NULL DEFAULT 0,"
                          " position bigint NOT NULL DEFAULT 0,"
                          " updated_at timestamptz NOT NULL DEFAULT now())"},
    };
    return list;
}

pm::db::MigrationSet migration_set(const std::string& schema) {
    return {"custom_projection", schema, migrations()};
}

EventCounter::EventCounter(const pm::db::Connection& conn, const std::string& schema)
    : upsert_("INSERT INTO " + conn.quote_identifier(schema) +
              ".event_counts AS c (stream_type, event_type, hour, n)"
              " VALUES ($1, $2, to_timestamp($3), $4)"
              " ON CONFLICT (stream_type, event_type, hour) DO UPDATE SET n = c.n + excluded.n") {}

void EventCounter::add(pm::db::Transaction& tx,
                       std::span<const pm::eventstore::RecordedEvent> events) const {
    // Summed first: a batch of 500 events of a few kinds is a few upserts.
    std::map<std::tuple<std::string, std::string, std::int64_t>, std::int64_t> sums;
    for (const auto& e : events) {
        const auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(e.occurred_at.time_since_epoch())
                .count();
        const auto hour = seconds - (((seconds % 3600) + 3600) % 3600);
        ++sums[{e.stream.type, e.type, hour}];
    }
    for (const auto& [key, n] : sums) {
        const auto& [stream_type, event_type, hour] = key;
        tx.exec_prepared(upsert_,
                         {stream_type, event_type, std::to_string(hour), std::to_string(n)});
    }
}

}  // namespace custom_projection
