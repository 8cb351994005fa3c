// The enveloped protocols: Connect streaming, gRPC and gRPC-Web. They share the framing (one
// flag byte, a 4-byte length, the message) and differ in headers and in how the call ends:
//   - Connect: an end-of-stream envelope (flag 0x02) carrying JSON {"error", "metadata"};
//   - gRPC: HTTP/2 trailers grpc-status / grpc-message, or one HEADERS frame ("trailers-only")
//     when nothing was sent before the error;
//   - gRPC-Web: a trailer frame (flag 0x80) holding the trailers as HTTP/1 header lines; in the
//     -text variant every frame is base64.
// Unary methods served through gRPC or gRPC-Web read exactly one request message.

#include <algorithm>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <powermanage/common/base64.hpp>

#include "rpc/async_gate.hpp"
#include "rpc/call_runner.hpp"
#include "rpc/compression.hpp"
#include "rpc/connect_error.hpp"
#include "rpc/envelope.hpp"
#include "rpc/protocols.hpp"
#include "rpc/text_codec.hpp"
#include "rpc/wire_timeout.hpp"

namespace pm::rpc::detail {
namespace {

namespace gp = google::protobuf;
using Clock = std::chrono::steady_clock;

// How this call's protocol names things.
struct Dialect {
    std::string_view encoding_header;         // request message compression
    std::string_view accept_encoding_header;  // what the client can decompress
};

Dialect dialect_of(Protocol protocol) {
    if (protocol == Protocol::connect) {
        return {"connect-content-encoding", "connect-accept-encoding"};
    }
    return {"grpc-encoding", "grpc-accept-encoding"};
}

// The server side of one enveloped call.
class EnvelopedStream final : public ServerStream {
public:
    EnvelopedStream(const Router& router, Exchange& exchange, const Route& route,
                    const ContentType& type, CallContext& ctx, Headers response_headers)
        : router_(router),
          exchange_(exchange),
          route_(route),
          type_(type),
          ctx_(ctx),
          response_headers_(std::move(response_headers)),
          // A unary method's one message is its request body; streams have their own limit.
          message_limit_(route.unary ? router.limits().max_request_body
                                     : router.limits().max_stream_message),
          reader_(message_limit_) {}

    // Negotiates compression and reads the timeout; a failure ends the call before it starts.
    Status negotiate() {
        const auto& headers = exchange_.head().headers;
        const auto dialect = dialect_of(type_.protocol);
        const auto encoding = headers.get(dialect.encoding_header).value_or("");
        if (!is_identity(encoding)) {
            if (encoding != "gzip") {
                response_headers_.set(std::string(dialect.accept_encoding_header), "gzip");
                return {Code::unimplemented, "unsupported " + std::string(dialect.encoding_header) +
                                                 " \"" + std::string(encoding) +
                                                 "\": use gzip or identity"};
            }
            request_gzip_ = true;
        }
        if (const auto accept = headers.get(dialect.accept_encoding_header)) {
            response_gzip_ = accepts_gzip(*accept);
        }
        if (type_.protocol == Protocol::connect) {
            return read_connect_headers(headers, ctx_);
        }
        if (const auto timeout = headers.get("grpc-timeout")) {
            const auto parsed = parse_grpc_timeout(*timeout);
            if (!parsed) {
                return {Code::invalid_argument,
                        "malformed grpc-timeout \"" + std::string(*timeout) + "\""};
            }
            ctx_.deadline = deadline_after(*parsed);
        }
        return {};
    }

    Task<std::unique_ptr<gp::Message>> read() override {
        for (;;) {
            Envelope envelope;
            const auto found = reader_.next(envelope);
            if (found == EnvelopeReader::Result::envelope) {
                co_return decode(std::move(envelope));
            }
            if (found == EnvelopeReader::Result::too_large) {
                throw RpcError(Code::resource_exhausted, "message is larger than the limit of " +
                                                             std::to_string(message_limit_) +
                                                             " bytes");
            }
            if (body_done_) {
                if (!reader_.empty() || !text_pending_.empty()) {
                    throw RpcError(Code::invalid_argument, "request ended inside a message");
                }
                co_return nullptr;
            }
            auto piece = co_await exchange_.read_body();
            if (!piece) {
                body_done_ = true;
            } else if (type_.web_text) {
                append_text(*piece);
            } else {
                reader_.append(*piece);
            }
        }
    }

    Task<Status> write(const gp::Message& message) override {
        if (!failure_.ok()) {
            co_return failure_;
        }
        if (message.GetDescriptor() != route_.method->output_type()) {
            co_return Status{Code::internal, "wrote a " + message.GetDescriptor()->full_name() +
                                                 " to a stream of " +
                                                 route_.method->output_type()->full_name()};
        }
        std::string payload;
        if (auto status = encode_message(type_.codec, message, payload); !status.ok()) {
            co_return status;
        }
        std::uint8_t flags = 0;
        if (response_gzip_ && payload.size() >= kCompressMinBytes) {
            payload = gzip_compress(payload);
            flags |= kFlagCompressed;
        }
        co_return co_await send(make_envelope(flags, payload), false);
    }

    CallContext& context() override { return ctx_; }

    // Ends the call with `status` in the protocol's way.
    Task<void> finish(const Status& status) {
        if (!failure_.ok()) {
            co_return;  // the peer is gone or stalled: nothing more can be delivered
        }
        switch (type_.protocol) {
            case Protocol::connect:
                co_await send(make_envelope(kFlagEndStream, connect_end_stream_json(
                                                                status, ctx_.response_trailers)),
                              true);
                break;
            case Protocol::grpc_web:
                co_await send(make_envelope(kFlagTrailers, web_trailer_block(status)), true);
                break;
            case Protocol::grpc:
                co_await finish_grpc(status);
                break;
        }
    }

private:
    std::unique_ptr<gp::Message> decode(Envelope envelope) {
        const bool trailer_flag = (envelope.flags & kFlagTrailers) != 0;
        const bool end_flag = (envelope.flags & kFlagEndStream) != 0;
        if (trailer_flag || (type_.protocol == Protocol::connect && end_flag)) {
            throw RpcError(Code::invalid_argument, "unexpected end-of-stream frame in a request");
        }
        if ((envelope.flags & kFlagCompressed) != 0) {
            if (!request_gzip_) {
                throw RpcError(Code::internal, "compressed message but no encoding was negotiated");
            }
            std::string inflated;
            if (auto status = gzip_decompress(envelope.payload, message_limit_, inflated);
                !status.ok()) {
                throw RpcError(status.code, status.message);
            }
            envelope.payload = std::move(inflated);
        }
        auto message = new_message(*route_.method->input_type());
        if (auto status = decode_message(type_.codec, envelope.payload, *message,
                                         router_.json_ignore_unknown_fields());
            !status.ok()) {
            throw RpcError(status.code, status.message);
        }
        return message;
    }

    // gRPC-Web text bodies are base64 in pieces of any length; decode whole quanta only.
    void append_text(std::string_view piece) {
        text_pending_ += piece;
        std::erase_if(text_pending_, [](char c) { return c == '\r' || c == '\n'; });
        const auto whole = text_pending_.size() / 4 * 4;
        if (whole == 0) {
            return;
        }
        auto decoded = pm::base64_decode(std::string_view(text_pending_).substr(0, whole));
        if (!decoded) {
            throw RpcError(Code::invalid_argument, "grpc-web-text body is not valid base64");
        }
        reader_.append(*decoded);
        text_pending_.erase(0, whole);
    }

    Headers start_headers() const {
        Headers headers = response_headers_;
        headers.set("content-type", type_.media_type);
        if (response_gzip_) {
            headers.set(
                type_.protocol == Protocol::connect ? "connect-content-encoding" : "grpc-encoding",
                "gzip");
        }
        for (const auto& [name, value] : ctx_.response_headers.fields()) {
            headers.add(name, value);
        }
        return headers;
    }

    // Sends one frame, opening the response first. The transports bound every send by the
    // send timeout (HTTP/1.1: the socket watchdog; HTTP/2: the stream is reset), so a stalled
    // peer fails the send; waiting for the turn is bounded here.
    Task<Status> send(std::string frame, bool end) {
        const auto started = Clock::now();
        const auto timeout = router_.limits().send_timeout;
        if (!co_await gate_.acquire(started + timeout)) {
            failure_ = {Code::deadline_exceeded, "peer is not reading: send timed out"};
            co_return failure_;
        }
        // Released however this ends, also when the transport throws.
        const AsyncGate::Turn turn(gate_);
        if (!headers_sent_) {
            headers_sent_ = true;
            co_await exchange_.send_headers(200, start_headers(), false);
        }
        if (type_.web_text) {
            frame = pm::base64_encode(frame);
        }
        if (!co_await exchange_.send_data(std::move(frame), end)) {
            failure_ = Clock::now() - started >= timeout
                           ? Status{Code::deadline_exceeded, "peer is not reading: send timed out"}
                           : Status{Code::canceled, "peer went away"};
        }
        co_return failure_;
    }

    std::string web_trailer_block(const Status& status) const {
        std::string block =
            "grpc-status: " + std::to_string(static_cast<int>(status.code)) + "\r\n";
        if (!status.message.empty()) {
            block += "grpc-message: " + percent_encode(status.message) + "\r\n";
        }
        for (const auto& [name, value] : ctx_.response_trailers.fields()) {
            block += name + ": " + value + "\r\n";
        }
        return block;
    }

    Headers grpc_trailers(const Status& status) const {
        Headers trailers;
        trailers.add("grpc-status", std::to_string(static_cast<int>(status.code)));
        if (!status.message.empty()) {
            trailers.add("grpc-message", percent_encode(status.message));
        }
        for (const auto& [name, value] : ctx_.response_trailers.fields()) {
            trailers.add(name, value);
        }
        return trailers;
    }

    Task<void> finish_grpc(const Status& status) {
        auto trailers = grpc_trailers(status);
        if (!headers_sent_) {
            // Trailers-only: one HEADERS frame with the status, ending the stream.
            headers_sent_ = true;
            auto headers = start_headers();
            for (const auto& [name, value] : trailers.fields()) {
                headers.add(name, value);
            }
            co_await exchange_.send_headers(200, headers, true);
            co_return;
        }
        co_await exchange_.send_trailers(trailers);
    }

    const Router& router_;
    Exchange& exchange_;
    const Route& route_;
    const ContentType& type_;
    CallContext& ctx_;
    Headers response_headers_;
    std::size_t message_limit_;
    EnvelopeReader reader_;
    std::string text_pending_;
    AsyncGate gate_;  // one frame at a time, in order
    Status failure_;  // set once a send failed; later writes return it
    bool request_gzip_ = false;
    bool response_gzip_ = false;
    bool headers_sent_ = false;
    bool body_done_ = false;
};

// A unary method reached through gRPC or gRPC-Web: one message in, one out.
Task<Status> serve_unary_enveloped(const Route& route, CallContext& ctx, EnvelopedStream& stream) {
    auto request = co_await stream.read();
    if (request == nullptr) {
        co_return Status{Code::invalid_argument, "unary call carried no request message"};
    }
    if (co_await stream.read() != nullptr) {
        co_return Status{Code::invalid_argument, "unary call carried more than one message"};
    }
    auto result = co_await route.unary(ctx, *request);
    if (!result.ok()) {
        co_return result.status();
    }
    if (result.value() == nullptr) {
        co_return Status{Code::internal,
                         "handler of " + route.method->full_name() + " returned no message"};
    }
    co_return co_await stream.write(*result.value());
}

}  // namespace

Task<void> serve_enveloped(const Router& router, Exchange& exchange, const Route& route,
                           const ContentType& type, Headers response_headers) {
    const auto started = Clock::now();
    const bool bidi = route.method->client_streaming() && route.method->server_streaming();
    if (!exchange.http2() && (type.protocol == Protocol::grpc || bidi)) {
        // gRPC needs trailers and bidi needs full duplex; HTTP/1.1 has neither (as connect-go).
        co_await send_whole(exchange, 505, std::move(response_headers), "text/plain; charset=utf-8",
                            type.protocol == Protocol::grpc
                                ? "gRPC requires HTTP/2\n"
                                : "bidirectional streams require HTTP/2\n");
        co_return;
    }
    auto ctx = make_context(exchange.head(), route, type);
    EnvelopedStream stream(router, exchange, route, type, ctx, std::move(response_headers));
    auto status = stream.negotiate();
    if (status.ok()) {
        status = co_await run_call(router, ctx, [&]() -> Task<Status> {
            if (route.stream) {
                co_return co_await route.stream(ctx, stream);
            }
            co_return co_await serve_unary_enveloped(route, ctx, stream);
        });
    }
    co_await stream.finish(status);
    notify_observers(router, ctx, status, started);
}

}  // namespace pm::rpc::detail
