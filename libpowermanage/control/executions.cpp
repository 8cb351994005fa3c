// Dispatch and executions. An execution exists durably (ExecutionCreated committed) before any
// gateway hears of it; the NOTIFY that follows carries ids only and is a wake-up hint, so a lost
// hint delays delivery until the agent reconnects or the gateway's sweep, but loses nothing.
#include <boost/json.hpp>
#include <fmt/format.h>

#include <powermanage/common/base64.hpp>
#include <powermanage/common/time.hpp>
#include <powermanage/contract/action_params.hpp>
#include <powermanage/eventstore/events.hpp>

#include "control/dispatch.hpp"
#include "control/domains.hpp"
#include "control/records.hpp"
#include "control/service_impl.hpp"

namespace pm::control {

namespace es = pm::eventstore;

namespace {

// Timeouts of 0 (unset) run with the agent's usual limit, as in the reference.
constexpr std::int32_t kDefaultTimeoutSeconds = 300;

// pm.v1.ExecutionStatus for a projection status. The contract has no "dispatched" or "expired":
// dispatched is still pending from the caller's point of view; an expired execution never ran.
pm::v1::ExecutionStatus to_status(std::string_view status) {
    if (status == "pending" || status == "dispatched")
        return pm::v1::EXECUTION_STATUS_PENDING;
    if (status == "running")
        return pm::v1::EXECUTION_STATUS_RUNNING;
    if (status == "success")
        return pm::v1::EXECUTION_STATUS_SUCCESS;
    if (status == "failed" || status == "expired")
        return pm::v1::EXECUTION_STATUS_FAILED;
    if (status == "timeout")
        return pm::v1::EXECUTION_STATUS_TIMEOUT;
    if (status == "skipped")
        return pm::v1::EXECUTION_STATUS_SKIPPED;
    return pm::v1::EXECUTION_STATUS_UNSPECIFIED;
}

// The projection statuses a status filter selects.
std::string statuses_for(pm::v1::ExecutionStatus filter) {
    switch (filter) {
        case pm::v1::EXECUTION_STATUS_PENDING:
            return "{pending,dispatched}";
        case pm::v1::EXECUTION_STATUS_RUNNING:
            return "{running}";
        case pm::v1::EXECUTION_STATUS_SUCCESS:
            return "{success}";
        case pm::v1::EXECUTION_STATUS_FAILED:
            return "{failed,expired}";
        case pm::v1::EXECUTION_STATUS_TIMEOUT:
            return "{timeout}";
        case pm::v1::EXECUTION_STATUS_SKIPPED:
            return "{skipped}";
        default:
            return {};
    }
}

const std::string& execution_columns() {
    static const std::string columns =
        "id, device_id, coalesce(action_id, '') AS action_id, action_type, status, "
        "coalesce(error, '') AS error, output::text AS output, created_by_id, " +
        epoch_us("created_at") + " AS created_at, " + epoch_us("dispatched_at") +
        " AS dispatched_at, " + epoch_us("completed_at") + " AS completed_at, " +
        "coalesce(duration_ms, 0) AS duration_ms";
    return columns;
}

void read_output(std::string_view json, pm::v1::CommandOutput* out) {
    auto value = boost::json::parse(json);
    if (!value.is_object()) {
        return;
    }
    const auto& o = value.as_object();
    if (auto* v = o.if_contains("stdout"); v && v->is_string()) {
        out->set_stdout(std::string(v->as_string()));
    }
    if (auto* v = o.if_contains("stderr"); v && v->is_string()) {
        out->set_stderr(std::string(v->as_string()));
    }
    if (auto* v = o.if_contains("exit_code"); v && v->is_int64()) {
        out->set_exit_code(static_cast<std::int32_t>(v->as_int64()));
    }
}

void read_execution(const db::Result& rows, int row, pm::v1::ActionExecution* out) {
    out->set_id(std::string(rows.text(row, 0)));
    out->set_device_id(std::string(rows.text(row, 1)));
    out->set_action_id(std::string(rows.text(row, 2)));
    out->set_type(static_cast<pm::v1::ActionType>(rows.int64(row, 3)));
    const auto status = rows.text(row, 4);
    out->set_status(to_status(status));
    out->set_error(std::string(rows.text(row, 5)));
    if (status == "expired" && out->error().empty()) {
        out->set_error("expired: the device did not connect before the execution's deadline");
    }
    if (!rows.is_null(row, 6)) {
        read_output(rows.text(row, 6), out->mutable_output());
    }
    out->set_created_by(std::string(rows.text(row, 7)));
    if (!rows.is_null(row, 8))
        set_timestamp(out->mutable_created_at(), rows.int64(row, 8));
    if (!rows.is_null(row, 9))
        set_timestamp(out->mutable_dispatched_at(), rows.int64(row, 9));
    if (!rows.is_null(row, 10))
        set_timestamp(out->mutable_completed_at(), rows.int64(row, 10));
    out->set_duration_ms(rows.int64(row, 11));
}

template <class Request>
Runnable runnable_of(ControlService::Impl& impl, const Call& call, const Request& request) {
    Runnable r;
    if (request.has_inline_action()) {
        const auto& action = request.inline_action();
        r.action_type = action.type();
        r.desired_state = action.desired_state();
        try {
            r.params = contract::params_to_json(action);
        } catch (const std::invalid_argument& error) {
            fail(rpc::Code::invalid_argument, error.what());
        }
        r.timeout_seconds = action.timeout_seconds();
    } else if (!request.action_id().empty()) {
        auto stored = impl.read(call, [&](db::Transaction& tx) {
            return stored_runnable(tx, request.action_id(), pm::v1::DESIRED_STATE_PRESENT);
        });
        if (!stored) {
            fail(rpc::Code::not_found, "action not found");
        }
        r = std::move(*stored);
    } else {
        fail(rpc::Code::invalid_argument, "either action_id or inline_action is required");
    }
    if (r.timeout_seconds <= 0) {
        r.timeout_seconds = kDefaultTimeoutSeconds;
    }
    return r;
}

}  // namespace

std::optional<Runnable> stored_runnable(db::Transaction& tx, const std::string& action_id,
                                        std::int32_t desired_state) {
    auto found = tx.exec(
        "SELECT action_type, params::text, timeout_seconds FROM actions_projection "
        "WHERE id = $1 AND NOT is_deleted",
        {action_id});
    if (found.rows() == 0) {
        return std::nullopt;
    }
    Runnable r;
    r.action_id = action_id;
    r.action_type = static_cast<std::int32_t>(found.int64(0, 0));
    r.desired_state = desired_state;
    r.params = boost::json::parse(found.text(0, 1)).as_object();
    r.timeout_seconds = static_cast<std::int32_t>(found.int64(0, 2));
    return r;
}

CreatedExecutions append_executions(ControlService::Impl& impl, const Call& call,
                                    db::Transaction& tx, const std::vector<DispatchItem>& items) {
    CreatedExecutions created;
    if (items.empty()) {
        return created;
    }
    const auto expires = std::chrono::time_point_cast<std::chrono::seconds>(
        impl.clock_.now() + impl.options_.execution_expiry);
    Changes changes;
    changes.reserve(items.size());
    for (const auto& item : items) {
        const Runnable& runnable = item.runnable;
        es::ExecutionCreated event;
        event.device_id = item.device_id;
        event.action_id = runnable.action_id;
        event.action_type = runnable.action_type;
        event.desired_state = runnable.desired_state;
        event.params = runnable.params;
        event.timeout_seconds =
            runnable.timeout_seconds > 0 ? runnable.timeout_seconds : kDefaultTimeoutSeconds;
        event.expires_at = expires;
        created.ids.push_back(impl.ids_.next_string());
        // Signed per execution: agents verify "<Action.id>:<type>:<params>", and the gateway
        // sends the execution id as Action.id so that results name the execution.
        event.params_canonical = boost::json::serialize(runnable.params);
        event.signature = pm::base64_encode(impl.authority_.sign_action(
            created.ids.back(), runnable.action_type, *event.params_canonical));
        changes.push_back({{std::string(es::kExecutionStream), created.ids.back()},
                           es::ExpectedVersion::no_stream(),
                           {es::NewEvent::of(event)}});
    }
    created.last_position = impl.append_in(call, tx, changes, "execution already exists");
    return created;
}

void announce(ControlService::Impl& impl, const CreatedExecutions& created) {
    if (created.ids.empty()) {
        return;
    }
    // After the commit, from a transaction of its own: a NOTIFY inside the appending
    // transaction would hold PostgreSQL's cluster-wide notify lock through the commit's fsync
    // (design brief, decision 2). Ids only (26 characters): 250 of them and their commas stay
    // below NOTIFY's 8000-byte payload limit. Only a hint: a gateway also reads pending
    // executions when an agent connects, after its LISTEN connection returns, and on a timer.
    constexpr std::size_t kIdsPerHint = 250;
    try {
        auto conn = impl.pool_.acquire();
        for (std::size_t i = 0; i < created.ids.size(); i += kIdsPerHint) {
            const auto last = std::min(created.ids.size(), i + kIdsPerHint);
            std::string payload;
            for (std::size_t j = i; j < last; ++j) {
                payload += (payload.empty() ? "" : ",") + created.ids[j];
            }
            conn->exec("SELECT pg_notify($1, $2)", {std::string(es::kDispatchChannel), payload});
        }
    } catch (const std::exception&) {
        // The executions are stored: the gateways' sweep delivers them without the hint.
    }
    impl.store_.notify_appended(created.last_position);
}

std::vector<std::string> create_executions(ControlService::Impl& impl, const Call& call,
                                           const std::vector<DispatchItem>& items) {
    auto created = impl.read(
        call, [&](db::Transaction& tx) { return append_executions(impl, call, tx, items); });
    announce(impl, created);
    return std::move(created.ids);
}

void load_executions(db::Transaction& tx, const std::vector<std::string>& ids,
                     google::protobuf::RepeatedPtrField<pm::v1::ActionExecution>* out) {
    if (ids.empty()) {
        return;
    }
    auto rows = tx.exec("SELECT " + execution_columns() +
                            " FROM executions_projection WHERE id = ANY ($1::text[]) "
                            "ORDER BY array_position($1::text[], id)",
                        {"{" + fmt::format("{}", fmt::join(ids, ",")) + "}"});
    for (int i = 0; i < rows.rows(); ++i) {
        read_execution(rows, i, out->Add());
    }
}

void load_executions(ControlService::Impl& impl, const Call& call,
                     const std::vector<std::string>& ids,
                     google::protobuf::RepeatedPtrField<pm::v1::ActionExecution>* out) {
    impl.read(call, [&](db::Transaction& tx) { load_executions(tx, ids, out); });
}

pm::v1::DispatchActionResponse Executions::dispatch_action(
    Call& call, const pm::v1::DispatchActionRequest& request) {
    const bool live = service_.read(call, [&](db::Transaction& tx) {
        return live_version(tx, "devices_projection", es::kDeviceStream, request.device_id())
            .has_value();
    });
    if (!live) {
        fail(rpc::Code::not_found, "device not found");
    }
    const Runnable runnable = runnable_of(service_, call, request);
    const auto ids = create_executions(service_, call, {{request.device_id(), runnable}});
    google::protobuf::RepeatedPtrField<pm::v1::ActionExecution> executions;
    load_executions(service_, call, ids, &executions);
    pm::v1::DispatchActionResponse response;
    if (!executions.empty()) {
        *response.mutable_execution() = std::move(executions[0]);
    }
    return response;
}

pm::v1::DispatchToMultipleResponse Executions::dispatch_to_multiple(
    Call& call, const pm::v1::DispatchToMultipleRequest& request) {
    std::vector<std::string> devices(request.device_ids().begin(), request.device_ids().end());
    std::sort(devices.begin(), devices.end());
    devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
    // All or nothing: an unknown device refuses the whole request, so the caller never has to
    // work out which half of a fleet got the action.
    std::vector<std::string> missing;
    service_.read(call, [&](db::Transaction& tx) {
        std::string array = "{" + fmt::format("{}", fmt::join(devices, ",")) + "}";
        auto rows = tx.exec(
            "SELECT d FROM unnest($1::text[]) AS d WHERE d NOT IN "
            "(SELECT id FROM devices_projection WHERE NOT is_deleted) ORDER BY d",
            {array});
        for (int i = 0; i < rows.rows(); ++i) {
            missing.emplace_back(rows.text(i, 0));
        }
    });
    if (!missing.empty()) {
        fail(rpc::Code::not_found,
             fmt::format("device{} not found: {}; nothing was dispatched",
                         missing.size() == 1 ? "" : "s", fmt::join(missing, ", ")));
    }
    const Runnable runnable = runnable_of(service_, call, request);
    std::vector<DispatchItem> items;
    items.reserve(devices.size());
    for (const auto& device : devices) {
        items.push_back({device, runnable});
    }
    const auto ids = create_executions(service_, call, items);
    pm::v1::DispatchToMultipleResponse response;
    load_executions(service_, call, ids, response.mutable_executions());
    return response;
}

pm::v1::GetExecutionResponse Executions::get_execution(Call& call,
                                                       const pm::v1::GetExecutionRequest& request) {
    pm::v1::GetExecutionResponse response;
    const bool found = service_.read(call, [&](db::Transaction& tx) {
        auto rows =
            tx.exec("SELECT " + execution_columns() + " FROM executions_projection WHERE id = $1",
                    {request.id()});
        if (rows.rows() == 0) {
            return false;
        }
        auto* execution = response.mutable_execution();
        read_execution(rows, 0, execution);
        // Live output: what the agent streamed so far, in order, per stream.
        auto chunks = tx.exec(
            "SELECT stream, string_agg(data, '' ORDER BY sequence) FROM "
            "execution_output_projection WHERE execution_id = $1 GROUP BY stream",
            {request.id()});
        for (int i = 0; i < chunks.rows(); ++i) {
            if (chunks.text(i, 0) == "stdout") {
                execution->mutable_live_output()->set_stdout(std::string(chunks.text(i, 1)));
            } else {
                execution->mutable_live_output()->set_stderr(std::string(chunks.text(i, 1)));
            }
        }
        return true;
    });
    if (!found) {
        fail(rpc::Code::not_found, "execution not found");
    }
    return response;
}

pm::v1::ListExecutionsResponse Executions::list_executions(
    Call& call, const pm::v1::ListExecutionsRequest& request) {
    const Page page = parse_page(request.page_size(), request.page_token());
    std::vector<db::Param> params;
    auto param = [&](std::string value) {
        params.emplace_back(std::move(value));
        return "$" + std::to_string(params.size());
    };
    std::string where = "true";
    if (!request.device_id().empty()) {
        where += " AND e.device_id = " + param(request.device_id());
    }
    if (const auto statuses = statuses_for(request.status_filter()); !statuses.empty()) {
        where += " AND e.status = ANY (" + param(statuses) + "::text[])";
    }
    if (call.scoped()) {
        where += call.role == "device"
                     ? " AND e.device_id = " + param(call.caller_id)
                     : " AND e.device_id IN (SELECT id FROM devices_projection WHERE "
                       "assigned_user_id = " +
                           param(call.caller_id) + ")";
    }
    pm::v1::ListExecutionsResponse response;
    service_.read(call, [&](db::Transaction& tx) {
        auto total = tx.exec("SELECT count(*) FROM executions_projection e WHERE " + where, params);
        const std::string limit = param(std::to_string(page.limit));
        const std::string offset = param(std::to_string(page.offset));
        auto rows = tx.exec(fmt::format("SELECT {} FROM executions_projection e WHERE {} "
                                        "ORDER BY e.created_at DESC, e.id DESC LIMIT {} OFFSET {}",
                                        execution_columns(), where, limit, offset),
                            params);
        for (int i = 0; i < rows.rows(); ++i) {
            read_execution(rows, i, response.add_executions());
        }
        response.set_total_count(static_cast<std::int32_t>(total.int64(0, 0)));
        response.set_next_page_token(page.next_token(total.int64(0, 0)));
    });
    return response;
}

}  // namespace pm::control
