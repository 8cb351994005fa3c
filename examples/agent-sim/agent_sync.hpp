#pragma once
/// @file
/// @brief One SyncActions call as a Feb-2026 agent makes it (unary, on the gateway, with the
/// agent's certificate) and the agent's signature check of every action it gets back.

#include <boost/asio/awaitable.hpp>

#include "agent_fleet.hpp"
#include "fleet_context.hpp"
#include "identity_store.hpp"

namespace pm::agentsim {

/// Calls SyncActions for `agent` on a connection of its own (made on `agent.strand`) and
/// verifies each action against the agent's CA. Never throws for a failed call: the outcome
/// says what failed.
boost::asio::awaitable<SyncOutcome> sync_agent(const FleetContext& fleet,
                                               const IdentityStore& files, const Agent& agent);

}  // namespace pm::agentsim
