#include "echo_service.hpp"

#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "echo.pb.h"

namespace pm::testing {
namespace {

namespace asio = boost::asio;
using pm::test::v1::EchoRequest;
using pm::test::v1::EchoResponse;
using rpc::CallContext;
using rpc::Code;
using rpc::Status;
using rpc::Task;

// "fail:<code>" -> that status; anything else -> ok.
Status requested_failure(std::string_view message) {
    constexpr std::string_view kFail = "fail:";
    if (!message.starts_with(kFail)) {
        return {};
    }
    const auto name = message.substr(kFail.size());
    const auto code = rpc::code_from_name(name);
    if (!code || *code == Code::ok) {
        return {Code::invalid_argument, "unknown code \"" + std::string(name) + "\""};
    }
    return {*code, "failed as asked: " + std::string(name)};
}

Task<void> sleep_if_asked(std::string_view message) {
    constexpr std::string_view kSleep = "sleep:";
    if (!message.starts_with(kSleep)) {
        co_return;
    }
    long ms = 0;
    const auto digits = message.substr(kSleep.size());
    std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
    co_await timer.async_wait(asio::use_awaitable);
}

Task<rpc::Result<EchoResponse>> unary(CallContext& ctx, const EchoRequest& request) {
    if (auto failure = requested_failure(request.message()); !failure.ok()) {
        co_return failure;
    }
    co_await sleep_if_asked(request.message());
    EchoResponse response;
    response.set_message(request.message() == "whoami" ? ctx.peer_identity : request.message());
    response.set_number(request.number());
    *response.mutable_tags() = request.tags();
    if (const auto value = ctx.request_headers.get("x-echo-header")) {
        ctx.response_headers.add("x-echo-header", std::string(*value));
    }
    if (const auto value = ctx.request_headers.get("x-echo-trailer")) {
        ctx.response_trailers.add("x-echo-trailer", std::string(*value));
    }
    co_return response;
}

Task<Status> server_stream(CallContext&, rpc::ServerStream& stream) {
    auto message = co_await stream.read();
    if (message == nullptr) {
        co_return Status{Code::invalid_argument, "no request message"};
    }
    const auto& request = static_cast<const EchoRequest&>(*message);
    if (auto failure = requested_failure(request.message()); !failure.ok()) {
        co_return failure;
    }
    for (int i = 0; i < request.count(); ++i) {
        EchoResponse response;
        response.set_message(request.message());
        response.set_index(i);
        if (auto status = co_await stream.write(response); !status.ok()) {
            co_return status;
        }
    }
    co_return Status{};
}

Task<Status> client_stream(CallContext&, rpc::ServerStream& stream) {
    EchoResponse response;
    int count = 0;
    while (auto message = co_await stream.read()) {
        const auto& request = static_cast<const EchoRequest&>(*message);
        if (auto failure = requested_failure(request.message()); !failure.ok()) {
            co_return failure;
        }
        response.mutable_message()->append(request.message());
        ++count;
    }
    response.set_index(count);
    co_return co_await stream.write(response);
}

Task<Status> bidi(CallContext&, rpc::ServerStream& stream) {
    int index = 0;
    while (auto message = co_await stream.read()) {
        const auto& request = static_cast<const EchoRequest&>(*message);
        if (auto failure = requested_failure(request.message()); !failure.ok()) {
            co_return failure;
        }
        EchoResponse response;
        response.set_message(request.message());
        response.set_index(index++);
        if (auto status = co_await stream.write(response); !status.ok()) {
            co_return status;
        }
    }
    co_return Status{};
}

}  // namespace

void add_echo_service(rpc::Server& server) {
    server.add_unary<EchoRequest, EchoResponse>(kEchoUnary, unary);
    server.add_stream(kEchoServerStream, server_stream);
    server.add_stream(kEchoClientStream, client_stream);
    server.add_stream(kEchoBidi, bidi);
}

}  // namespace pm::testing
