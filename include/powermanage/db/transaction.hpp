#pragma once

/// @file
/// @brief Transactions, and the actor whose row-level-security view a transaction gets.

#include <string>
#include <string_view>
#include <type_traits>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/pool.hpp>

namespace pm::db {

/// Who a transaction acts for. Row-level security on the projections reads it from the
/// transaction-local settings `pm.actor_type` and `pm.actor_id`; with neither set a
/// transaction sees no projection rows at all (fail closed).
struct Actor {
    /// The kinds of actor the policies know.
    enum class Type { system, admin, user, device };

    Type type = Type::system;  ///< the kind
    std::string id;            ///< user or device ULID; a label such as "registration" for system

    /// The server itself (migrations, projectors, background work): sees everything.
    static Actor system(std::string label = "server") { return {Type::system, std::move(label)}; }
    /// An administrator: sees everything.
    static Actor admin(std::string user_id) { return {Type::admin, std::move(user_id)}; }
    /// A console user: sees itself, its devices and tokens.
    static Actor user(std::string user_id) { return {Type::user, std::move(user_id)}; }
    /// An agent: sees its own device.
    static Actor device(std::string device_id) { return {Type::device, std::move(device_id)}; }
};

/// The name the database uses for an actor type ("system", "admin", "user", "device").
std::string_view to_string(Actor::Type type);

/// A transaction on one connection: BEGIN on construction, ROLLBACK on destruction unless
/// commit() was called. Not thread-safe.
class Transaction {
public:
    /// Begins a transaction acting for `actor`.
    Transaction(Connection& conn, const Actor& actor);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    /// Runs SQL in the transaction.
    Result exec(const std::string& sql) { return conn_.exec(sql); }
    /// Runs one statement with parameters in the transaction.
    Result exec(const std::string& sql, const std::vector<Param>& params) {
        return conn_.exec(sql, params);
    }
    /// Runs one statement prepared once per connection (Connection::exec_prepared).
    Result exec_prepared(const std::string& sql, const std::vector<Param>& params) {
        return conn_.exec_prepared(sql, params);
    }
    /// Commits. Throws DatabaseError if the commit fails (the transaction is then gone).
    void commit();
    /// The connection.
    Connection& connection() { return conn_; }

private:
    Connection& conn_;
    bool open_ = true;
};

/// Runs `fn(Transaction&)` in a transaction on a pooled connection, acting for `actor`, and
/// commits if it returns normally. Returns what `fn` returns.
template <class Fn>
auto with_actor(ConnectionPool& pool, const Actor& actor, Fn&& fn) {
    auto lease = pool.acquire();
    Transaction tx(*lease, actor);
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, Transaction&>>) {
        fn(tx);
        tx.commit();
    } else {
        auto result = fn(tx);
        tx.commit();
        return result;
    }
}

}  // namespace pm::db
