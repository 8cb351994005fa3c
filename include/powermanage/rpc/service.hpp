#pragma once

/// @file
/// @brief Handlers and interceptors, registered by full method name from the generated
/// descriptors. Unary handlers are coroutines taking (context, request) and returning a
/// response or a status; streaming handlers get a stream with bounded queues.

#include <functional>
#include <memory>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <google/protobuf/message.h>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/status.hpp>

namespace pm::rpc {

/// A response, or the status to fail with.
template <class T>
class Result {
public:
    /// Success.
    Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
    /// Failure; `status` must not be ok.
    Result(Status status) : value_(std::move(status)) {}  // NOLINT: implicit by design

    bool ok() const { return std::holds_alternative<T>(value_); }      ///< holds a value
    T& value() { return std::get<T>(value_); }                         ///< the value
    const Status& status() const { return std::get<Status>(value_); }  ///< the failure

private:
    std::variant<T, Status> value_;
};

/// Awaitable, so handlers and interceptors can co_await database work and timers.
template <class T>
using Task = boost::asio::awaitable<T>;

/// A unary handler on the message base class; typed handlers are adapted to it.
using UnaryHandler = std::function<Task<Result<std::unique_ptr<google::protobuf::Message>>>(
    CallContext&, const google::protobuf::Message&)>;

/// The server side of a streaming call (client, server or bidi streaming). Sends go through a
/// bounded queue: write() waits while it is full, and fails with deadline_exceeded when a
/// message cannot be queued within the send timeout (a stalled peer).
class ServerStream {
public:
    virtual ~ServerStream() = default;
    /// The next message from the client, or nullptr once the client has finished sending.
    /// Throws RpcError for a malformed or oversized message.
    virtual Task<std::unique_ptr<google::protobuf::Message>> read() = 0;
    /// Queues a message to the client.
    virtual Task<Status> write(const google::protobuf::Message& message) = 0;
    /// The call.
    virtual CallContext& context() = 0;
};

/// A streaming handler: runs for the whole call and returns its final status.
using StreamHandler = std::function<Task<Status>(CallContext&, ServerStream&)>;

/// Runs before the handler of every call (authentication, policy, rate limits, logging). A
/// status that is not ok answers the call with it and skips the handler.
using Interceptor = std::function<Task<Status>(CallContext&)>;

/// Observes every finished call (logging, metrics).
using CallObserver =
    std::function<void(const CallContext&, const Status&, std::chrono::nanoseconds)>;

}  // namespace pm::rpc
