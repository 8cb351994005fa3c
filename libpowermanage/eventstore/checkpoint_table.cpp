#include <stdexcept>

#include <powermanage/eventstore/checkpoint_table.hpp>

namespace pm::eventstore {

std::string CheckpointTable::qualified(const db::Connection& conn) const {
    return conn.quote_identifier(schema) + "." + conn.quote_identifier(name);
}

void ensure_checkpoint_table(db::Connection& conn, const CheckpointTable& table) {
    if (table.schema.empty() || table.name.empty()) {
        throw std::invalid_argument(
            "a checkpoint table needs a schema and a name (CheckpointTable{schema, name})");
    }
    // CREATE SCHEMA needs the CREATE privilege on the database even when the schema exists,
    // so an integrator whose role may only use its schema must not be asked for it.
    // IF NOT EXISTS is no guard against a follower creating the same object at the same
    // moment: the loser fails on the catalog's unique index (23505), or as the schema, the
    // table or the table's row type already existing (42P06, 42P07, 42710), and finds the
    // object made.
    const auto tolerate_race = [&](const std::string& sql) {
        try {
            conn.exec(sql);
        } catch (const db::DatabaseError& e) {
            if (!e.is_unique_violation() && e.sqlstate() != "42P06" && e.sqlstate() != "42P07" &&
                e.sqlstate() != "42710") {
                throw;
            }
        }
    };
    if (conn.exec("SELECT to_regnamespace($1) IS NULL", {conn.quote_identifier(table.schema)})
            .boolean(0, 0)) {
        tolerate_race("CREATE SCHEMA IF NOT EXISTS " + conn.quote_identifier(table.schema));
    }
    // transaction_id and position together are an eventstore::Position; a bigint holds any
    // xid8 a cluster reaches (epoch << 32 | xid).
    tolerate_race("CREATE TABLE IF NOT EXISTS " + table.qualified(conn) +
                  " (subscriber text PRIMARY KEY,"
                  " transaction_id bigint NOT NULL DEFAULT 0,"
                  " position bigint NOT NULL DEFAULT 0,"
                  " updated_at timestamptz NOT NULL DEFAULT now())");
}

Position load_checkpoint(db::Connection& conn, const CheckpointTable& table,
                         std::string_view subscriber) {
    const auto r = conn.exec(
        "SELECT transaction_id, position FROM " + table.qualified(conn) + " WHERE subscriber = $1",
        {std::string(subscriber)});
    if (r.rows() == 0) {
        return Position::start();
    }
    return {static_cast<std::uint64_t>(r.int64(0, 0)), r.int64(0, 1)};
}

void save_checkpoint(db::Transaction& tx, const CheckpointTable& table, std::string_view subscriber,
                     Position position) {
    tx.exec("INSERT INTO " + table.qualified(tx.connection()) +
                " (subscriber, transaction_id, position) VALUES ($1, $2, $3)"
                " ON CONFLICT (subscriber) DO UPDATE SET transaction_id = excluded.transaction_id,"
                " position = excluded.position, updated_at = now()",
            {std::string(subscriber), std::to_string(position.transaction_id),
             std::to_string(position.position)});
}

}  // namespace pm::eventstore
