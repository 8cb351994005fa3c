#pragma once

// A control plane and a gateway on one private database, and test agents that register
// through the real Register RPC and hold real mTLS streams to the gateway.

#include <fstream>
#include <memory>
#include <string>

#include <powermanage/ca/authority.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/gateway/connection_manager.hpp>
#include <powermanage/gateway/gateway_host.hpp>
#include <powermanage/rpc/client.hpp>

#include "control_fixture.hpp"
#include "pm/v1/agent.pb.h"

namespace pm::testing {

/// One agent: its credentials and, once connected, its stream.
struct TestAgent {
    std::string device_id;
    std::string certificate_file;
    std::string key_file;
    std::unique_ptr<rpc::Client> client;
    std::unique_ptr<rpc::ClientStream> stream;
};

class GatewayTest : public ControlTest {
protected:
    void SetUp() override {
        ControlTest::SetUp();
        auto server = host_->authority().issue_server_certificate({"localhost"}, {"127.0.0.1"},
                                                                  std::chrono::hours(1));
        write(dir_ / "gateway.crt", server.certificate.pem);
        write(dir_ / "gateway.key", server.private_key_pem);
        write(dir_ / "fleet-ca.crt", host_->authority().certificate_pem());
        gateway_ = start_gateway("gw-1");
    }
    void TearDown() override {
        for (auto& agent : agents_) {
            if (agent->stream) {
                agent->stream->cancel();
            }
            agent->stream.reset();
            agent->client.reset();
        }
        if (gateway2_)
            gateway2_->stop();
        if (gateway_)
            gateway_->stop();
        gateway2_.reset();
        gateway_.reset();
        ControlTest::TearDown();
    }

    gateway::GatewayHostOptions gateway_options(const std::string& id) {
        gateway::GatewayHostOptions o;
        o.listen_address = "127.0.0.1:0";
        o.health_address = "127.0.0.1:0";
        o.database_url = database_url();
        o.database_connections = 8;
        o.tls_certificate_file = (dir_ / "gateway.crt").string();
        o.tls_key_file = (dir_ / "gateway.key").string();
        o.tls_ca_file = (dir_ / "fleet-ca.crt").string();
        o.io_threads = 2;
        o.shutdown_grace = std::chrono::seconds(2);
        o.agents.gateway_id = id;
        o.agents.sweep_interval = std::chrono::seconds(1);
        o.agents.presence_flush_interval = std::chrono::seconds(1);
        return o;
    }
    std::unique_ptr<gateway::GatewayHost> start_gateway(const std::string& id) {
        return start_gateway(gateway_options(id));
    }
    std::unique_ptr<gateway::GatewayHost> start_gateway(gateway::GatewayHostOptions options) {
        static Logger quiet([](std::string_view) {}, LogLevel::error);
        auto gateway = std::make_unique<gateway::GatewayHost>(std::move(options), quiet);
        gateway->start();
        return gateway;
    }

    static void write(const std::filesystem::path& path, const std::string& text) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
    }

    /// Registers a new device through Register and keeps its key and certificate in files.
    TestAgent& new_agent(const std::string& hostname = "agent-host") {
        auto token = create_token(admin_token()).second;
        std::string key;
        auto reply = register_device(token, hostname, ca::RequestKeyType::ecdsa_p256, &key);
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        auto agent = std::make_unique<TestAgent>();
        agent->device_id = reply.response.device_id().value();
        agent->certificate_file = (dir_ / (agent->device_id + ".crt")).string();
        agent->key_file = (dir_ / (agent->device_id + ".key")).string();
        write(agent->certificate_file, reply.response.certificate());
        write(agent->key_file, key);
        agents_.push_back(std::move(agent));
        return *agents_.back();
    }

    /// Opens the agent's stream to `gateway` (default: the first) and sends `hello_device_id`
    /// (default: its own id) in a Hello.
    void connect(TestAgent& agent, gateway::GatewayHost* gateway = nullptr,
                 std::string hello_device_id = {}) {
        gateway = gateway ? gateway : gateway_.get();
        rpc::ClientOptions options;
        options.base_url = "https://127.0.0.1:" + std::to_string(gateway->port());
        options.http2 = true;
        options.ca_file = (dir_ / "fleet-ca.crt").string();
        options.server_name = "localhost";
        options.certificate_file = agent.certificate_file;
        options.private_key_file = agent.key_file;
        agent.client = std::make_unique<rpc::Client>(io_.get_executor(), options);
        agent.stream = run_on(io_, agent.client->stream("pm.v1.AgentService.Stream"));
        pm::v1::AgentMessage hello;
        hello.set_id(new_ulid());
        hello.mutable_hello()->mutable_device_id()->set_value(
            hello_device_id.empty() ? agent.device_id : hello_device_id);
        hello.mutable_hello()->set_agent_version("2026.02.0");
        hello.mutable_hello()->set_hostname("agent-host");
        auto status = run_on(io_, agent.stream->write(hello));
        EXPECT_TRUE(status.ok()) << status.message;
    }

    /// The next message from the gateway; nullopt when the stream ended.
    std::optional<pm::v1::ServerMessage> receive(TestAgent& agent) {
        pm::v1::ServerMessage message;
        if (!run_on(io_, agent.stream->read(message))) {
            return std::nullopt;
        }
        return message;
    }

    void send(TestAgent& agent, const pm::v1::AgentMessage& message) {
        auto status = run_on(io_, agent.stream->write(message));
        EXPECT_TRUE(status.ok()) << status.message;
    }

    /// An inline shell action.
    static pm::v1::Action shell_action(const std::string& script) {
        pm::v1::Action action;
        action.mutable_id()->set_value(new_ulid());
        action.set_type(pm::v1::ACTION_TYPE_SHELL);
        action.mutable_shell()->set_script(script);
        action.set_timeout_seconds(60);
        return action;
    }

    /// DispatchAction of an inline action to `device_id` as the admin; the execution id.
    std::string dispatch(const std::string& device_id, const pm::v1::Action& action) {
        pm::v1::DispatchActionRequest request;
        request.set_device_id(device_id);
        *request.mutable_inline_action() = action;
        auto reply = call<pm::v1::DispatchActionResponse>("DispatchAction", request, admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        return reply.response.execution().id();
    }

    pm::v1::ActionExecution execution(const std::string& id) {
        pm::v1::GetExecutionRequest request;
        request.set_id(id);
        auto reply = call<pm::v1::GetExecutionResponse>("GetExecution", request, admin_token());
        EXPECT_TRUE(reply.ok()) << reply.status.message;
        return reply.response.execution();
    }

    /// Polls until `predicate` holds (up to 10 s).
    template <class Predicate>
    bool eventually(Predicate predicate) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < until) {
            if (predicate()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return predicate();
    }

    std::unique_ptr<gateway::GatewayHost> gateway_;
    std::unique_ptr<gateway::GatewayHost> gateway2_;
    std::vector<std::unique_ptr<TestAgent>> agents_;
};

}  // namespace pm::testing
