#pragma once
/// @file
/// @brief The AgentMessages a simulated agent sends, each with a fresh ULID as id.

#include <chrono>
#include <cstdint>
#include <string>

#include "pm/v1/agent.pb.h"

namespace pm::agentsim {

/// AgentMessage{hello{device_id, agent_version, hostname, auth_token = ""}}.
pm::v1::AgentMessage make_hello(const std::string& device_id, const std::string& agent_version,
                                const std::string& hostname);
/// AgentMessage{heartbeat{uptime, plausible cpu/memory/disk percentages}}.
pm::v1::AgentMessage make_heartbeat(std::chrono::seconds uptime);
/// AgentMessage{output_chunk{execution_id, stdout, data, sequence}}.
pm::v1::AgentMessage make_output_chunk(const std::string& execution_id, std::string data,
                                       std::int64_t sequence);
/// What a simulated execution ended with.
struct Outcome {
    bool success = true;                    ///< SUCCESS, else FAILED
    std::string error;                      ///< ActionResult.error when failed
    std::chrono::milliseconds duration{0};  ///< how long it "ran"
    bool omit_completed_at = false;         ///< leave completed_at unset
};
/// AgentMessage{action_result{action_id, status, error, output, completed_at, duration_ms}}.
pm::v1::AgentMessage make_result(const std::string& action_id, const Outcome& outcome);
/// AgentMessage{query_result{query_id, success = false}}: the simulator has no osquery, like
/// an agent on a host without it.
pm::v1::AgentMessage make_query_refusal(const std::string& query_id);

}  // namespace pm::agentsim
