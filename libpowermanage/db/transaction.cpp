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
    conn_.exec("BEGIN");
    try {
        // Transaction-local settings, so they end with the transaction and a pooled connection
        // never carries one request's identity into the next.
        conn_.exec(
            "SELECT set_config('pm.actor_type', $1, true), set_config('pm.actor_id', $2, true)",
            {std::string(to_string(actor.type)), actor.id});
    } catch (...) {
        if (conn_.is_open()) {
            conn_.exec("ROLLBACK");
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
