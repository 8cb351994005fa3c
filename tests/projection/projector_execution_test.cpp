// The execution projector, event by event, against docs/events.md: each event appended through
// the real EventStore, its effect read back from executions_projection and
// execution_output_projection; the status machine's guards included.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/eventstore/events.hpp>

#include "projection/projector_fixture.hpp"

namespace {

using namespace pm::eventstore;
using namespace std::chrono_literals;
using pm::db::Actor;
using pm::testing::Row;

class ExecutionProjector : public pm::testing::ProjectorTest {
protected:
    std::string create() {
        const auto id = pm::new_ulid();
        append(id,
               ExecutionCreated{.device_id = "dev-1",
                                .action_id = "act-1",
                                .action_type = 3,
                                .desired_state = 1,
                                .params = boost::json::object{{"package", "firefox"}},
                                .timeout_seconds = 300},
               Actor::admin("admin-1"));
        return id;
    }
    // status, dispatched_at, started_at, completed_at, duration_ms, error, output
    Row state(const std::string& id) {
        return row("SELECT status, " + us("dispatched_at") + ", " + us("started_at") + ", " +
                       us("completed_at") +
                       ", duration_ms, error, output::text FROM executions_projection "
                       "WHERE id = $1",
                   {id});
    }
    std::string status(const std::string& id) { return state(id).at(0); }
    std::string version(const std::string& id) {
        return value("SELECT projection_version FROM executions_projection WHERE id = $1", {id});
    }
    static boost::json::object output(const std::string& out, std::int64_t exit_code) {
        return boost::json::object{{"stdout", out}, {"stderr", ""}, {"exit_code", exit_code}};
    }
    // Appends an event that the state machine must refuse, and checks the row did not change
    // at all, projection_version included, though the event is stored.
    template <class E>
    void expect_ignored(const std::string& id, const E& event) {
        const auto before = snapshot();
        clock_.advance(1min);
        const auto position = append(id, event);
        EXPECT_EQ(snapshot(), before) << E::kType << " moved a finished or later execution";
        EXPECT_EQ(value("SELECT event_type FROM events WHERE position = $1", {text(position)}),
                  E::kType)
            << "the refused event is still recorded";
    }
};

TEST_F(ExecutionProjector, ExecutionCreatedInsertsAPendingExecution) {
    const auto id = pm::new_ulid();
    const auto position = append(id,
                                 ExecutionCreated{.device_id = "dev-1",
                                                  .action_id = "act-1",
                                                  .action_type = 3,
                                                  .desired_state = 1,
                                                  .params = boost::json::object{{"package", "vlc"}},
                                                  .timeout_seconds = 300,
                                                  .expires_at = kT0 + 2h},
                                 Actor::admin("admin-1"));
    EXPECT_EQ(row("SELECT id, device_id, action_id, action_type, desired_state, params::text, "
                  "timeout_seconds, status, error, output, " +
                  us("created_at") + ", dispatched_at, started_at, completed_at, duration_ms, " +
                  us("expires_at") +
                  ", created_by_type, created_by_id, projection_version "
                  "FROM executions_projection"),
              (Row{id, "dev-1", "act-1", "3", "1", R"({"package": "vlc"})", "300", "pending",
                   "NULL", "NULL", micros(kT0), "NULL", "NULL", "NULL", "NULL", micros(kT0 + 2h),
                   "admin", "admin-1", text(position)}));
}

TEST_F(ExecutionProjector, AnInlineExecutionHasNoActionAndNoExpiry) {
    const auto id = pm::new_ulid();
    append(id,
           ExecutionCreated{.device_id = "dev-1",
                            .action_type = 1,
                            .desired_state = 0,
                            .params = boost::json::object{{"script", "echo hi"}},
                            .timeout_seconds = 60},
           Actor::system("scheduler"));
    EXPECT_EQ(row("SELECT action_id, expires_at, status, created_by_type, created_by_id "
                  "FROM executions_projection WHERE id = $1",
                  {id}),
              (Row{"NULL", "NULL", "pending", "system", "scheduler"}));
}

TEST_F(ExecutionProjector, NullOptionalKeysOfExecutionCreatedCountAsAbsent) {
    const auto id = pm::new_ulid();
    append_raw({"execution", id}, NewEvent{"ExecutionCreated",
                                           {{"device_id", "dev-1"},
                                            {"action_id", nullptr},
                                            {"action_type", 1},
                                            {"desired_state", 0},
                                            {"params", boost::json::object{}},
                                            {"timeout_seconds", 60},
                                            {"expires_at", nullptr}},
                                           {},
                                           "execution"});
    EXPECT_EQ(
        row("SELECT action_id, expires_at, status FROM executions_projection WHERE id = $1", {id}),
        (Row{"NULL", "NULL", "pending"}));
}

TEST_F(ExecutionProjector, ExecutionDispatchedRecordsTheSend) {
    const auto id = create();
    clock_.advance(1min);
    const auto position = append(id, ExecutionDispatched{.device_id = "dev-1", .gateway_id = "gw"});
    EXPECT_EQ(state(id),
              (Row{"dispatched", micros(kT0 + 1min), "NULL", "NULL", "NULL", "NULL", "NULL"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ADispatchedExecutionDispatchedAgainRecordsTheLatestSend) {
    const auto id = create();
    clock_.advance(1min);
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    clock_.advance(5min);
    const auto position = append(id, ExecutionDispatched{.device_id = "dev-1"});
    EXPECT_EQ(state(id),
              (Row{"dispatched", micros(kT0 + 6min), "NULL", "NULL", "NULL", "NULL", "NULL"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ExecutionStartedRuns) {
    const auto id = create();
    clock_.advance(1min);
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    clock_.advance(1min);
    const auto position = append(id, ExecutionStarted{});
    EXPECT_EQ(state(id), (Row{"running", micros(kT0 + 1min), micros(kT0 + 2min), "NULL", "NULL",
                              "NULL", "NULL"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ExecutionCompletedSucceedsWithTheAgentsTimeAndOutput) {
    const auto id = create();
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    append(id, ExecutionStarted{});
    clock_.advance(10min);
    const auto position = append(
        id, ExecutionCompleted{
                .duration_ms = 1234, .completed_at = kT0 + 9min, .output = output("done\n", 0)});
    EXPECT_EQ(state(id), (Row{"success", micros(kT0), micros(kT0), micros(kT0 + 9min), "1234",
                              "NULL", R"({"stderr": "", "stdout": "done\n", "exit_code": 0})"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ExecutionCompletedWithoutAgentTimeCompletesAtOccurredAt) {
    const auto id = create();
    append(id, ExecutionStarted{});
    clock_.advance(10min);
    append(id, ExecutionCompleted{.duration_ms = 5});
    EXPECT_EQ(state(id),
              (Row{"success", "NULL", micros(kT0), micros(kT0 + 10min), "5", "NULL", "NULL"}));
}

TEST_F(ExecutionProjector, NullOptionalKeysOfAResultCountAsAbsent) {
    const auto id = create();
    clock_.advance(10min);
    append_raw({"execution", id},
               NewEvent{"ExecutionCompleted",
                        {{"duration_ms", 5}, {"completed_at", nullptr}, {"output", nullptr}},
                        {},
                        "execution"});
    EXPECT_EQ(state(id),
              (Row{"success", "NULL", "NULL", micros(kT0 + 10min), "5", "NULL", "NULL"}));
}

TEST_F(ExecutionProjector, ExecutionFailedRecordsTheError) {
    const auto id = create();
    append(id, ExecutionStarted{});
    clock_.advance(10min);
    const auto position = append(id, ExecutionFailed{.error = "exit status 2",
                                                     .duration_ms = 700,
                                                     .completed_at = kT0 + 8min,
                                                     .output = output("", 2)});
    EXPECT_EQ(state(id), (Row{"failed", "NULL", micros(kT0), micros(kT0 + 8min), "700",
                              "exit status 2", R"({"stderr": "", "stdout": "", "exit_code": 2})"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ExecutionTimedOutRecordsTheError) {
    const auto id = create();
    append(id, ExecutionStarted{});
    clock_.advance(10min);
    const auto position =
        append(id, ExecutionTimedOut{.error = "killed after 300 s", .duration_ms = 300000});
    EXPECT_EQ(state(id), (Row{"timeout", "NULL", micros(kT0), micros(kT0 + 10min), "300000",
                              "killed after 300 s", "NULL"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ExecutionSkippedKeepsTheReasonAsTheError) {
    const auto id = create();
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    clock_.advance(3min);
    const auto position = append(id, ExecutionSkipped{.reason = "already installed"});
    EXPECT_EQ(state(id), (Row{"skipped", micros(kT0), "NULL", micros(kT0 + 3min), "NULL",
                              "already installed", "NULL"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ExecutionSkippedWithoutReasonHasNoError) {
    const auto id = create();
    append(id, ExecutionStarted{});
    append(id, ExecutionSkipped{});
    EXPECT_EQ(state(id),
              (Row{"skipped", "NULL", micros(kT0), micros(kT0), "NULL", "NULL", "NULL"}));
}

TEST_F(ExecutionProjector, ExecutionExpiredFromPending) {
    const auto id = create();
    clock_.advance(2h);
    const auto position = append(id, ExecutionExpired{});
    EXPECT_EQ(state(id),
              (Row{"expired", "NULL", "NULL", micros(kT0 + 2h), "NULL", "NULL", "NULL"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ExecutionExpiredFromDispatched) {
    const auto id = create();
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    clock_.advance(2h);
    append(id, ExecutionExpired{});
    EXPECT_EQ(state(id),
              (Row{"expired", micros(kT0), "NULL", micros(kT0 + 2h), "NULL", "NULL", "NULL"}));
}

TEST_F(ExecutionProjector, ExecutionExpiredIsIgnoredOnceRunning) {
    const auto id = create();
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    append(id, ExecutionStarted{});
    expect_ignored(id, ExecutionExpired{});
    EXPECT_EQ(status(id), "running");
}

TEST_F(ExecutionProjector, ExecutionExpiredIsIgnoredOnceFinished) {
    const auto id = create();
    append(id, ExecutionCompleted{.duration_ms = 1});
    expect_ignored(id, ExecutionExpired{});
    EXPECT_EQ(status(id), "success");
}

TEST_F(ExecutionProjector, ALateDispatchAfterCompletionDoesNotMoveTheStatusBack) {
    const auto id = create();
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    append(id, ExecutionStarted{});
    const auto completed = append(id, ExecutionCompleted{.duration_ms = 10});
    expect_ignored(id, ExecutionDispatched{.device_id = "dev-1"});
    EXPECT_EQ(status(id), "success");
    EXPECT_EQ(version(id), text(completed));
}

TEST_F(ExecutionProjector, TheSendTimeIsTheGatewaysNotTheEventsTime) {
    const auto id = create();
    clock_.advance(5min);
    append(id, ExecutionDispatched{.device_id = "dev-1", .sent_at = kT0 + 1min});
    EXPECT_EQ(state(id),
              (Row{"dispatched", micros(kT0 + 1min), "NULL", "NULL", "NULL", "NULL", "NULL"}));
}

// An agent that answers at once: its result is recorded before the gateway's record of the
// send. The history still says when it was sent, and the send comes before the completion.
TEST_F(ExecutionProjector, ADispatchRecordedAfterTheResultStillSaysWhenItWasSent) {
    const auto id = create();
    clock_.advance(3min);
    append(id, ExecutionCompleted{.duration_ms = 4, .completed_at = kT0 + 2min});
    clock_.advance(1min);
    const auto position =
        append(id, ExecutionDispatched{.device_id = "dev-1", .sent_at = kT0 + 1min});
    EXPECT_EQ(state(id), (Row{"success", micros(kT0 + 1min), "NULL", micros(kT0 + 2min), "4",
                              "NULL", "NULL"}));
    EXPECT_EQ(version(id), text(position));
}

TEST_F(ExecutionProjector, ADispatchRecordedAfterTheStartKeepsItRunning) {
    const auto id = create();
    clock_.advance(2min);
    append(id, ExecutionStarted{});
    append(id, ExecutionDispatched{.device_id = "dev-1", .sent_at = kT0 + 1min});
    EXPECT_EQ(state(id), (Row{"running", micros(kT0 + 1min), micros(kT0 + 2min), "NULL", "NULL",
                              "NULL", "NULL"}));
}

TEST_F(ExecutionProjector, AResendAfterTheAnswerDoesNotReplaceTheSendThatWasAnswered) {
    const auto id = create();
    append(id, ExecutionDispatched{.device_id = "dev-1", .sent_at = kT0});
    clock_.advance(2min);
    append(id, ExecutionCompleted{.duration_ms = 4, .completed_at = kT0 + 1min});
    expect_ignored(id, ExecutionDispatched{.device_id = "dev-1", .sent_at = kT0 + 90s});
    EXPECT_EQ(state(id).at(1), micros(kT0));
}

TEST_F(ExecutionProjector, AnExpiredExecutionGetsNoSendTime) {
    const auto id = create();
    append(id, ExecutionExpired{});
    expect_ignored(id, ExecutionDispatched{.device_id = "dev-1", .sent_at = kT0});
}

TEST_F(ExecutionProjector, ALateStartAfterCompletionIsIgnored) {
    const auto id = create();
    append(id, ExecutionCompleted{.duration_ms = 10});
    expect_ignored(id, ExecutionStarted{});
    EXPECT_EQ(status(id), "success");
}

TEST_F(ExecutionProjector, ALateDispatchWhileRunningIsIgnored) {
    const auto id = create();
    append(id, ExecutionDispatched{.device_id = "dev-1"});
    append(id, ExecutionStarted{});
    expect_ignored(id, ExecutionDispatched{.device_id = "dev-1"});
    EXPECT_EQ(status(id), "running");
}

TEST_F(ExecutionProjector, AFinishedExecutionNeverChangesAgain) {
    const auto id = create();
    append(id, ExecutionFailed{.error = "boom", .duration_ms = 1});
    expect_ignored(id, ExecutionCompleted{.duration_ms = 2});
    expect_ignored(id, ExecutionTimedOut{.error = "late", .duration_ms = 3});
    expect_ignored(id, ExecutionSkipped{.reason = "late"});
    expect_ignored(id, ExecutionFailed{.error = "again", .duration_ms = 4});
    EXPECT_EQ(
        row("SELECT status, error, duration_ms FROM executions_projection WHERE id = $1", {id}),
        (Row{"failed", "boom", "1"}));
}

TEST_F(ExecutionProjector, AnExpiredExecutionNeverChangesAgain) {
    const auto id = create();
    append(id, ExecutionExpired{});
    expect_ignored(id, ExecutionDispatched{.device_id = "dev-1"});
    expect_ignored(id, ExecutionStarted{});
    expect_ignored(id, ExecutionCompleted{.duration_ms = 2});
    EXPECT_EQ(status(id), "expired");
}

TEST_F(ExecutionProjector, StepsMaySkipForwards) {
    const auto completed = create();
    clock_.advance(1min);
    append(completed, ExecutionCompleted{.duration_ms = 3});
    EXPECT_EQ(state(completed),
              (Row{"success", "NULL", "NULL", micros(kT0 + 1min), "3", "NULL", "NULL"}))
        << "a result without ExecutionStarted";
    const auto failed = create();
    append(failed, ExecutionFailed{.error = "no agent", .duration_ms = 0});
    EXPECT_EQ(status(failed), "failed") << "a failure straight from pending";
    const auto started = create();
    append(started, ExecutionStarted{});
    EXPECT_EQ(status(started), "running") << "a start without ExecutionDispatched";
}

TEST_F(ExecutionProjector, EveryStatusEventOfAnExecutionThatWasNeverCreatedIsRefused) {
    expect_refused_without_creation(
        ExecutionDispatched{.device_id = "d"}, ExecutionStarted{},
        ExecutionCompleted{.duration_ms = 1}, ExecutionFailed{.error = "e", .duration_ms = 1},
        ExecutionTimedOut{.error = "t", .duration_ms = 1}, ExecutionSkipped{}, ExecutionExpired{});
}

TEST_F(ExecutionProjector, OutputChunkAddsOneRowPerChunk) {
    const auto id = create();
    append(id, ExecutionStarted{});
    clock_.advance(1s);
    const auto p1 = append(id, OutputChunk{.stream = "stdout", .data = "line 1\n", .sequence = 1});
    clock_.advance(1s);
    const auto p2 = append(id, OutputChunk{.stream = "stderr", .data = "warn\n", .sequence = 1});
    clock_.advance(1s);
    const auto p3 = append(id, OutputChunk{.stream = "stdout", .data = "line 2\n", .sequence = 2});
    EXPECT_EQ(rows("SELECT execution_id, sequence, stream, data, " + us("created_at") +
                   ", projection_version FROM execution_output_projection "
                   "ORDER BY sequence, stream"),
              (std::vector<Row>{{id, "1", "stderr", "warn\n", micros(kT0 + 2s), text(p2)},
                                {id, "1", "stdout", "line 1\n", micros(kT0 + 1s), text(p1)},
                                {id, "2", "stdout", "line 2\n", micros(kT0 + 3s), text(p3)}}));
    EXPECT_EQ(status(id), "running") << "output does not move the status";
}

TEST_F(ExecutionProjector, AChunkSentTwiceIsKeptOnce) {
    const auto id = create();
    const auto first = append(id, OutputChunk{.stream = "stdout", .data = "once\n", .sequence = 1});
    clock_.advance(1s);
    append(id, OutputChunk{.stream = "stdout", .data = "once\n", .sequence = 1});
    EXPECT_EQ(rows("SELECT sequence, stream, data, " + us("created_at") +
                   ", projection_version FROM execution_output_projection"),
              (std::vector<Row>{{"1", "stdout", "once\n", micros(kT0), text(first)}}));
}

TEST_F(ExecutionProjector, ReplayingACompletionDoesNotChangeTheRow) {
    const auto id = create();
    append(id, ExecutionStarted{});
    const auto completed =
        append(id, ExecutionCompleted{.duration_ms = 10, .output = output("x", 0)});
    const auto before = snapshot();
    EXPECT_EQ(reproject(completed), "ExecutionCompleted");
    EXPECT_EQ(snapshot(), before);
}

TEST_F(ExecutionProjector, ReplayingTheWholeExecutionHistoryChangesNothing) {
    const auto a = create();
    append(a, ExecutionDispatched{.device_id = "dev-1"});
    append(a, ExecutionDispatched{.device_id = "dev-1"});
    append(a, ExecutionStarted{});
    append(a, OutputChunk{.stream = "stdout", .data = "1", .sequence = 1});
    append(a, OutputChunk{.stream = "stdout", .data = "1", .sequence = 1});
    append(a, ExecutionCompleted{.duration_ms = 10, .output = output("1", 0)});
    append(a, ExecutionDispatched{.device_id = "dev-1"});
    const auto b = create();
    append(b, ExecutionFailed{.error = "e", .duration_ms = 1});
    const auto c = create();
    append(c, ExecutionTimedOut{.error = "t", .duration_ms = 1});
    const auto d = create();
    append(d, ExecutionSkipped{.reason = "r"});
    const auto e = create();
    append(e, ExecutionExpired{});
    const auto before = snapshot();
    EXPECT_EQ(reproject_all(), 16u);
    EXPECT_EQ(snapshot(), before);
}

}  // namespace
