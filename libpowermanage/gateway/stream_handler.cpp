// AgentService.Stream: one coroutine per agent. It admits the agent at Hello, answers Welcome,
// and then runs a reader (what the agent reports) and a writer (what the gateway sends, from
// the session's bounded queue) side by side until either ends the stream. Nothing here throws
// across messages: a malformed message ends this stream only.
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include "gateway/agent_service_impl.hpp"

namespace pm::gateway {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// What an agent is told when the gateway closes its stream for want of its database. Not the
// database's own error: that goes to the log.
constexpr std::string_view kCannotRecord =
    "the gateway cannot reach its database just now; reconnect in a few seconds";

// One read that reports a protocol error instead of throwing it; cancellation (a timeout won)
// still propagates as an exception, which the racing operator discards.
struct ReadOutcome {
    std::unique_ptr<google::protobuf::Message> message;  // null at the end of the stream
    rpc::Status status;                                  // not ok: malformed input
};

rpc::Task<ReadOutcome> read_one(rpc::ServerStream& stream) {
    ReadOutcome outcome;
    try {
        outcome.message = co_await stream.read();
    } catch (const rpc::RpcError& error) {
        outcome.status = error.status();
    }
    co_return outcome;
}

// A read with a deadline: nullopt when the deadline came first.
rpc::Task<std::optional<ReadOutcome>> read_within(rpc::ServerStream& stream,
                                                  std::chrono::steady_clock::duration limit) {
    asio::steady_timer timer(co_await asio::this_coro::executor, limit);
    auto raced = co_await (read_one(stream) || timer.async_wait(asio::use_awaitable));
    std::optional<ReadOutcome> outcome;
    if (raced.index() == 0) {
        outcome = std::move(std::get<0>(raced));
    }
    co_return outcome;
}

pm::v1::ServerMessage error_message(const std::string& id, const std::string& code,
                                    const std::string& text) {
    pm::v1::ServerMessage message;
    message.set_id(id);
    message.mutable_error()->set_code(code);
    message.mutable_error()->set_message(text);
    return message;
}

rpc::Code code_for_close(const std::string& code) {
    if (code == kReplacedCode)
        return rpc::Code::aborted;
    if (code == kStalledCode)
        return rpc::Code::resource_exhausted;
    if (code == "heartbeat_timeout")
        return rpc::Code::deadline_exceeded;
    if (code == "shutdown" || code == kUnavailableCode)
        return rpc::Code::unavailable;
    return rpc::Code::invalid_argument;
}

// What the reader and the writer of one stream share.
struct StreamState {
    explicit StreamState(const asio::any_io_executor& executor) : writer_done(executor) {
        writer_done.expires_at(std::chrono::steady_clock::time_point::max());
    }
    asio::steady_timer writer_done;  // cancelled when the writer ends, to release the reader
    rpc::Status status;              // how the call ends
    std::string disconnect_reason = "stream ended";
};

// A token bucket for OutputChunks: `rate` per second, bursts of 4 s worth.
class ChunkBudget {
public:
    explicit ChunkBudget(std::uint32_t rate)
        : rate_(rate), tokens_(4.0 * rate), last_(std::chrono::steady_clock::now()) {}
    bool take() {
        const auto now = std::chrono::steady_clock::now();
        tokens_ = std::min(4.0 * rate_,
                           tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
        last_ = now;
        if (tokens_ < 1.0) {
            return false;
        }
        tokens_ -= 1.0;
        return true;
    }

private:
    double rate_;
    double tokens_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace

void AgentService::Impl::close_unrecorded(const std::shared_ptr<QueuedSession>& session,
                                          const std::string& device_id, std::string_view what,
                                          std::exception_ptr error) {
    std::string text = "unknown error";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        text = e.what();
    } catch (...) {
    }
    logger_.warn(fmt::format("closing an agent's stream: cannot {}", what),
                 {{"device", device_id}, {"error", text}});
    ++streams_closed_unavailable_;
    if (session) {
        session->close(std::string(kUnavailableCode), std::string(kCannotRecord));
    }
}

rpc::Task<rpc::Status> AgentService::Impl::serve_stream(rpc::CallContext& ctx,
                                                        rpc::ServerStream& stream) {
    auto self = shared_from_this();
    auto executor = co_await asio::this_coro::executor;
    rpc::Status final_status;

    // ---- Hello ----
    auto first = co_await read_within(stream, options_.hello_timeout);
    if (!first || !first->status.ok() || !first->message) {
        final_status =
            !first ? rpc::Status{rpc::Code::deadline_exceeded,
                                 "no Hello within " +
                                     std::to_string(options_.hello_timeout.count()) + " s"}
            : !first->status.ok()
                ? first->status
                : rpc::Status{rpc::Code::invalid_argument, "the stream ended before a Hello"};
        co_return final_status;
    }
    const auto& opening = static_cast<const pm::v1::AgentMessage&>(*first->message);
    if (!opening.has_hello()) {
        ++hellos_refused_;
        final_status = {rpc::Code::invalid_argument, "the first message must be a Hello"};
        co_return final_status;
    }
    const pm::v1::Hello hello = opening.hello();
    std::string device_id = ctx.peer_identity;
    if (options_.trust_hello_device_id && device_id.empty()) {
        device_id = hello.device_id().value();
    }
    Admission admission;
    if (device_id.empty()) {
        admission.code = rpc::Code::unauthenticated;
        admission.reason = "a client certificate is required";
    } else if (hello.device_id().value() != device_id) {
        admission.reason = "Hello.device_id does not match the client certificate's device";
    } else {
        const std::string serial =
            ctx.peer_certificate ? ctx.peer_certificate->serial_hex : std::string();
        std::string failure;
        try {
            co_await workers_.run([&] { admission = admit(device_id, serial); });
        } catch (const std::exception& error) {
            failure = error.what();
        }
        if (!failure.empty()) {
            logger_.warn("cannot admit an agent: its device cannot be checked",
                         {{"device", device_id}, {"error", failure}});
            admission.code = rpc::Code::unavailable;
            admission.reason = std::string(kCannotRecord);
        }
    }
    if (!admission.admitted) {
        ++hellos_refused_;
        co_await stream.write(error_message(
            ids_.next_string(), std::string(rpc::code_name(admission.code)), admission.reason));
        final_status = {admission.code, admission.reason};
        co_return final_status;
    }

    // ---- Welcome ----
    pm::v1::ServerMessage welcome;
    welcome.set_id(ids_.next_string());
    welcome.mutable_welcome()->set_server_version(options_.server_version);
    welcome.mutable_welcome()->mutable_heartbeat_interval()->set_seconds(
        options_.heartbeat_interval.count());
    if (auto status = co_await stream.write(welcome); !status.ok()) {
        final_status = status;
        co_return final_status;
    }

    auto session = QueuedSession::create();
    connections_.attach(device_id, session);
    touch(device_id, nullptr);
    // The agent's pending work. If it cannot be read, the stream must not live on without it:
    // close it, and the agent gets its work when it reconnects.
    std::weak_ptr<QueuedSession> weak_session = session;
    workers_.post(
        [self, device_id, hello] {
            self->record_connected(device_id, hello);
            self->deliver(self->pending_for_devices({device_id}));
        },
        [self, device_id, weak_session](std::exception_ptr error) {
            self->close_unrecorded(weak_session.lock(), device_id, "read its pending work", error);
        });

    // ---- reader and writer ----
    StreamState state(executor);
    auto writer = [&]() -> rpc::Task<void> {
        for (;;) {
            auto item = co_await session->next();
            if (!item) {
                break;
            }
            if (auto* message = std::get_if<QueuedSession::Message>(&*item)) {
                auto status = co_await stream.write(**message);
                if (!status.ok()) {
                    state.status = status;
                    state.disconnect_reason = "send failed: " + status.message;
                    break;
                }
                continue;
            }
            const auto& close = std::get<QueuedSession::Close>(*item);
            co_await stream.write(error_message(ids_.next_string(), close.code, close.message));
            state.status = {code_for_close(close.code), close.message};
            state.disconnect_reason = close.code;
            break;
        }
        state.writer_done.cancel();
    };
    auto reader = [&]() -> rpc::Task<void> {
        ChunkBudget budget(options_.output_chunks_per_second);
        const auto silence = options_.heartbeat_interval * options_.missed_heartbeats_allowed;
        for (;;) {
            auto outcome = co_await read_within(stream, silence);
            if (!outcome) {
                session->close("heartbeat_timeout",
                               "nothing received for " + std::to_string(silence.count()) + " s");
                break;
            }
            if (!outcome->status.ok()) {
                session->close("invalid_argument", outcome->status.message);
                break;
            }
            if (!outcome->message) {
                session->close("end_of_stream", "the agent closed its stream");
                break;
            }
            const auto& message = static_cast<const pm::v1::AgentMessage&>(*outcome->message);
            touch(device_id, message.has_heartbeat() ? &message.heartbeat() : nullptr);
            if (message.has_output_chunk() && !budget.take()) {
                ++chunks_dropped_;
                continue;
            }
            // What the agent reports must be recorded, or the stream ends: a stream whose
            // reports are lost while it keeps receiving work is worse than a reconnect.
            std::exception_ptr failure;
            try {
                if (message.has_action_result()) {
                    co_await workers_.run(
                        [&] { record_result(device_id, message.action_result()); });
                } else if (message.has_output_chunk()) {
                    co_await workers_.run([&] {
                        if (!record_output(device_id, message.output_chunk())) {
                            ++chunks_dropped_;
                        }
                    });
                } else if (message.has_security_alert()) {
                    co_await workers_.run(
                        [&] { record_alert(device_id, message.security_alert()); });
                }
            } catch (const std::exception&) {
                failure = std::current_exception();
            }
            if (failure) {
                close_unrecorded(session, device_id, "record its report", failure);
                break;
            }
        }
        // Let the writer send the close reason; it cancels writer_done when it is finished.
        boost::system::error_code ignored;
        co_await state.writer_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    };
    co_await (reader() || writer());

    connections_.detach(device_id, *session);
    forget_session(session->id());
    const std::string reason = state.disconnect_reason;
    workers_.post([self, device_id, reason] { self->record_disconnected(device_id, reason); });
    final_status = state.status;
    co_return final_status;
}

}  // namespace pm::gateway
