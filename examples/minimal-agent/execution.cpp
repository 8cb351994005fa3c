// What the agent does with a dispatched action: check its signature, run it, report it.
#include <algorithm>
#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include "agent.hpp"
#include "messages.hpp"
#include "shell_runner.hpp"

namespace pm::agent {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kRememberedExecutions = 1000;

// How much of `bytes` ends on a character boundary: a UTF-8 sequence begun in the last three
// bytes but not finished there is left out (its rest is in the next read).
std::size_t utf8_whole_prefix(const std::string& bytes) {
    const std::size_t size = bytes.size();
    for (std::size_t back = 1; back <= std::min<std::size_t>(3, size); ++back) {
        const auto byte = static_cast<unsigned char>(bytes[size - back]);
        if ((byte & 0xC0) == 0x80) {
            continue;  // a continuation byte: its lead is further back
        }
        const std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
        return length > back ? size - back : size;
    }
    return size;
}

}  // namespace

void Agent::on_action(pm::v1::Action action) {
    const std::string id = action.id().value();
    if (id.empty()) {
        note("ignoring an action without an id");
        return;
    }
    if (const auto known = executions_.find(id); known != executions_.end()) {
        // Sent again (the gateway re-sends what it has no result for after a reconnect): never
        // run it twice; repeat the result if there is one.
        if (known->second) {
            send(*known->second);
        }
        return;
    }
    executions_.emplace(id, std::nullopt);
    asio::co_spawn(io_, execute(std::move(action)), asio::detached);
}

void Agent::finish(const std::string& execution_id, pm::v1::AgentMessage result) {
    executions_[execution_id] = result;
    // Ids are ULIDs, which sort by time: the oldest finished ones are forgotten first.
    for (auto it = executions_.begin();
         executions_.size() > kRememberedExecutions && it != executions_.end();) {
        it = it->second ? executions_.erase(it) : std::next(it);
    }
    send(std::move(result));
}

asio::awaitable<void> Agent::execute(pm::v1::Action action) {
    const auto started = Clock::now();
    const std::string id = action.id().value();
    // The signature first: nothing of an action is used before it is known to be the CA's.
    if (!check_->verify(id, static_cast<int>(action.type()), action.params_canonical(),
                        action.signature())) {
        note("refused " + id + ": its signature does not verify");
        finish(id, make_result(id, pm::v1::EXECUTION_STATUS_FAILED,
                               "refused: the action's signature does not verify against the "
                               "fleet CA certificate (unsigned or tampered); nothing was run",
                               started));
        co_return;
    }
    if (action.type() != pm::v1::ACTION_TYPE_SHELL) {
        finish(id, make_result(id, pm::v1::EXECUTION_STATUS_FAILED,
                               "action type " + pm::v1::ActionType_Name(action.type()) +
                                   " is not supported by this example agent (shell only)",
                               started));
        co_return;
    }
    // Run what was signed: the params come from params_canonical, not from the unsigned copy.
    pm::v1::ShellParams params;
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(action.params_canonical(), &params);
    std::string problem;
    if (!parsed.ok()) {
        problem = "the signed params are not shell params: " + std::string(parsed.message());
    } else if (params.script().empty()) {
        problem = "the shell action has no script";
    } else if (params.run_as_root() && ::geteuid() != 0) {
        problem = "the action asks to run as root, but this agent does not run as root";
    }
    if (!problem.empty()) {
        finish(id, make_result(id, pm::v1::EXECUTION_STATUS_FAILED, problem, started));
        co_return;
    }
    ShellCommand command;
    if (!params.interpreter().empty()) {
        command.interpreter = params.interpreter();
    }
    command.script = params.script();
    command.working_directory = params.working_directory();
    for (const auto& [name, value] : params.environment()) {
        command.environment[name] = value;
    }
    const std::chrono::seconds timeout = action.timeout_seconds() > 0
                                             ? std::chrono::seconds(action.timeout_seconds())
                                             : options_.default_action_timeout;
    send(make_result(id, pm::v1::EXECUTION_STATUS_RUNNING, "", started));
    note("running " + id);
    std::int64_t sequence = 0;
    std::size_t streamed = 0;
    // Per stream, the bytes of a UTF-8 character cut by a read, kept for the next piece.
    std::array<std::string, 2> carry;
    const auto stream_out = [&](OutputStream which, std::string data) {
        auto chunk = message_with_id();
        auto* out = chunk.mutable_output_chunk();
        out->set_execution_id(id);
        out->set_stream(which == OutputStream::out ? pm::v1::OUTPUT_STREAM_TYPE_STDOUT
                                                   : pm::v1::OUTPUT_STREAM_TYPE_STDERR);
        // OutputChunk.data is bytes on the wire, but the gateway records it as text and drops
        // the stream on bytes that are not UTF-8: send UTF-8 only.
        out->set_data(as_utf8(data));
        out->set_sequence(sequence++);
        send(std::move(chunk));
    };
    int child = -1;
    const auto outcome = co_await run_shell(
        command, timeout, options_.output_limit,
        [&](OutputStream which, std::string_view data) {
            if (streamed >= 2 * options_.output_limit) {
                return;  // the result carries the captured part; the live view stops here
            }
            streamed += data.size();
            auto& pending = carry[which == OutputStream::out ? 0 : 1];
            pending.append(data);
            const auto whole = utf8_whole_prefix(pending);
            if (whole > 0) {
                stream_out(which, pending.substr(0, whole));
                pending.erase(0, whole);
            }
        },
        [&](int pid) {
            child = pid;
            running_pids_.insert(pid);
        });
    for (const auto which : {OutputStream::out, OutputStream::err}) {
        if (auto& rest = carry[which == OutputStream::out ? 0 : 1]; !rest.empty()) {
            stream_out(which, rest);
        }
    }
    running_pids_.erase(child);
    auto status = pm::v1::EXECUTION_STATUS_SUCCESS;
    std::string error;
    if (!outcome.started) {
        status = pm::v1::EXECUTION_STATUS_FAILED;
        error = outcome.error;
    } else if (outcome.timed_out) {
        status = pm::v1::EXECUTION_STATUS_TIMEOUT;
        error = "killed after " + std::to_string(timeout.count()) + " s (the action's timeout)";
    } else if (stopping_) {
        status = pm::v1::EXECUTION_STATUS_FAILED;
        error = "killed: the agent was stopped while the script ran";
    } else if (outcome.exit_code != 0) {
        status = pm::v1::EXECUTION_STATUS_FAILED;
        error = "the script exited with status " + std::to_string(outcome.exit_code);
    }
    auto result = make_result(id, status, error, started);
    auto* output = result.mutable_action_result()->mutable_output();
    output->set_exit_code(outcome.exit_code);
    output->set_stdout(as_utf8(outcome.stdout_text));
    output->set_stderr(as_utf8(outcome.stderr_text));
    note("finished " + id + ": " + pm::v1::ExecutionStatus_Name(status) +
         (error.empty() ? "" : " (" + error + ")"));
    finish(id, std::move(result));
}

}  // namespace pm::agent
