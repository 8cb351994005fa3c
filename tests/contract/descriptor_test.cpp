// The generated pm.v1 descriptors against the contract's own counts (wire-contract.md §5).
#include <set>
#include <string>

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <powermanage/contract/contract.hpp>

namespace {

namespace gp = google::protobuf;

TEST(ContractDescriptors, CountsMatchTheSpec) {
    const auto counts = pm::contract::count_definitions();
    EXPECT_EQ(counts.files, 4u);
    EXPECT_EQ(counts.services, 2u);
    EXPECT_EQ(counts.methods, 80u);
    EXPECT_EQ(counts.messages, 191u);
    EXPECT_EQ(counts.map_entries, 5u);
    EXPECT_EQ(counts.enums, 8u);
    EXPECT_EQ(counts.enum_values, 44u);
    EXPECT_EQ(counts.fields, 528u);
    EXPECT_EQ(counts.oneofs, 9u);
}

TEST(ContractDescriptors, ServicesHaveTheirMethodCountsAndKinds) {
    const auto& pool = pm::contract::pool();
    const auto* agent = pool.FindServiceByName("pm.v1.AgentService");
    const auto* control = pool.FindServiceByName("pm.v1.ControlService");
    ASSERT_NE(agent, nullptr);
    ASSERT_NE(control, nullptr);
    EXPECT_EQ(agent->method_count(), 2);
    EXPECT_EQ(control->method_count(), 78);

    const auto* stream = agent->FindMethodByName("Stream");
    ASSERT_NE(stream, nullptr);
    EXPECT_TRUE(stream->client_streaming());
    EXPECT_TRUE(stream->server_streaming());
    EXPECT_EQ(stream->input_type()->full_name(), "pm.v1.AgentMessage");
    EXPECT_EQ(stream->output_type()->full_name(), "pm.v1.ServerMessage");
    for (int i = 0; i < control->method_count(); ++i) {
        const auto* m = control->method(i);
        EXPECT_FALSE(m->client_streaming() || m->server_streaming()) << m->full_name();
    }
    // Order is part of the contract's tables: first and last of each.
    EXPECT_EQ(control->method(0)->name(), "Register");
    EXPECT_EQ(control->method(77)->name(), "ListExecutions");
    EXPECT_EQ(agent->method(1)->name(), "SyncActions");
}

TEST(ContractDescriptors, EightyRoutesResolveAndNothingElse) {
    const auto& pool = pm::contract::pool();
    std::set<std::string> seen;
    for (const char* service : {"pm.v1.AgentService", "pm.v1.ControlService"}) {
        const auto* s = pool.FindServiceByName(service);
        ASSERT_NE(s, nullptr);
        for (int i = 0; i < s->method_count(); ++i) {
            const std::string route = "/" + s->full_name() + "/" + s->method(i)->name();
            EXPECT_EQ(pm::contract::find_method(route), s->method(i)) << route;
            EXPECT_EQ(pm::contract::find_method(s->method(i)->full_name()), s->method(i));
            seen.insert(route);
        }
    }
    EXPECT_EQ(seen.size(), 80u);
    EXPECT_EQ(pm::contract::find_method("/pm.v1.ControlService/NoSuchMethod"), nullptr);
    EXPECT_EQ(pm::contract::find_method("/pm.v1.ControlService/Login/extra"), nullptr);
    EXPECT_EQ(pm::contract::find_method("/pm.v1.ControlService"), nullptr);
    EXPECT_EQ(pm::contract::find_method(""), nullptr);
    // A message is not a method, and a well-known-type service would not be ours.
    EXPECT_EQ(pm::contract::find_method("pm.v1.LoginRequest"), nullptr);
}

TEST(ContractDescriptors, SpotChecksFromTheFieldTables) {
    const auto& pool = pm::contract::pool();
    const auto* action = pool.FindMessageTypeByName("pm.v1.Action");
    ASSERT_NE(action, nullptr);
    const auto* params = action->FindOneofByName("params");
    ASSERT_NE(params, nullptr);
    EXPECT_EQ(params->field_count(), 9);
    EXPECT_EQ(action->FindFieldByName("directory")->number(), 18);
    EXPECT_EQ(action->FindFieldByName("timeout_seconds")->json_name(), "timeoutSeconds");

    const auto* group = pool.FindMessageTypeByName("pm.v1.DispatchToGroupRequest");
    ASSERT_NE(group, nullptr);
    const auto* source = group->FindOneofByName("action_source");
    ASSERT_NE(source, nullptr);
    EXPECT_EQ(source->field_count(), 4);
    EXPECT_EQ(group->FindFieldByName("inline_action")->number(), 5);

    const auto* device = pool.FindMessageTypeByName("pm.v1.Device");
    ASSERT_NE(device, nullptr);
    EXPECT_TRUE(device->FindFieldByName("labels")->is_map());

    const auto* desired = pool.FindEnumTypeByName("pm.v1.DesiredState");
    ASSERT_NE(desired, nullptr);
    EXPECT_EQ(desired->FindValueByNumber(0)->name(), "DESIRED_STATE_PRESENT");
    const auto* type = pool.FindEnumTypeByName("pm.v1.ActionType");
    ASSERT_NE(type, nullptr);
    EXPECT_EQ(type->FindValueByName("ACTION_TYPE_DIRECTORY")->number(), 401);
}

}  // namespace
