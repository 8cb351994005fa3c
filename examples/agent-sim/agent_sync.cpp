#include "agent_sync.hpp"

#include <exception>
#include <string_view>

#include <powermanage/rpc/client.hpp>

#include "pm/v1/agent.pb.h"

namespace pm::agentsim {

namespace {
constexpr std::string_view kSyncMethod = "pm.v1.AgentService.SyncActions";
}  // namespace

boost::asio::awaitable<SyncOutcome> sync_agent(const FleetContext& fleet,
                                               const IdentityStore& files, const Agent& agent) {
    SyncOutcome outcome;
    rpc::ClientOptions options;
    options.base_url = agent.gateway_url;
    options.http2 = true;
    options.ca_file = files.ca_file(agent.index).string();
    options.certificate_file = files.cert_file(agent.index).string();
    options.private_key_file = files.key_file(agent.index).string();
    options.timeout = fleet.options.connect_timeout;
    std::unique_ptr<rpc::Client> client;
    try {
        client = std::make_unique<rpc::Client>(agent.strand, std::move(options));
    } catch (const std::exception& e) {
        outcome.error = std::string("cannot use the agent's key files: ") + e.what();
        co_return outcome;
    }
    pm::v1::SyncActionsRequest request;
    request.mutable_device_id()->set_value(agent.device_id);
    pm::v1::SyncActionsResponse response;
    const auto status = co_await client->unary(kSyncMethod, request, response);
    if (!status.ok()) {
        outcome.error = std::string(rpc::code_name(status.code)) + ": " + status.message;
        co_return outcome;
    }
    outcome.sync_interval_minutes = response.sync_interval_minutes();
    for (const auto& action : response.actions()) {
        // As the agent does: the signature over the received id, type and params_canonical;
        // a missing signature fails.
        outcome.verified.push_back(agent.verifier && agent.verifier->verify(action));
        outcome.actions.push_back(action);
    }
    co_return outcome;
}

}  // namespace pm::agentsim
