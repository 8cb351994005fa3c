// Issue 10's scenario end to end: actions of three types, a set and a definition built through
// the control API; the definition assigned to a device, a second set AVAILABLE to it, an
// action ABSENT; a simulated agent's SyncActions returns exactly the resolved list, in order,
// with signatures the agent verifies; the device's user selects the set and the next sync
// includes it; DispatchAssignedActions dispatches the resolved actions with their desired
// states, and the agent's results complete the executions.
#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/projection/resolution.hpp>

#include "agent_fleet.hpp"
#include "configuration_steps.hpp"
#include "gateway_fixture.hpp"

namespace pm::testing {
namespace {

class SyncScenarioTest : public ConfigurationSteps<GatewayTest> {
protected:
    agentsim::FleetOptions fleet_options() {
        agentsim::FleetOptions options;
        options.control_url = "http://127.0.0.1:" + std::to_string(host_->port());
        options.gateway_url = "https://127.0.0.1:" + std::to_string(gateway_->port());
        options.registration_token = create_token(admin_token()).second;
        options.count = 1;
        options.state_dir = dir_ / "fleet";
        options.threads = 1;
        options.backoff_min = std::chrono::milliseconds(50);
        options.backoff_max = std::chrono::milliseconds(500);
        return options;
    }

    // (action id, desired state) of the device's resolution, in its order, read directly.
    std::vector<std::pair<std::string, int>> resolved(const std::string& device_id) {
        db::ConnectionPool pool(database_url(), 1);
        return db::with_actor(pool, db::Actor::system("test"), [&](db::Transaction& tx) {
            std::vector<std::pair<std::string, int>> out;
            const auto configuration = projection::resolve_device(tx, device_id);
            EXPECT_TRUE(configuration.has_value()) << "device " << device_id << " not resolved";
            if (configuration) {
                for (const auto& action : configuration->actions) {
                    out.emplace_back(action.action_id, action.desired_state);
                }
            }
            return out;
        });
    }

    // (Action.id, desired state) of a sync, in the order received; every action verified.
    static std::vector<std::pair<std::string, int>> received(const agentsim::SyncOutcome& outcome) {
        std::vector<std::pair<std::string, int>> out;
        for (std::size_t i = 0; i < outcome.actions.size(); ++i) {
            const auto& action = outcome.actions[i];
            EXPECT_TRUE(outcome.verified[i])
                << "the agent rejects the signature of " << action.id().value();
            EXPECT_FALSE(action.params_canonical().empty()) << action.id().value();
            out.emplace_back(action.id().value(), static_cast<int>(action.desired_state()));
        }
        return out;
    }
};

TEST_F(SyncScenarioTest, AgentSyncsResolvedSignedActionsThenTheSelectedSetAndRunsThem) {
    constexpr int kPresent = pm::v1::DESIRED_STATE_PRESENT;
    constexpr int kAbsent = pm::v1::DESIRED_STATE_ABSENT;
    const auto user_id = create_user("alice@example.com", "alice's long password");
    agentsim::AgentFleet fleet(fleet_options());
    const auto report = fleet.register_all();
    ASSERT_EQ(report.registered, 1u) << report.first_error;
    const auto device = fleet.device_id(0);
    {
        pm::v1::AssignDeviceRequest request;
        request.set_device_id(device);
        request.set_user_id(user_id);
        ASSERT_OK(call<pm::v1::AssignDeviceResponse>("AssignDevice", request, admin_token()));
        pm::v1::SetDeviceSyncIntervalRequest interval;
        interval.set_id(device);
        interval.set_sync_interval_minutes(15);
        ASSERT_OK(
            call<pm::v1::UpdateDeviceResponse>("SetDeviceSyncInterval", interval, admin_token()));
    }

    // The configuration: a definition of one set (package, shell), a set AVAILABLE (file), a
    // package ABSENT.
    const auto htop = create_package_action("htop", "htop");
    pm::v1::CreateActionRequest motd_request;
    motd_request.set_name("motd");
    motd_request.set_type(pm::v1::ACTION_TYPE_SHELL);
    motd_request.set_timeout_seconds(60);
    motd_request.mutable_shell()->set_script("echo managed > /etc/motd");
    motd_request.mutable_schedule()->set_cron("0 3 * * *");
    const auto motd = create_action(motd_request);
    const auto config = create_file_action("config", "/etc/app.conf", "level=3\n");
    const auto telnet = create_package_action("no-telnet", "telnet");
    const auto base = create_set("base", {htop, motd});
    const auto extras = create_set("extras", {config});
    const auto workstation = create_definition("workstation", {base});
    assign_to_device("definition", workstation, device, pm::v1::ASSIGNMENT_MODE_PRESENT);
    assign_to_device("action_set", extras, device, pm::v1::ASSIGNMENT_MODE_AVAILABLE);
    assign_to_device("action", telnet, device, pm::v1::ASSIGNMENT_MODE_ABSENT);

    // First sync: the definition's actions and the absent package, not the unselected set.
    const auto first = fleet.sync_actions(0);
    ASSERT_TRUE(first.error.empty()) << first.error;
    EXPECT_EQ(first.sync_interval_minutes, 15);
    const auto first_received = received(first);
    EXPECT_EQ(first_received, resolved(device));
    const std::map<std::string, int> first_expected{
        {htop, kPresent}, {motd, kPresent}, {telnet, kAbsent}};
    const std::map<std::string, int> first_got(first_received.begin(), first_received.end());
    EXPECT_EQ(first_got, first_expected);
    const auto position = [](const auto& list, const std::string& id) {
        return std::find_if(list.begin(), list.end(),
                            [&](const auto& p) { return p.first == id; }) -
               list.begin();
    };
    EXPECT_LT(position(first_received, htop), position(first_received, motd)) << "set member order";
    for (const auto& action : first.actions) {
        if (action.id().value() == motd) {
            EXPECT_EQ(action.type(), pm::v1::ACTION_TYPE_SHELL);
            EXPECT_EQ(action.shell().script(), "echo managed > /etc/motd");
            EXPECT_EQ(action.schedule().cron(), "0 3 * * *") << "the agent runs it on its own";
        }
    }

    // The device's user opts in to the AVAILABLE set: the next sync includes it.
    const auto alice = login("alice@example.com", "alice's long password");
    pm::v1::SetUserSelectionRequest select;
    select.set_device_id(device);
    select.set_source_type("action_set");
    select.set_source_id(extras);
    select.set_selected(true);
    ASSERT_OK(call<pm::v1::SetUserSelectionResponse>("SetUserSelection", select, alice));
    const auto second = fleet.sync_actions(0);
    ASSERT_TRUE(second.error.empty()) << second.error;
    const auto second_received = received(second);
    EXPECT_EQ(second_received, resolved(device));
    auto second_expected = first_expected;
    second_expected.emplace(config, kPresent);
    const std::map<std::string, int> second_got(second_received.begin(), second_received.end());
    EXPECT_EQ(second_got, second_expected);
    for (const auto& action : second.actions) {
        if (action.id().value() == config) {
            EXPECT_EQ(action.type(), pm::v1::ACTION_TYPE_FILE);
            EXPECT_EQ(action.file().path(), "/etc/app.conf");
        }
    }

    // DispatchAssignedActions: one execution per resolved action, in order, with its desired
    // state; the connected agent runs them and its results complete them.
    fleet.start();
    ASSERT_TRUE(eventually([&] { return gateway_->connections().size() == 1; }));
    ASSERT_TRUE(eventually([&] { return gateway_->service().listening(); }));
    pm::v1::DispatchAssignedActionsRequest dispatch;
    dispatch.set_device_id(device);
    auto reply = call<pm::v1::DispatchAssignedActionsResponse>("DispatchAssignedActions", dispatch,
                                                               admin_token());
    ASSERT_OK(reply);
    ASSERT_EQ(reply.response.executions_size(), static_cast<int>(second_received.size()));
    for (int i = 0; i < reply.response.executions_size(); ++i) {
        const auto& e = reply.response.executions(i);
        EXPECT_EQ(e.action_id(), second_received[static_cast<std::size_t>(i)].first);
        EXPECT_EQ(desired_state_of_execution(e.id()),
                  second_received[static_cast<std::size_t>(i)].second)
            << e.action_id();
        EXPECT_EQ(e.device_id(), device);
    }
    for (const auto& e : reply.response.executions()) {
        EXPECT_TRUE(eventually([&] {
            return execution(e.id()).status() == pm::v1::EXECUTION_STATUS_SUCCESS;
        })) << e.action_id()
            << " ended " << pm::v1::ExecutionStatus_Name(execution(e.id()).status()) << ": "
            << execution(e.id()).error();
    }
    EXPECT_EQ(fleet.stats().results_sent, static_cast<std::uint64_t>(second_received.size()));
    fleet.stop();
}

TEST_F(SyncScenarioTest, ADeletedDeviceCannotSync) {
    agentsim::AgentFleet fleet(fleet_options());
    ASSERT_EQ(fleet.register_all().registered, 1u);
    const auto ok = fleet.sync_actions(0);
    EXPECT_TRUE(ok.error.empty()) << ok.error;
    EXPECT_TRUE(ok.actions.empty());
    pm::v1::DeleteDeviceRequest request;
    request.set_id(fleet.device_id(0));
    ASSERT_OK(call<pm::v1::DeleteDeviceResponse>("DeleteDevice", request, admin_token()));
    const auto refused = fleet.sync_actions(0);
    // Deleting a device revokes its certificate: the handshake or the gateway refuses it.
    EXPECT_FALSE(refused.error.empty());
    EXPECT_TRUE(refused.actions.empty());
}

}  // namespace
}  // namespace pm::testing
