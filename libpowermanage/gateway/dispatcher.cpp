// Delivery of executions to the agents this gateway holds. The database is the truth: hints
// (NOTIFY), agent connections and the sweep only say when to look.
#include <boost/json.hpp>
#include <fmt/format.h>

#include <powermanage/common/base64.hpp>
#include <powermanage/contract/action_params.hpp>
#include <powermanage/db/text_array.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/events.hpp>

#include "gateway/agent_service_impl.hpp"

namespace pm::gateway {

namespace es = pm::eventstore;

namespace {

constexpr std::size_t kMaxRememberedPerStream = 4096;

constexpr const char* kPendingColumns =
    "id, device_id, action_type, desired_state, timeout_seconds, params::text, "
    "translate(encode(signature, 'base64'), E'\\n', ''), params_canonical, status";

// A text[] literal of ids (ULIDs: no quoting needed, but quote anyway for safety).

std::vector<PendingExecution> read_pending(const db::Result& rows, UlidGenerator& ids) {
    std::vector<PendingExecution> out;
    for (int i = 0; i < rows.rows(); ++i) {
        auto message = std::make_shared<pm::v1::ServerMessage>();
        message->set_id(ids.next_string());
        std::optional<std::string> signature;
        if (!rows.is_null(i, 6)) {
            signature = pm::base64_decode(rows.text(i, 6)).value_or(std::string());
        }
        std::optional<std::string> canonical;
        if (!rows.is_null(i, 7)) {
            canonical = std::string(rows.text(i, 7));
        }
        *message->mutable_action()->mutable_action() =
            action_of(std::string(rows.text(i, 0)), static_cast<int>(rows.int64(i, 2)),
                      static_cast<int>(rows.int64(i, 3)), static_cast<int>(rows.int64(i, 4)),
                      std::string(rows.text(i, 5)), signature, canonical);
        out.push_back(PendingExecution{std::string(rows.text(i, 0)), std::string(rows.text(i, 1)),
                                       std::move(message), rows.text(i, 8) == "pending"});
    }
    return out;
}

}  // namespace

pm::v1::Action action_of(const std::string& id, int action_type, int desired_state,
                         int timeout_seconds, const std::string& params_json,
                         const std::optional<std::string>& signature,
                         const std::optional<std::string>& params_canonical) {
    pm::v1::Action action;
    // For a dispatch, the execution id, so that the agent's ActionResult names the execution
    // it completes.
    action.mutable_id()->set_value(id);
    action.set_type(static_cast<pm::v1::ActionType>(action_type));
    action.set_desired_state(static_cast<pm::v1::DesiredState>(desired_state));
    action.set_timeout_seconds(timeout_seconds);
    try {
        contract::params_from_json(boost::json::parse(params_json).as_object(), action_type,
                                   action);
    } catch (const std::exception&) {
        // Params that no longer fit the contract still go out as their signed bytes; the agent
        // refuses what it cannot run.
    }
    if (signature && params_canonical) {
        action.set_signature(*signature);
        action.set_params_canonical(*params_canonical);
    }
    return action;
}

std::vector<PendingExecution> AgentService::Impl::pending_for_devices(
    const std::vector<std::string>& devices) {
    std::vector<PendingExecution> out;
    for (std::size_t begin = 0; begin < devices.size(); begin += 1000) {
        const std::vector<std::string> chunk(
            devices.begin() + static_cast<std::ptrdiff_t>(begin),
            devices.begin() + static_cast<std::ptrdiff_t>(std::min(devices.size(), begin + 1000)));
        db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
            auto rows = tx.exec(fmt::format("SELECT {} FROM executions_projection "
                                            "WHERE device_id = ANY ($1::text[]) "
                                            "AND status IN ('pending', 'dispatched') "
                                            "AND (expires_at IS NULL OR expires_at > now()) "
                                            "ORDER BY created_at, id",
                                            kPendingColumns),
                                {db::text_array_literal(chunk)});
            auto part = read_pending(rows, ids_);
            std::move(part.begin(), part.end(), std::back_inserter(out));
        });
    }
    return out;
}

std::vector<PendingExecution> AgentService::Impl::pending_by_ids(
    const std::vector<std::string>& ids) {
    std::vector<PendingExecution> out;
    db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
        auto rows = tx.exec(fmt::format("SELECT {} FROM executions_projection "
                                        "WHERE id = ANY ($1::text[]) AND status = 'pending' "
                                        "AND (expires_at IS NULL OR expires_at > now()) "
                                        "ORDER BY created_at, id",
                                        kPendingColumns),
                            {db::text_array_literal(ids)});
        out = read_pending(rows, ids_);
    });
    return out;
}

void AgentService::Impl::deliver(std::vector<PendingExecution> executions) {
    std::vector<std::future<es::AppendResult>> recorded;
    for (auto& execution : executions) {
        auto session = connections_.find(execution.device_id);
        if (!session) {
            continue;  // another gateway's agent, or offline: it gets it when it connects
        }
        {
            std::lock_guard lock(sent_mutex_);
            auto& sent = sent_[session->id()];
            // Bounded: a stream that lives for months must not remember every execution. After
            // a reset, an execution the agent has not answered yet may be sent once more.
            if (sent.size() >= kMaxRememberedPerStream) {
                sent.clear();
            }
            if (!sent.insert(execution.id).second) {
                continue;  // already on this stream
            }
        }
        // Taken before the send: the agent may answer, and its result be recorded, before the
        // ExecutionDispatched below is.
        const auto sent_at = clock_.now();
        const auto routed = connections_.route(execution.device_id, execution.message);
        if (routed == RouteResult::offline) {
            continue;
        }
        ++dispatched_;
        if (execution.pending) {
            recorded.push_back(store_.append_async(
                {std::string(es::kExecutionStream), execution.id}, es::ExpectedVersion::any(),
                {es::NewEvent::of(
                    es::ExecutionDispatched{execution.device_id, options_.gateway_id, sent_at})},
                db::Actor::system("gateway")));
        }
    }
    for (auto& r : recorded) {
        try {
            r.get();
        } catch (const std::exception& error) {
            logger_.warn("cannot record a dispatch", {{"error", error.what()}});
        }
    }
}

void AgentService::Impl::on_hint(const std::string& payload) {
    ++hints_;
    std::vector<std::string> ids;
    std::size_t start = 0;
    while (start < payload.size()) {
        auto end = payload.find(',', start);
        if (end == std::string::npos) {
            end = payload.size();
        }
        if (end > start) {
            ids.push_back(payload.substr(start, end - start));
        }
        start = end + 1;
    }
    if (ids.empty()) {
        return;
    }
    auto self = shared_from_this();
    workers_.post(
        [self, ids = std::move(ids)] { self->deliver(self->pending_by_ids(ids)); },
        [self](std::exception_ptr error) {
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& e) {
                self->logger_.warn("cannot deliver hinted executions", {{"error", e.what()}});
            }
        });
}

void AgentService::Impl::sweep() {
    deliver(pending_for_devices(connections_.devices()));
    // Expire what waited too long. Only pending ones: a dispatched execution is the agent's.
    std::vector<std::string> expired;
    db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
        auto rows = tx.exec(
            "SELECT id FROM executions_projection WHERE status = 'pending' "
            "AND expires_at < now() ORDER BY expires_at LIMIT 1000");
        for (int i = 0; i < rows.rows(); ++i) {
            expired.emplace_back(rows.text(i, 0));
        }
    });
    std::vector<std::future<es::AppendResult>> appends;
    for (const auto& id : expired) {
        // Version 1 expected: another gateway expiring it too, or a late dispatch, wins.
        appends.push_back(store_.append_async(
            {std::string(es::kExecutionStream), id}, es::ExpectedVersion::exactly(1),
            {es::NewEvent::of(es::ExecutionExpired{})}, db::Actor::system("gateway")));
    }
    for (auto& a : appends) {
        try {
            a.get();
        } catch (const es::VersionConflict&) {
            // someone else moved it on first
        }
    }
}

void AgentService::Impl::forget_session(std::uint64_t session_id) {
    std::lock_guard lock(sent_mutex_);
    sent_.erase(session_id);
}

}  // namespace pm::gateway
