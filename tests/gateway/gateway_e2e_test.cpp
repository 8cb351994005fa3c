// The gateway end to end: pm-control's ControlHost and a GatewayHost on one real database,
// agents registered through Register holding real mTLS streams.
#include <thread>

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <powermanage/ca/authority.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/eventstore/events.hpp>

#include "gateway_fixture.hpp"
#include "rpc/http_probe.hpp"

namespace pm::testing {
namespace {

TEST_F(GatewayTest, HelloGetsWelcomeAndTheAgentCounts) {
    auto& agent = new_agent();
    connect(agent);
    auto welcome = receive(agent);
    ASSERT_TRUE(welcome.has_value());
    ASSERT_TRUE(welcome->has_welcome()) << welcome->DebugString();
    EXPECT_EQ(welcome->welcome().heartbeat_interval().seconds(), 30);
    EXPECT_NE(welcome->welcome().server_version().find("libpowermanage"), std::string::npos);
    EXPECT_TRUE(eventually([&] { return gateway_->connections().connected(agent.device_id); }));
    auto health = http_request(gateway_->health_port(), "GET", "/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, R"({"status":"healthy","agents":1})");
    EXPECT_TRUE(eventually(
        [&] { return http_request(gateway_->health_port(), "GET", "/ready").status == 200; }));
}

TEST_F(GatewayTest, DispatchReachesTheAgentSignedAndItsResultCompletesTheExecution) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    ASSERT_TRUE(eventually([&] { return gateway_->service().listening(); }));

    const auto execution_id = dispatch(agent.device_id, shell_action("echo hello"));
    auto dispatched = receive(agent);
    ASSERT_TRUE(dispatched.has_value());
    ASSERT_TRUE(dispatched->has_action()) << dispatched->DebugString();
    const auto& action = dispatched->action().action();
    EXPECT_EQ(action.id().value(), execution_id);
    EXPECT_EQ(action.shell().script(), "echo hello");
    // Verified as a Feb 2026 agent does, with the CA certificate from registration.
    EXPECT_TRUE(host_->authority().verify_action(action.id().value(), action.type(),
                                                 action.params_canonical(), action.signature()));
    EXPECT_TRUE(eventually([&] {
        return sql("SELECT status FROM executions_projection WHERE id = $1", {execution_id})
                   .text(0, 0) == "dispatched";
    }));

    pm::v1::AgentMessage output;
    output.set_id(new_ulid());
    output.mutable_output_chunk()->set_execution_id(execution_id);
    output.mutable_output_chunk()->set_stream(pm::v1::OUTPUT_STREAM_TYPE_STDOUT);
    output.mutable_output_chunk()->set_data("hel");
    output.mutable_output_chunk()->set_sequence(1);
    send(agent, output);
    EXPECT_TRUE(
        eventually([&] { return execution(execution_id).live_output().stdout() == "hel"; }));

    pm::v1::AgentMessage result;
    result.set_id(new_ulid());
    result.mutable_action_result()->mutable_action_id()->set_value(execution_id);
    result.mutable_action_result()->set_status(pm::v1::EXECUTION_STATUS_SUCCESS);
    result.mutable_action_result()->mutable_output()->set_stdout("hello\n");
    result.mutable_action_result()->set_duration_ms(12);
    // completed_at left out, as Feb 2026 agents may do.
    send(agent, result);
    ASSERT_TRUE(eventually(
        [&] { return execution(execution_id).status() == pm::v1::EXECUTION_STATUS_SUCCESS; }));
    const auto done = execution(execution_id);
    EXPECT_EQ(done.output().stdout(), "hello\n");
    EXPECT_EQ(done.duration_ms(), 12);
    EXPECT_TRUE(done.has_completed_at());
}

// Script output is bytes: an output chunk (a `bytes` field) may hold anything, including bytes
// that are not UTF-8, and any text may hold NUL; PostgreSQL's jsonb refuses both. The gateway
// stores them as U+FFFD instead of losing the chunk, the result after it, and the stream.
// (Result text is a proto `string`: protobuf itself refuses ill-formed UTF-8 there.)
TEST_F(GatewayTest, OutputThatIsNotUtf8IsRecordedNotFatal) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    ASSERT_TRUE(eventually([&] { return gateway_->service().listening(); }));
    const auto execution_id = dispatch(agent.device_id, shell_action("cat /dev/urandom"));
    auto sent = receive(agent);
    ASSERT_TRUE(sent && sent->has_action());

    const std::string raw("ok\xff\xfe", 4);
    pm::v1::AgentMessage output;
    output.set_id(new_ulid());
    output.mutable_output_chunk()->set_execution_id(execution_id);
    output.mutable_output_chunk()->set_stream(pm::v1::OUTPUT_STREAM_TYPE_STDOUT);
    output.mutable_output_chunk()->set_data(raw + std::string("\0!", 2));
    output.mutable_output_chunk()->set_sequence(1);
    send(agent, output);
    const std::string replacement = "\xEF\xBF\xBD";
    EXPECT_TRUE(eventually([&] {
        return execution(execution_id).live_output().stdout() ==
               "ok" + replacement + replacement + replacement + "!";
    })) << execution(execution_id).DebugString();

    pm::v1::AgentMessage result;
    result.set_id(new_ulid());
    result.mutable_action_result()->mutable_action_id()->set_value(execution_id);
    result.mutable_action_result()->set_status(pm::v1::EXECUTION_STATUS_FAILED);
    result.mutable_action_result()->mutable_output()->set_stdout(std::string("ok\0end", 6));
    result.mutable_action_result()->set_error(std::string("broken\0pipe", 11));
    send(agent, result);
    ASSERT_TRUE(eventually([&] {
        return execution(execution_id).status() == pm::v1::EXECUTION_STATUS_FAILED;
    })) << execution(execution_id).DebugString();
    const auto done = execution(execution_id);
    EXPECT_EQ(done.output().stdout(), "ok" + replacement + "end");
    EXPECT_EQ(done.error(), "broken" + replacement + "pipe");
    EXPECT_TRUE(gateway_->connections().connected(agent.device_id))
        << "the stream must survive output that is not text";
    EXPECT_EQ(sql("SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = 'OutputChunk'",
                  {execution_id})
                  .text(0, 0),
              "1");
}

// The gateway records a send after making it, so the result of an agent that answers at once
// is often recorded first. The history must still say when each execution was sent, before it
// completed.
TEST_F(GatewayTest, AnAgentThatAnswersAtOnceHasATrueHistory) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    ASSERT_TRUE(eventually([&] { return gateway_->service().listening(); }));
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        ids.push_back(dispatch(agent.device_id, shell_action("true")));
        auto sent = receive(agent);
        ASSERT_TRUE(sent && sent->has_action());
        pm::v1::AgentMessage result;
        result.set_id(new_ulid());
        result.mutable_action_result()->mutable_action_id()->set_value(
            sent->action().action().id().value());
        result.mutable_action_result()->set_status(pm::v1::EXECUTION_STATUS_SUCCESS);
        // The agent's clock, to the nanosecond as agents send it (TimeUtil's is whole seconds).
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        *result.mutable_action_result()->mutable_completed_at() =
            google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
        send(agent, result);
    }
    for (const auto& id : ids) {
        ASSERT_TRUE(eventually([&] {
            return execution(id).status() == pm::v1::EXECUTION_STATUS_SUCCESS &&
                   execution(id).has_dispatched_at();
        })) << "execution "
            << id << " has no dispatched_at: " << execution(id).DebugString();
        const auto done = execution(id);
        EXPECT_LE(google::protobuf::util::TimeUtil::TimestampToNanoseconds(done.dispatched_at()),
                  google::protobuf::util::TimeUtil::TimestampToNanoseconds(done.completed_at()))
            << done.DebugString();
    }
}

// The database goes away under a live stream: what the agent reports cannot be recorded, so
// the gateway closes the stream with `unavailable` instead of keeping a stream that receives
// work while its results are lost. Once the database is back, the agent reconnects, gets its
// unanswered execution again, and its result is recorded.
TEST_F(GatewayTest, ADatabaseOutageClosesTheStreamInsteadOfLeavingAZombie) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    ASSERT_TRUE(eventually([&] { return gateway_->service().listening(); }));
    const auto execution_id = dispatch(agent.device_id, shell_action("true"));
    auto sent = receive(agent);
    ASSERT_TRUE(sent && sent->has_action());

    const std::string database = database_name();
    pqxx::connection admin(admin_database_url());
    const auto cut = [&](bool allow) {
        pqxx::nontransaction tx(admin);
        tx.exec0("ALTER DATABASE " + tx.quote_name(database) + " WITH ALLOW_CONNECTIONS " +
                 (allow ? "true" : "false"));
        if (!allow) {
            tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
                    tx.quote(database));
        }
    };
    cut(false);
    pm::v1::AgentMessage result;
    result.set_id(new_ulid());
    result.mutable_action_result()->mutable_action_id()->set_value(execution_id);
    result.mutable_action_result()->set_status(pm::v1::EXECUTION_STATUS_SUCCESS);
    send(agent, result);
    auto closing = receive(agent);
    ASSERT_TRUE(closing.has_value()) << "the stream ended without saying why";
    ASSERT_TRUE(closing->has_error()) << closing->DebugString();
    EXPECT_EQ(closing->error().code(), "unavailable");
    EXPECT_FALSE(receive(agent).has_value()) << "the stream must end after the error";
    EXPECT_TRUE(eventually([&] { return !gateway_->connections().connected(agent.device_id); }));
    // At least the result's; the work looked up at connect may have met the outage too.
    EXPECT_GE(gateway_->service().stats().streams_closed_unavailable, 1u);

    cut(true);
    ASSERT_TRUE(eventually([&] {
        connect(agent);
        auto first = receive(agent);
        return first && first->has_welcome();
    }));
    auto again = receive(agent);
    ASSERT_TRUE(again && again->has_action()) << "the unanswered execution is sent again";
    EXPECT_EQ(again->action().action().id().value(), execution_id);
    send(agent, result);
    EXPECT_TRUE(eventually(
        [&] { return execution(execution_id).status() == pm::v1::EXECUTION_STATUS_SUCCESS; }));
}

TEST_F(GatewayTest, AStoredActionIsDispatchedWithItsParams) {
    // CreateAction is not served yet: the action is stored the way it will store it.
    db::ConnectionPool pool(database_url(), 1);
    eventstore::EventStore store(pool);
    const std::string action_id = new_ulid();
    eventstore::ActionCreated created;
    created.name = "install htop";
    created.action_type = pm::v1::ACTION_TYPE_PACKAGE;
    created.params = boost::json::object{{"name", "htop"}};
    created.timeout_seconds = 120;
    store.append({"action", action_id}, eventstore::ExpectedVersion::no_stream(),
                 {eventstore::NewEvent::of(created)}, db::Actor::admin("test"));

    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    pm::v1::DispatchActionRequest request;
    request.set_device_id(agent.device_id);
    request.set_action_id(action_id);
    auto reply = call<pm::v1::DispatchActionResponse>("DispatchAction", request, admin_token());
    ASSERT_TRUE(reply.ok()) << reply.status.message;
    EXPECT_EQ(reply.response.execution().action_id(), action_id);
    auto dispatched = receive(agent);
    ASSERT_TRUE(dispatched && dispatched->has_action());
    const auto& action = dispatched->action().action();
    EXPECT_EQ(action.id().value(), reply.response.execution().id());
    EXPECT_EQ(action.type(), pm::v1::ACTION_TYPE_PACKAGE);
    EXPECT_EQ(action.package().name(), "htop");
    EXPECT_EQ(action.timeout_seconds(), 120);
    EXPECT_TRUE(host_->authority().verify_action(action.id().value(), action.type(),
                                                 action.params_canonical(), action.signature()));
}

TEST_F(GatewayTest, AResultNamingTheStoredActionCompletesItsOpenExecution) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    const auto execution_id = dispatch(agent.device_id, shell_action("true"));
    ASSERT_TRUE(receive(agent)->has_action());
    // A stored action's id, as an agent reports results of its own schedule.
    sql("UPDATE executions_projection SET action_id = 'STORED-ACTION' WHERE id = $1",
        {execution_id});
    pm::v1::AgentMessage result;
    result.set_id(new_ulid());
    result.mutable_action_result()->mutable_action_id()->set_value("STORED-ACTION");
    result.mutable_action_result()->set_status(pm::v1::EXECUTION_STATUS_FAILED);
    result.mutable_action_result()->set_error("exit status 3");
    send(agent, result);
    ASSERT_TRUE(eventually(
        [&] { return execution(execution_id).status() == pm::v1::EXECUTION_STATUS_FAILED; }));
    EXPECT_EQ(execution(execution_id).error(), "exit status 3");
}

TEST_F(GatewayTest, AnOfflineAgentGetsItsPendingExecutionWhenItConnects) {
    auto& agent = new_agent();
    const auto execution_id = dispatch(agent.device_id, shell_action("uptime"));
    EXPECT_EQ(execution(execution_id).status(), pm::v1::EXECUTION_STATUS_PENDING);
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    auto dispatched = receive(agent);
    ASSERT_TRUE(dispatched.has_value());
    ASSERT_TRUE(dispatched->has_action());
    EXPECT_EQ(dispatched->action().action().id().value(), execution_id);
}

TEST_F(GatewayTest, ASecondConnectionReplacesTheFirst) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    ASSERT_TRUE(eventually([&] { return gateway_->connections().connected(agent.device_id); }));
    auto old_client = std::move(agent.client);
    auto old_stream = std::move(agent.stream);
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());

    pm::v1::ServerMessage message;
    ASSERT_TRUE(run_on(io_, old_stream->read(message)));
    ASSERT_TRUE(message.has_error()) << message.DebugString();
    EXPECT_EQ(message.error().code(), "replaced");
    EXPECT_FALSE(run_on(io_, old_stream->read(message)));  // then the old stream ends

    // The new stream is the one that stays and gets work.
    const auto execution_id = dispatch(agent.device_id, shell_action("id"));
    auto dispatched = receive(agent);
    ASSERT_TRUE(dispatched && dispatched->has_action());
    EXPECT_EQ(dispatched->action().action().id().value(), execution_id);
    EXPECT_EQ(gateway_->connections().size(), 1u);
}

TEST_F(GatewayTest, ADeletedDeviceIsRefusedAtHello) {
    auto& agent = new_agent();
    pm::v1::DeleteDeviceRequest remove;
    remove.set_id(agent.device_id);
    ASSERT_TRUE(call<pm::v1::DeleteDeviceResponse>("DeleteDevice", remove, admin_token()).ok());
    connect(agent);
    auto refused = receive(agent);
    ASSERT_TRUE(refused.has_value());
    ASSERT_TRUE(refused->has_error());
    EXPECT_EQ(refused->error().code(), "permission_denied");
    EXPECT_FALSE(receive(agent).has_value());
    EXPECT_EQ(
        run_on(io_, [&]() -> rpc::Task<rpc::Status> { co_return agent.stream->finish(); }()).code,
        rpc::Code::permission_denied);
}

TEST_F(GatewayTest, AHelloForAnotherDeviceIsRefused) {
    auto& agent = new_agent();
    auto& other = new_agent();
    connect(agent, nullptr, other.device_id);
    auto refused = receive(agent);
    ASSERT_TRUE(refused.has_value());
    ASSERT_TRUE(refused->has_error());
    EXPECT_EQ(refused->error().code(), "permission_denied");
    EXPECT_NE(refused->error().message().find("does not match"), std::string::npos);
}

TEST_F(GatewayTest, SyncActionsIsBoundToTheCertificate) {
    auto& agent = new_agent();
    auto& other = new_agent();
    // SyncActions answers what is assigned (the resolution), not what was dispatched: an open
    // execution comes on the stream only (tests/gateway/sync_scenario_test.cpp has the
    // assigned configuration).
    dispatch(agent.device_id, shell_action("ls"));
    connect(agent);  // makes the agent's client
    pm::v1::SyncActionsRequest mine;
    mine.mutable_device_id()->set_value(agent.device_id);
    pm::v1::SyncActionsResponse response;
    auto status =
        run_on(io_, agent.client->unary("pm.v1.AgentService.SyncActions", mine, response));
    ASSERT_TRUE(status.ok()) << status.message;
    EXPECT_EQ(response.actions_size(), 0);

    pm::v1::SyncActionsRequest theirs;
    theirs.mutable_device_id()->set_value(other.device_id);
    status = run_on(io_, agent.client->unary("pm.v1.AgentService.SyncActions", theirs, response));
    EXPECT_EQ(status.code, rpc::Code::permission_denied);
}

TEST_F(GatewayTest, ALostListenConnectionComesBackAndNothingIsLost) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    ASSERT_TRUE(eventually([&] { return gateway_->service().listening(); }));
    // Kill the gateway's LISTEN backend, as a PostgreSQL restart would.
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    const auto execution_id = dispatch(agent.device_id, shell_action("date"));
    auto dispatched = receive(agent);
    ASSERT_TRUE(dispatched && dispatched->has_action());
    EXPECT_EQ(dispatched->action().action().id().value(), execution_id);
    EXPECT_TRUE(eventually([&] { return gateway_->service().listening(); }));
}

TEST_F(GatewayTest, TwoGatewaysOnOneDatabaseEachDeliverToTheirOwnAgents) {
    gateway2_ = start_gateway("gw-2");
    auto& first = new_agent();
    auto& second = new_agent();
    connect(first, gateway_.get());
    connect(second, gateway2_.get());
    ASSERT_TRUE(receive(first)->has_welcome());
    ASSERT_TRUE(receive(second)->has_welcome());
    ASSERT_TRUE(eventually(
        [&] { return gateway_->service().listening() && gateway2_->service().listening(); }));
    pm::v1::DispatchToMultipleRequest request;
    request.add_device_ids(first.device_id);
    request.add_device_ids(second.device_id);
    *request.mutable_inline_action() = shell_action("hostname");
    auto reply =
        call<pm::v1::DispatchToMultipleResponse>("DispatchToMultiple", request, admin_token());
    ASSERT_TRUE(reply.ok()) << reply.status.message;
    ASSERT_EQ(reply.response.executions_size(), 2);
    auto a = receive(first);
    auto b = receive(second);
    ASSERT_TRUE(a && a->has_action());
    ASSERT_TRUE(b && b->has_action());
    EXPECT_TRUE(eventually([&] {
        auto rows = sql("SELECT count(*) FROM events WHERE event_type = 'ExecutionDispatched'");
        return rows.int64(0, 0) == 2;
    }));
    auto gateways = sql(
        "SELECT string_agg(data ->> 'gateway_id', ',' ORDER BY data ->> 'gateway_id') FROM events "
        "WHERE event_type = 'ExecutionDispatched'");
    EXPECT_EQ(gateways.text(0, 0), "gw-1,gw-2");
}

TEST_F(GatewayTest, ASecurityAlertBecomesAnEvent) {
    auto& agent = new_agent();
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    pm::v1::AgentMessage alert;
    alert.set_id(new_ulid());
    alert.mutable_security_alert()->set_type(pm::v1::SECURITY_ALERT_TYPE_CREDENTIAL_TAMPERING);
    alert.mutable_security_alert()->set_message("key file changed");
    (*alert.mutable_security_alert()->mutable_details())["path"] = "/etc/pm/key.pem";
    send(agent, alert);
    EXPECT_TRUE(eventually([&] {
        auto rows =
            sql("SELECT data ->> 'alert_type', data ->> 'message', data -> 'details' ->> 'path' "
                "FROM events WHERE event_type = 'SecurityAlert' AND stream_id = $1",
                {agent.device_id});
        return rows.rows() == 1 && rows.text(0, 0) == "SECURITY_ALERT_TYPE_CREDENTIAL_TAMPERING" &&
               rows.text(0, 1) == "key file changed" && rows.text(0, 2) == "/etc/pm/key.pem";
    }));
}

TEST_F(GatewayTest, APendingExecutionExpiresAfterItsDeadline) {
    auto& agent = new_agent();  // never connects
    const auto execution_id = dispatch(agent.device_id, shell_action("late"));
    sql("UPDATE executions_projection SET expires_at = now() - interval '1 second' WHERE id = $1",
        {execution_id});
    ASSERT_TRUE(eventually([&] {  // the sweep runs every second in these tests
        return sql("SELECT status FROM executions_projection WHERE id = $1", {execution_id})
                   .text(0, 0) == "expired";
    }));
    const auto expired = execution(execution_id);
    EXPECT_EQ(expired.status(), pm::v1::EXECUTION_STATUS_FAILED);
    EXPECT_NE(expired.error().find("expired"), std::string::npos);
    // An agent connecting afterwards does not get it: past a sweep it is still expired, never
    // dispatched.
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto row = sql("SELECT status, dispatched_at IS NULL FROM executions_projection WHERE id = $1",
                   {execution_id});
    EXPECT_EQ(row.text(0, 0), "expired");
    EXPECT_EQ(row.text(0, 1), "t");
}

TEST_F(GatewayTest, AStreamWithoutHelloEndsAfterTheHelloTimeout) {
    gateway_->stop();
    auto options = gateway_options("gw-1");
    options.agents.hello_timeout = std::chrono::seconds(1);
    gateway_ = start_gateway(options);
    auto& agent = new_agent();
    rpc::ClientOptions client;
    client.base_url = "https://127.0.0.1:" + std::to_string(gateway_->port());
    client.ca_file = (dir_ / "fleet-ca.crt").string();
    client.server_name = "localhost";
    client.certificate_file = agent.certificate_file;
    client.private_key_file = agent.key_file;
    agent.client = std::make_unique<rpc::Client>(io_.get_executor(), client);
    agent.stream = run_on(io_, agent.client->stream("pm.v1.AgentService.Stream"));
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(receive(agent).has_value());
    EXPECT_EQ(agent.stream->finish().code, rpc::Code::deadline_exceeded);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(GatewayTest, ASilentAgentIsDisconnectedAfterMissedHeartbeats) {
    gateway_->stop();
    auto options = gateway_options("gw-1");
    options.agents.heartbeat_interval = std::chrono::seconds(1);
    options.agents.missed_heartbeats_allowed = 2;
    gateway_ = start_gateway(options);
    auto& agent = new_agent();
    connect(agent);
    auto welcome = receive(agent);
    ASSERT_TRUE(welcome && welcome->has_welcome());
    EXPECT_EQ(welcome->welcome().heartbeat_interval().seconds(), 1);
    auto closed = receive(agent);  // nothing sent: the gateway gives up after 2 s
    ASSERT_TRUE(closed.has_value());
    ASSERT_TRUE(closed->has_error()) << closed->DebugString();
    EXPECT_EQ(closed->error().code(), "heartbeat_timeout");
    EXPECT_FALSE(receive(agent).has_value());
    EXPECT_TRUE(eventually([&] { return !gateway_->connections().connected(agent.device_id); }));
    EXPECT_TRUE(eventually([&] {
        return sql("SELECT count(*) FROM events WHERE event_type = 'DeviceDisconnected' "
                   "AND stream_id = $1",
                   {agent.device_id})
                   .int64(0, 0) == 1;
    }));
}

TEST_F(GatewayTest, HeartbeatsKeepTheStreamAndUpdateLastSeenInBatches) {
    gateway_->stop();
    auto options = gateway_options("gw-1");
    options.agents.heartbeat_interval = std::chrono::seconds(1);
    options.agents.missed_heartbeats_allowed = 2;
    gateway_ = start_gateway(options);
    auto& agent = new_agent();
    sql("UPDATE devices_projection SET last_seen_at = now() - interval '1 hour' WHERE id = $1",
        {agent.device_id});
    connect(agent);
    ASSERT_TRUE(receive(agent)->has_welcome());
    for (int i = 0; i < 4; ++i) {
        pm::v1::AgentMessage heartbeat;
        heartbeat.set_id(new_ulid());
        heartbeat.mutable_heartbeat()->set_cpu_percent(12.5f);
        send(agent, heartbeat);
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
    }
    EXPECT_TRUE(gateway_->connections().connected(agent.device_id));
    EXPECT_TRUE(eventually([&] {
        return sql("SELECT last_seen_at > now() - interval '10 seconds' FROM devices_projection "
                   "WHERE id = $1",
                   {agent.device_id})
            .boolean(0, 0);
    }));
    // One event per interval at most (5 min by default): not one per heartbeat.
    EXPECT_LE(sql("SELECT count(*) FROM events WHERE event_type = 'DeviceHeartbeat' "
                  "AND stream_id = $1",
                  {agent.device_id})
                  .int64(0, 0),
              1);
}

}  // namespace
}  // namespace pm::testing
