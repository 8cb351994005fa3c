#pragma once
/// @file
/// @brief What every agent of a fleet shares (options, counters, hooks), and the small state
/// each agent keeps between connections.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "action_verifier.hpp"
#include "agent_fleet.hpp"
#include "backoff.hpp"

namespace pm::agentsim {

/// The fleet's counters, updated from every I/O thread.
struct Counters {
    std::atomic<std::size_t> registered{0};         ///< agents with an identity
    std::atomic<std::size_t> connected{0};          ///< see FleetStats::connected
    std::atomic<std::uint64_t> welcomes{0};         ///< see FleetStats
    std::atomic<std::uint64_t> dispatches{0};       ///< see FleetStats
    std::atomic<std::uint64_t> results_sent{0};     ///< see FleetStats
    std::atomic<std::uint64_t> chunks_sent{0};      ///< see FleetStats
    std::atomic<std::uint64_t> heartbeats_sent{0};  ///< see FleetStats
    std::atomic<std::uint64_t> errors_received{0};  ///< see FleetStats
    std::atomic<std::uint64_t> reconnects{0};       ///< see FleetStats
    std::atomic<std::uint64_t> failed_attempts{0};  ///< see FleetStats
};

/// Shared by all agents of a fleet; outlives them.
struct FleetContext {
    FleetOptions options;      ///< as given
    Counters counters;         ///< live counters
    DispatchHook on_dispatch;  ///< set before start()
    ErrorHook on_error;        ///< set before start()
    std::chrono::steady_clock::time_point started =
        std::chrono::steady_clock::now();  ///< uptime base
};

/// The executor every agent's work runs on.
using AgentStrand = boost::asio::strand<boost::asio::io_context::executor_type>;

class Session;

/// One simulated agent: its identity and what survives between its connections. Everything
/// but the identity is touched only on `strand`.
struct Agent {
    /// An agent without identity yet.
    Agent(boost::asio::io_context& io, std::uint32_t agent_index, const FleetOptions& options)
        : index(agent_index),
          strand(boost::asio::make_strand(io)),
          backoff(options.backoff_min, options.backoff_max),
          timer(strand) {}

    std::uint32_t index;        ///< position in the fleet (names its state folder)
    bool has_identity = false;  ///< registered (loaded or now)
    bool stopping = false;      ///< stop() was asked
    std::string device_id;      ///< certificate CN
    std::string hostname;       ///< as registered
    std::string gateway_url;    ///< where to connect (option override or Register's answer)
    std::shared_ptr<const ActionVerifier> verifier;  ///< shared by agents of one CA
    AgentStrand strand;                              ///< serializes this agent's work
    Backoff backoff;                                 ///< reconnect step
    boost::asio::steady_timer timer;                 ///< start spread and backoff waits
    std::shared_ptr<Session> session;                ///< the connection now, if any
};

}  // namespace pm::agentsim
