#include "agent_messages.hpp"

#include <random>

#include <powermanage/common/ulid.hpp>

#include "backoff.hpp"

namespace pm::agentsim {
namespace {

pm::v1::AgentMessage with_id() {
    pm::v1::AgentMessage message;
    message.set_id(new_ulid());
    return message;
}

float percent(float low, float high) {
    std::uniform_real_distribution<float> pick(low, high);
    return pick(random_engine());
}

}  // namespace

pm::v1::AgentMessage make_hello(const std::string& device_id, const std::string& agent_version,
                                const std::string& hostname) {
    auto message = with_id();
    auto* hello = message.mutable_hello();
    hello->mutable_device_id()->set_value(device_id);
    hello->set_agent_version(agent_version);
    hello->set_hostname(hostname);
    hello->set_auth_token("");
    return message;
}

pm::v1::AgentMessage make_heartbeat(std::chrono::seconds uptime) {
    auto message = with_id();
    auto* heartbeat = message.mutable_heartbeat();
    heartbeat->mutable_uptime()->set_seconds(uptime.count());
    heartbeat->set_cpu_percent(percent(1, 40));
    heartbeat->set_memory_percent(percent(20, 70));
    heartbeat->set_disk_percent(percent(30, 60));
    return message;
}

pm::v1::AgentMessage make_output_chunk(const std::string& execution_id, std::string data,
                                       std::int64_t sequence) {
    auto message = with_id();
    auto* chunk = message.mutable_output_chunk();
    chunk->set_execution_id(execution_id);
    chunk->set_stream(pm::v1::OUTPUT_STREAM_TYPE_STDOUT);
    chunk->set_data(std::move(data));
    chunk->set_sequence(sequence);
    return message;
}

pm::v1::AgentMessage make_result(const std::string& action_id, const Outcome& outcome) {
    auto message = with_id();
    auto* result = message.mutable_action_result();
    result->mutable_action_id()->set_value(action_id);
    result->set_status(outcome.success ? pm::v1::EXECUTION_STATUS_SUCCESS
                                       : pm::v1::EXECUTION_STATUS_FAILED);
    auto* output = result->mutable_output();
    if (outcome.success) {
        output->set_exit_code(0);
        output->set_stdout("simulated run of " + action_id + ": ok\n");
    } else {
        output->set_exit_code(1);
        output->set_stderr("simulated run of " + action_id + ": " + outcome.error + "\n");
        result->set_error(outcome.error);
    }
    result->set_duration_ms(outcome.duration.count());
    if (!outcome.omit_completed_at) {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
        auto* completed = result->mutable_completed_at();
        completed->set_seconds(seconds.count());
        completed->set_nanos(static_cast<std::int32_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count()));
    }
    return message;
}

pm::v1::AgentMessage make_query_refusal(const std::string& query_id) {
    auto message = with_id();
    auto* result = message.mutable_query_result();
    result->set_query_id(query_id);
    result->set_success(false);
    result->set_error("osquery is not installed on this (simulated) host");
    return message;
}

}  // namespace pm::agentsim
