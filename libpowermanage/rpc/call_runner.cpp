#include "rpc/call_runner.hpp"

#include <exception>
#include <string>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <google/protobuf/descriptor.h>

#include <powermanage/common/log.hpp>

#include "rpc/router.hpp"

namespace pm::rpc::detail {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

std::string method_name(const CallContext& ctx) {
    return ctx.method != nullptr ? ctx.method->full_name() : std::string("?");
}

// Awaits one piece of user code (an interceptor or the handler) and turns what it throws into a
// status. A throw caused by our own cancellation (the deadline) is not the code's fault and is
// not logged.
Task<Status> guarded(const CallContext& ctx, std::function<Task<Status>()> code) {
    std::exception_ptr failure;
    try {
        co_return co_await code();
    } catch (const RpcError& error) {
        co_return error.status();
    } catch (...) {
        failure = std::current_exception();
    }
    const auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
        co_return Status{Code::canceled, "call canceled"};
    }
    std::string what = "a non-standard exception";
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& error) {
        what = error.what();
    } catch (...) {
    }
    default_logger().error("rpc handler failed", {{"method", method_name(ctx)}, {"what", what}});
    co_return Status{Code::internal, "internal error"};
}

Task<Status> interceptors_then_handler(const Router& router, CallContext& ctx,
                                       std::function<Task<Status>()> handler) {
    // A certificate the identity mapper rejected refuses every call of its connection.
    if (router.identity_required() && ctx.peer_certificate && ctx.peer_identity.empty()) {
        co_return Status{Code::unauthenticated, "client certificate is not accepted"};
    }
    for (const auto& interceptor : router.interceptors()) {
        auto status = co_await guarded(ctx, [&]() { return interceptor(ctx); });
        if (!status.ok()) {
            co_return status;
        }
    }
    if (const auto* scoped = router.service_interceptors(ctx.method)) {
        for (const auto& interceptor : *scoped) {
            auto status = co_await guarded(ctx, [&]() { return interceptor(ctx); });
            if (!status.ok()) {
                co_return status;
            }
        }
    }
    co_return co_await guarded(ctx, std::move(handler));
}

}  // namespace

Task<Status> run_call(const Router& router, CallContext& ctx,
                      std::function<Task<Status>()> handler) {
    if (!ctx.deadline) {
        co_return co_await interceptors_then_handler(router, ctx, std::move(handler));
    }
    if (*ctx.deadline <= std::chrono::steady_clock::now()) {
        co_return Status{Code::deadline_exceeded, "deadline exceeded before the call started"};
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, *ctx.deadline);
    auto outcome = co_await (interceptors_then_handler(router, ctx, std::move(handler)) ||
                             timer.async_wait(asio::use_awaitable));
    if (outcome.index() == 0) {
        co_return std::get<0>(std::move(outcome));
    }
    co_return Status{Code::deadline_exceeded, "deadline exceeded"};
}

void notify_observers(const Router& router, const CallContext& ctx, const Status& status,
                      std::chrono::steady_clock::time_point started) {
    const auto elapsed = std::chrono::steady_clock::now() - started;
    for (const auto& observer : router.observers()) {
        try {
            observer(ctx, status, std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
        } catch (const std::exception& error) {
            default_logger().error("rpc observer failed",
                                   {{"method", method_name(ctx)}, {"what", error.what()}});
        } catch (...) {
            default_logger().error("rpc observer failed", {{"method", method_name(ctx)}});
        }
    }
}

}  // namespace pm::rpc::detail
