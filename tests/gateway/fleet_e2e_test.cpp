// The simulated fleet against the real control plane and gateway: agents register through
// Register, hold mTLS streams, and answer a dispatch to all of them.
#include <gtest/gtest.h>

#include "agent_fleet.hpp"
#include "gateway_fixture.hpp"

namespace pm::testing {
namespace {

using FleetTest = GatewayTest;

TEST_F(FleetTest, TenSimulatedAgentsRegisterConnectAndAnswerADispatchToAll) {
    agentsim::FleetOptions options;
    options.control_url = "http://127.0.0.1:" + std::to_string(host_->port());
    options.gateway_url = "https://127.0.0.1:" + std::to_string(gateway_->port());
    options.registration_token = create_token(admin_token()).second;
    options.count = 10;
    options.state_dir = dir_ / "fleet";
    options.threads = 2;
    options.backoff_min = std::chrono::milliseconds(50);
    options.backoff_max = std::chrono::milliseconds(500);
    options.result_delay_min = std::chrono::milliseconds(5);
    options.result_delay_max = std::chrono::milliseconds(20);
    options.send_output_chunks = true;
    agentsim::AgentFleet fleet(options);
    const auto report = fleet.register_all();
    ASSERT_EQ(report.registered, 10u) << report.first_error;
    fleet.start();
    ASSERT_TRUE(eventually([&] { return gateway_->connections().size() == 10; }))
        << gateway_->connections().size() << " connected";
    ASSERT_TRUE(eventually([&] { return gateway_->service().listening(); }));

    pm::v1::DispatchToMultipleRequest request;
    for (std::size_t i = 0; i < 10; ++i) {
        request.add_device_ids(fleet.device_id(i));
    }
    *request.mutable_inline_action() = shell_action("uname -a");
    auto reply =
        call<pm::v1::DispatchToMultipleResponse>("DispatchToMultiple", request, admin_token());
    ASSERT_TRUE(reply.ok()) << reply.status.message;
    ASSERT_EQ(reply.response.executions_size(), 10);
    for (const auto& created : reply.response.executions()) {
        ASSERT_TRUE(eventually([&] {
            return execution(created.id()).status() == pm::v1::EXECUTION_STATUS_SUCCESS;
        })) << created.id();
    }
    EXPECT_EQ(fleet.stats().results_sent, 10u);
    EXPECT_EQ(fleet.stats().errors_received, 0u);
    fleet.stop();
    EXPECT_TRUE(eventually([&] { return gateway_->connections().size() == 0; }));
}

}  // namespace
}  // namespace pm::testing
