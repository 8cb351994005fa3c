#pragma once
/// @file
/// @brief One agent's life: connect the stream with its certificate, Hello, wait for
/// Welcome, heartbeat, answer dispatches, and reconnect with backoff when the stream ends,
/// until it is stopped.

#include <boost/asio/awaitable.hpp>

#include "fleet_context.hpp"
#include "identity_store.hpp"

namespace pm::agentsim {

/// Runs `agent` until stop_agent(); on the agent's strand. `files` names its key files.
boost::asio::awaitable<void> run_agent(FleetContext& fleet, const IdentityStore& files,
                                       Agent& agent);
/// Makes run_agent() return soon: closes the stream, cancels the waits. On the agent's strand.
void stop_agent(Agent& agent);

}  // namespace pm::agentsim
