#pragma once
// The results a libpq pipeline has answered so far, shared by the blocking pipeline
// (pipeline.cpp) and the one awaited on Asio (async_read.cpp).
#include <vector>

#include <libpq-fe.h>

namespace pm::db::detail {

/// The answers collected so far, cleared unless handed on.
struct PipelineAnswers {
    std::vector<PGresult*> results;  ///< in the order of the statements
    PipelineAnswers() = default;
    PipelineAnswers(const PipelineAnswers&) = delete;
    PipelineAnswers& operator=(const PipelineAnswers&) = delete;
    ~PipelineAnswers() {
        for (PGresult* result : results) {
            PQclear(result);
        }
    }
};

}  // namespace pm::db::detail
