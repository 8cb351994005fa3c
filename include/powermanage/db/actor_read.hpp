#pragma once
/// @file
/// @brief Reads that act for an actor (row-level security) in one round trip: the actor's
/// settings and the statement travel together, without BEGIN and COMMIT.
#include <string>
#include <vector>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>

namespace pm::db {

/// One read statement and the actor whose view it gets.
struct ActorStatement {
    Actor actor;                ///< sets pm.actor_type and pm.actor_id for the statement
    std::string sql;            ///< prepared once per pooled connection
    std::vector<Param> params;  ///< its `$1..$n`
};

/// Runs `statements` in order on one pooled connection in ONE round trip (one implicit
/// transaction, Connection::exec_pipeline): before each, the settings of its actor, as a
/// Transaction sets them, and transaction-local, so they end with the last statement and the
/// pooled connection keeps nobody's identity. For reads: a statement that writes would
/// commit. Returns one Result per statement; throws DatabaseError for the first that failed.
std::vector<Result> read_as(ConnectionPool& pool, const std::vector<ActorStatement>& statements);

/// read_as() of a single statement.
Result read_as(ConnectionPool& pool, const Actor& actor, const std::string& sql,
               const std::vector<Param>& params);

}  // namespace pm::db
