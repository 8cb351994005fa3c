#pragma once
/// @file
/// @brief Creating executions: the one implementation behind DispatchAction, DispatchToMultiple
/// and the configured dispatches (DispatchAssignedActions, DispatchActionSet,
/// DispatchDefinition). Implemented in executions.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "control/service_impl.hpp"
#include "pm/v1/control.pb.h"

namespace pm::control {

/// What an execution runs: a stored action's definition or an inline one.
struct Runnable {
    std::optional<std::string> action_id;  ///< the stored action; empty for inline actions
    std::int32_t action_type = 0;          ///< pm.v1.ActionType number
    std::int32_t desired_state = 0;        ///< pm.v1.DesiredState number
    boost::json::object params;            ///< proto3 JSON of the params
    std::int32_t timeout_seconds = 0;      ///< 0 or less runs with the default limit
};

/// One execution to create: what runs where.
struct DispatchItem {
    std::string device_id;  ///< the device it runs on
    Runnable runnable;      ///< what it runs
};

/// The stored live action `action_id` as a runnable with `desired_state`, read in `tx`;
/// nullopt if it does not exist or is deleted.
std::optional<Runnable> stored_runnable(db::Transaction& tx, const std::string& action_id,
                                        std::int32_t desired_state);

/// The executions a dispatch appended.
struct CreatedExecutions {
    std::vector<std::string> ids;    ///< execution ids, in item order
    std::int64_t last_position = 0;  ///< for EventStore::notify_appended() after the commit
};

/// Appends one execution per item in `tx` (which must not have written yet) acting for the
/// caller, each signed for its own id (the gateway sends the execution id as Action.id, so
/// the agent verifies `<execution id>:<type>:<base64(params_canonical)>`). Lets the caller
/// check, create and read back in one transaction; call announce() after the commit.
CreatedExecutions append_executions(ControlService::Impl& impl, const Call& call,
                                    db::Transaction& tx, const std::vector<DispatchItem>& items);

/// Sends the gateways' wake-up hints for `created` (ids only, one NOTIFY per 250) and the event
/// store's, after the commit and outside the appending transaction. Never throws: hints are
/// only hints.
void announce(ControlService::Impl& impl, const CreatedExecutions& created);

/// append_executions() in a transaction of its own, then announce(). Returns the execution
/// ids in item order.
std::vector<std::string> create_executions(ControlService::Impl& impl, const Call& call,
                                           const std::vector<DispatchItem>& items);

/// Appends the executions `ids` (in that order) as `tx` sees them to `out`.
void load_executions(db::Transaction& tx, const std::vector<std::string>& ids,
                     google::protobuf::RepeatedPtrField<pm::v1::ActionExecution>* out);

/// load_executions() in a transaction of its own acting for the caller.
void load_executions(ControlService::Impl& impl, const Call& call,
                     const std::vector<std::string>& ids,
                     google::protobuf::RepeatedPtrField<pm::v1::ActionExecution>* out);

}  // namespace pm::control
