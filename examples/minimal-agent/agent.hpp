#pragma once
/// @file
/// @brief The agent: enrols once, then holds one stream to the gateway (reconnecting with
/// jittered exponential backoff), and runs the shell actions it is sent after checking their
/// signature. Everything runs on one single-threaded io_context.
#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <powermanage/ca/action_verifier.hpp>

#include "enrolment.hpp"
#include "pm/v1/agent.pb.h"

namespace pm::agent {

/// How the agent behaves.
struct AgentOptions {
    std::filesystem::path state_dir;  ///< identity and keys
    EnrolmentRequest enrolment;       ///< used when state_dir holds no identity yet
    std::string gateway_url;          ///< overrides the one Register returned, if not empty
    std::chrono::milliseconds backoff_min{1000};       ///< first wait after a failed connection
    std::chrono::milliseconds backoff_max{60000};      ///< the longest wait
    std::chrono::milliseconds connect_timeout{10000};  ///< TCP + TLS + HTTP/2 set-up
    std::chrono::milliseconds write_timeout{10000};  ///< a send that takes longer drops the stream
    std::chrono::milliseconds heartbeat{30000};      ///< between heartbeats
    std::chrono::seconds default_action_timeout{300};  ///< when the action sets none
    std::size_t output_limit = 1 << 20;  ///< bytes of stdout and of stderr kept per run (1 MiB)
};

/// One agent process.
class Agent {
public:
    /// An agent on `io` (which must be run by one thread).
    Agent(boost::asio::io_context& io, AgentOptions options);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    /// Enrols if needed, then connects and reconnects until stop(). Returns the process exit
    /// code: 0 after stop(), 1 if enrolment was refused or the state folder is unusable.
    boost::asio::awaitable<int> run();
    /// Ends run(): closes the stream, kills running scripts, stops waiting.
    void stop();

private:
    struct Connection;

    boost::asio::awaitable<bool> ensure_identity();
    boost::asio::awaitable<bool> connect_once();
    boost::asio::awaitable<void> write_queue(std::shared_ptr<Connection> connection);
    boost::asio::awaitable<void> heartbeats(std::shared_ptr<Connection> connection);
    boost::asio::awaitable<void> execute(pm::v1::Action action);
    void on_action(pm::v1::Action action);
    void send(pm::v1::AgentMessage message);
    void finish(const std::string& execution_id, pm::v1::AgentMessage result);
    boost::asio::awaitable<bool> pause(std::chrono::milliseconds wait);

    boost::asio::io_context& io_;
    AgentOptions options_;
    std::optional<Identity> identity_;
    std::unique_ptr<ca::ActionVerifier> check_;
    std::shared_ptr<Connection> connection_;  // the live stream, or null
    boost::asio::steady_timer pause_timer_;
    bool stopping_ = false;
    std::chrono::milliseconds backoff_step_{0};
    // Executions by id: absent = never seen; running = no result yet; else the result, sent
    // again if the gateway re-sends the execution (it does after a reconnect until it has the
    // result), so that an action never runs twice.
    std::map<std::string, std::optional<pm::v1::AgentMessage>> executions_;
    std::deque<pm::v1::AgentMessage> unsent_results_;  // finished while disconnected
    std::set<int> running_pids_;
};

}  // namespace pm::agent
