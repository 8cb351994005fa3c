// What agents report, recorded as events: who connected (admission at Hello), results, live
// output and security alerts. Blocking database work; runs on the service's workers.
#include <google/protobuf/util/time_util.h>

#include <powermanage/common/utf8.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/events.hpp>

#include "gateway/agent_service_impl.hpp"

namespace pm::gateway {

namespace es = pm::eventstore;

namespace {

es::StreamId device_stream(const std::string& id) {
    return {std::string(es::kDeviceStream), id};
}
es::StreamId execution_stream(const std::string& id) {
    return {std::string(es::kExecutionStream), id};
}

// What an agent sends, made storable and bounded: valid UTF-8 without NUL (script output is
// bytes, and PostgreSQL's jsonb refuses the rest, which would lose the whole record), cut at
// `limit` bytes.
std::string bounded(const std::string& bytes, std::size_t limit) {
    std::string text = valid_utf8_text(bytes);
    if (text.size() <= limit) {
        return text;
    }
    // Cut at a UTF-8 character boundary, so the JSON stays valid text.
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return text.substr(0, cut) + "\n[truncated by the gateway]";
}

}  // namespace

Admission AgentService::Impl::admit(const std::string& device_id,
                                    const std::string& certificate_serial) {
    Admission admission;
    db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
        auto rows = tx.exec(
            "SELECT d.is_deleted, c.serial IS NOT NULL, c.revoked_at IS NOT NULL, "
            "       c.not_after < now() "
            "FROM devices_projection d LEFT JOIN device_certificates_projection c "
            "  ON c.serial = $2 AND c.device_id = d.id "
            "WHERE d.id = $1",
            {device_id, certificate_serial});
        if (rows.rows() == 0) {
            admission.reason = "unknown device " + device_id + "; register it first";
        } else if (rows.boolean(0, 0)) {
            admission.reason = "device " + device_id + " was deleted; register it again";
        } else if (!certificate_serial.empty() && !rows.boolean(0, 1)) {
            admission.reason = "this certificate was not issued to device " + device_id;
        } else if (!certificate_serial.empty() && rows.boolean(0, 2)) {
            admission.reason = "this certificate of device " + device_id + " is revoked";
        } else if (!certificate_serial.empty() && rows.boolean(0, 3)) {
            admission.reason = "this certificate of device " + device_id + " has expired";
        } else {
            admission.admitted = true;
        }
    });
    return admission;
}

void AgentService::Impl::record_connected(const std::string& device_id,
                                          const pm::v1::Hello& hello) {
    try {
        if (hello.agent_version().empty() || hello.hostname().empty()) {
            // DeviceConnected needs both; a heartbeat records whatever the agent did say.
            es::DeviceHeartbeat heartbeat;
            if (!hello.agent_version().empty())
                heartbeat.agent_version = hello.agent_version();
            if (!hello.hostname().empty())
                heartbeat.hostname = hello.hostname();
            store_.append(device_stream(device_id), es::ExpectedVersion::any(),
                          {es::NewEvent::of(heartbeat)}, db::Actor::device(device_id));
            return;
        }
        store_.append(device_stream(device_id), es::ExpectedVersion::any(),
                      {es::NewEvent::of(es::DeviceConnected{hello.agent_version(), hello.hostname(),
                                                            options_.gateway_id})},
                      db::Actor::device(device_id));
    } catch (const std::exception& error) {
        logger_.warn("cannot record a connection",
                     {{"device", device_id}, {"error", error.what()}});
    }
}

void AgentService::Impl::record_disconnected(const std::string& device_id,
                                             const std::string& reason) {
    try {
        store_.append(device_stream(device_id), es::ExpectedVersion::any(),
                      {es::NewEvent::of(es::DeviceDisconnected{reason})},
                      db::Actor::device(device_id));
    } catch (const std::exception& error) {
        logger_.warn("cannot record a disconnection",
                     {{"device", device_id}, {"error", error.what()}});
    }
}

void AgentService::Impl::record_result(const std::string& device_id,
                                       const pm::v1::ActionResult& result) {
    // The agent names the execution it was sent (our Action.id), or, for work it scheduled
    // itself, the stored action: then the device's newest open execution of that action.
    const std::string& named = result.action_id().value();
    std::string execution_id;
    db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
        auto rows = tx.exec(
            "SELECT id FROM executions_projection WHERE device_id = $2 AND (id = $1 OR "
            "(action_id = $1 AND status IN ('pending', 'dispatched', 'running'))) "
            "ORDER BY (id = $1) DESC, created_at DESC LIMIT 1",
            {named, device_id});
        if (rows.rows() == 1) {
            execution_id = std::string(rows.text(0, 0));
        }
    });
    if (execution_id.empty()) {
        logger_.info("result for no known execution of this device; ignored",
                     {{"device", device_id}, {"action_id", named}});
        return;
    }
    std::optional<es::Timestamp> completed_at;
    if (result.has_completed_at()) {
        completed_at = es::Timestamp(std::chrono::duration_cast<es::Timestamp::duration>(
            std::chrono::seconds(result.completed_at().seconds()) +
            std::chrono::nanoseconds(result.completed_at().nanos())));
    }
    std::optional<boost::json::object> output;
    if (result.has_output()) {
        output = boost::json::object{
            {"stdout", bounded(result.output().stdout(), options_.max_result_output_bytes)},
            {"stderr", bounded(result.output().stderr(), options_.max_result_output_bytes)},
            {"exit_code", result.output().exit_code()}};
    }
    es::NewEvent event;
    switch (result.status()) {
        case pm::v1::EXECUTION_STATUS_SUCCESS:
            event = es::NewEvent::of(
                es::ExecutionCompleted{result.duration_ms(), completed_at, output});
            break;
        case pm::v1::EXECUTION_STATUS_FAILED:
            event = es::NewEvent::of(es::ExecutionFailed{
                valid_utf8_text(result.error()), result.duration_ms(), completed_at, output});
            break;
        case pm::v1::EXECUTION_STATUS_TIMEOUT:
            event = es::NewEvent::of(es::ExecutionTimedOut{
                valid_utf8_text(result.error()), result.duration_ms(), completed_at, output});
            break;
        case pm::v1::EXECUTION_STATUS_SKIPPED:
            event = es::NewEvent::of(es::ExecutionSkipped{
                result.error().empty()
                    ? std::nullopt
                    : std::optional<std::string>(valid_utf8_text(result.error()))});
            break;
        case pm::v1::EXECUTION_STATUS_RUNNING:
            event = es::NewEvent::of(es::ExecutionStarted{});
            break;
        default:
            return;  // PENDING or unset says nothing new
    }
    store_.append(execution_stream(execution_id), es::ExpectedVersion::any(), {std::move(event)},
                  db::Actor::device(device_id));
    ++results_;
}

bool AgentService::Impl::record_output(const std::string& device_id,
                                       const pm::v1::OutputChunk& chunk) {
    const bool ours = db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
        return tx.exec(
                     "SELECT 1 FROM executions_projection WHERE id = $1 AND device_id = $2 "
                     "AND status IN ('pending', 'dispatched', 'running')",
                     {chunk.execution_id(), device_id})
                   .rows() == 1;
    });
    if (!ours) {
        return false;
    }
    const std::string stream =
        chunk.stream() == pm::v1::OUTPUT_STREAM_TYPE_STDERR ? "stderr" : "stdout";
    store_.append(
        execution_stream(chunk.execution_id()), es::ExpectedVersion::any(),
        {es::NewEvent::of(es::OutputChunk{
            stream, bounded(chunk.data(), options_.max_output_chunk_bytes), chunk.sequence()})},
        db::Actor::device(device_id));
    return true;
}

void AgentService::Impl::record_alert(const std::string& device_id,
                                      const pm::v1::SecurityAlert& alert) {
    boost::json::object details;
    std::size_t kept = 0;
    for (const auto& [key, value] : alert.details()) {
        if (++kept > 64) {
            break;  // the contract allows no more keys than that in practice; bound the event
        }
        details[bounded(key, 64)] = bounded(value, 1024);
    }
    store_.append(device_stream(device_id), es::ExpectedVersion::any(),
                  {es::NewEvent::of(
                      es::SecurityAlert{std::string(pm::v1::SecurityAlertType_Name(alert.type())),
                                        bounded(alert.message(), 1024), std::move(details)})},
                  db::Actor::device(device_id));
}

}  // namespace pm::gateway
