// Connection::exec_pipeline: several prepared statements in one round trip.
#include <libpq-fe.h>

#include <powermanage/db/connection.hpp>

#include "db/pipeline_answers.hpp"

namespace pm::db {
namespace {

using Answers = detail::PipelineAnswers;

bool succeeded(const PGresult* result) {
    const auto status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::string connection_error(pg_conn* conn) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return message;
}

}  // namespace

std::vector<Result> Connection::exec_pipeline(const std::vector<PreparedCall>& calls) {
    // Preparing happens once per connection, outside the pipeline: its errors are the
    // statement's own and are reported as exec_prepared() reports them.
    std::vector<const std::string*> names;
    names.reserve(calls.size());
    for (const PreparedCall& call : calls) {
        names.push_back(&prepared_name(*call.sql));
    }
    if (PQenterPipelineMode(conn_) != 1) {
        throw DatabaseError(
            "cannot start a pipeline on the PostgreSQL connection: " + connection_error(conn_), "");
    }
    std::size_t sent = 0;
    std::vector<const char*> values;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        values.clear();
        for (const Param& param : *calls[i].params) {
            values.push_back(param ? param->c_str() : nullptr);
        }
        if (PQsendQueryPrepared(conn_, names[i]->c_str(), static_cast<int>(values.size()),
                                values.data(), nullptr, nullptr, 0) != 1) {
            break;
        }
        ++sent;
    }
    const bool synced = PQpipelineSync(conn_) == 1;
    Answers answers;
    bool broken = !synced;
    // Each statement answers with its result and a null; the Sync with PGRES_PIPELINE_SYNC.
    for (std::size_t i = 0; i < sent && !broken; ++i) {
        PGresult* result = PQgetResult(conn_);
        if (result == nullptr) {
            broken = true;
            break;
        }
        answers.results.push_back(result);
        while (PGresult* extra = PQgetResult(conn_)) {
            PQclear(extra);
        }
    }
    // Between the last answer and the Sync only end-of-statement nulls can come; more than a
    // few mean the protocol went astray, and the connection is treated as broken.
    int nulls = 0;
    while (!broken) {
        PGresult* result = PQgetResult(conn_);
        if (result == nullptr) {
            broken = PQstatus(conn_) != CONNECTION_OK || ++nulls > 2;
            continue;
        }
        const bool end = PQresultStatus(result) == PGRES_PIPELINE_SYNC;
        PQclear(result);
        if (end) {
            break;
        }
    }
    if (broken || PQexitPipelineMode(conn_) != 1 || sent != calls.size()) {
        throw DatabaseError("lost the connection to PostgreSQL: " + connection_error(conn_), "");
    }
    std::vector<Result> out;
    out.reserve(answers.results.size());
    for (std::size_t i = 0; i < answers.results.size(); ++i) {
        PGresult* result = answers.results[i];
        answers.results[i] = nullptr;
        if (!succeeded(result)) {
            check(result, *calls[i].sql);  // throws with the server's reason; owns `result`
        }
        out.emplace_back(result);
    }
    return out;
}

}  // namespace pm::db
