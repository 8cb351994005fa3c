#pragma once
/// @file
/// @brief The pieces of AgentMessages the agent builds, and its log line.
#include <chrono>
#include <string>

#include "pm/v1/agent.pb.h"

namespace pm::agent {

/// Writes one line of the agent's log to stderr.
void note(const std::string& line);
/// An AgentMessage with a fresh ULID as id, as every message must have.
pm::v1::AgentMessage message_with_id();
/// `bytes` with every byte that is not part of valid UTF-8 replaced by '?': proto string
/// fields (CommandOutput.stdout/stderr) must hold UTF-8, and script output may not.
std::string as_utf8(const std::string& bytes);
/// AgentMessage{action_result{action_id = execution_id, status, error, completed_at = now,
/// duration_ms since `started`}}; for RUNNING without completed_at and duration.
pm::v1::AgentMessage make_result(const std::string& execution_id, pm::v1::ExecutionStatus status,
                                 const std::string& error,
                                 std::chrono::steady_clock::time_point started);

}  // namespace pm::agent
