#include <powermanage/db/transaction.hpp>

namespace pm::db {

std::string_view to_string(Actor::Type type) {
    switch (type) {
        case Actor::Type::system:
            return "system";
        case Actor::Type::admin:
            return "admin";
        case Actor::Type::user:
            return "user";
        case Actor::Type::device:
            return "device";
    }
    return "system";
}

Transaction::Transaction(Connection& conn, const Actor& actor) : conn_(conn) {
    // Transaction-local settings, so they end with the transaction and a pooled connection
    // never carries one request's identity into the next. One round trip for both statements:
    // every request's transaction starts here.
    const std::string begin =
        "BEGIN; SELECT set_config('pm.actor_type', " + conn_.quote_literal(to_string(actor.type)) +
        ", true), set_config('pm.actor_id', " + conn_.quote_literal(actor.id) + ", true)";
    try {
        conn_.exec(begin);
    } catch (...) {
        if (conn_.is_open()) {
            try {
                conn_.exec("ROLLBACK");  // outside a transaction only a warning
            } catch (const DatabaseError&) {
                // The connection broke; the pool drops it.
            }
        }
        throw;
    }
}

Transaction::~Transaction() {
    if (open_ && conn_.is_open()) {
        try {
            conn_.exec("ROLLBACK");
        } catch (const DatabaseError&) {
            // The connection broke; the pool drops it and the server rolls back on its own.
        }
    }
}

void Transaction::commit() {
    open_ = false;
    conn_.exec("COMMIT");
}

}  // namespace pm::db
