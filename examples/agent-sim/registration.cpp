#include "registration.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <powermanage/ca/request.hpp>

#include "pm/v1/control.pb.h"

namespace pm::agentsim {
namespace {

rpc::ClientOptions control_client_options(const FleetOptions& options) {
    rpc::ClientOptions client;
    client.base_url = options.control_url;
    client.http2 = true;
    client.ca_file = options.control_ca_file;
    client.timeout = std::chrono::seconds(30);
    return client;
}

bool retryable(rpc::Code code) {
    // aborted: a concurrent change (e.g. many agents using one limited token); the server
    // says to retry.
    return code == rpc::Code::unavailable || code == rpc::Code::resource_exhausted ||
           code == rpc::Code::deadline_exceeded || code == rpc::Code::aborted;
}

}  // namespace

Registrar::Registrar(const AgentStrand& strand, const FleetOptions& options)
    : strand_(strand), options_(options), client_(strand, control_client_options(options)) {}

boost::asio::awaitable<RegistrationOutcome> Registrar::register_agent(std::string hostname) {
    RegistrationOutcome outcome;
    auto request_key = ca::make_agent_request(hostname);
    pm::v1::RegisterRequest request;
    request.set_token(options_.registration_token);
    request.set_hostname(hostname);
    request.set_agent_version(options_.agent_version);
    request.set_csr(request_key.csr_pem);
    Backoff backoff(options_.backoff_min, options_.backoff_max);
    const int attempts = std::max(1, options_.registration_attempts);
    for (int attempt = 1;; ++attempt) {
        pm::v1::RegisterResponse response;
        const auto status =
            co_await client_.unary("pm.v1.ControlService.Register", request, response);
        if (status.ok()) {
            if (response.device_id().value().empty() || response.certificate().empty() ||
                response.ca_cert().empty()) {
                outcome.error = "Register answered without device id, certificate or CA";
                co_return outcome;
            }
            outcome.identity.device_id = response.device_id().value();
            outcome.identity.hostname = hostname;
            outcome.identity.gateway_url = response.gateway_url();
            outcome.files.private_key_pem = std::move(request_key.private_key_pem);
            outcome.files.certificate_pem = response.certificate();
            outcome.files.ca_pem = response.ca_cert();
            co_return outcome;
        }
        if (!retryable(status.code) || attempt >= attempts) {
            outcome.error = std::string(rpc::code_name(status.code)) + ": " + status.message;
            co_return outcome;
        }
        boost::asio::steady_timer timer(strand_,
                                        backoff.next(options_.backoff_min, options_.backoff_max));
        co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
}

}  // namespace pm::agentsim
