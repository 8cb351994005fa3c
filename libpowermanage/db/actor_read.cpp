#include <powermanage/db/actor_read.hpp>

namespace pm::db {
namespace {

// The same settings Transaction's BEGIN sets, as a prepared statement with parameters.
const std::string kActorSettings =
    "SELECT set_config('pm.actor_type', $1, true), set_config('pm.actor_id', $2, true)";

}  // namespace

std::vector<Result> read_as(ConnectionPool& pool, const std::vector<ActorStatement>& statements) {
    std::vector<std::vector<Param>> settings;
    settings.reserve(statements.size());
    std::vector<Connection::PreparedCall> calls;
    calls.reserve(2 * statements.size());
    for (const ActorStatement& statement : statements) {
        settings.push_back({std::string(to_string(statement.actor.type)), statement.actor.id});
        calls.push_back({&kActorSettings, &settings.back()});
        calls.push_back({&statement.sql, &statement.params});
    }
    auto lease = pool.acquire();
    std::vector<Result> answers = lease->exec_pipeline(calls);
    std::vector<Result> reads;
    reads.reserve(statements.size());
    for (std::size_t i = 1; i < answers.size(); i += 2) {
        reads.push_back(std::move(answers[i]));
    }
    return reads;
}

Result read_as(ConnectionPool& pool, const Actor& actor, const std::string& sql,
               const std::vector<Param>& params) {
    std::vector<ActorStatement> statements;
    statements.push_back({actor, sql, params});
    return std::move(read_as(pool, statements).front());
}

}  // namespace pm::db
