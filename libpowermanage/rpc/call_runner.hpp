#pragma once

// Runs one call's code under its deadline: the identity check, the interceptors in order, the
// handler; maps exceptions to statuses. Shared by every protocol.

#include <chrono>
#include <functional>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/service.hpp>
#include <powermanage/rpc/status.hpp>

namespace pm::rpc::detail {

class Router;

/// Runs the interceptors and then `handler`, unless an interceptor refused, all within
/// ctx.deadline: when it passes first, the code is cancelled (its pending awaits complete with
/// operation_aborted; code that awaits nothing cancellable holds the answer until it returns)
/// and the call answers deadline_exceeded. Never throws: an RpcError answers its status; any
/// other exception internal "internal error", its text logged.
Task<Status> run_call(const Router& router, CallContext& ctx,
                      std::function<Task<Status>()> handler);

/// Tells the router's observers that a call finished (after its response), with the time
/// since `started`. An observer that throws is logged and skipped.
void notify_observers(const Router& router, const CallContext& ctx, const Status& status,
                      std::chrono::steady_clock::time_point started);

}  // namespace pm::rpc::detail
