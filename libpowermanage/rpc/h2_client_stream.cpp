// The client side of a Connect streaming call over HTTP/2 (the agent's bidi Stream): messages
// go out as envelopes in request DATA, come back as envelopes in response DATA, and the call
// ends with the end-of-stream envelope carrying the status as JSON.

#include <string_view>
#include <utility>

#include "rpc/codec.hpp"
#include "rpc/connect_error.hpp"
#include "rpc/envelope.hpp"
#include "rpc/h2_client.hpp"

namespace pm::rpc::detail {

namespace {

class ConnectClientStream final : public ClientStream {
public:
    ConnectClientStream(std::unique_ptr<H2ClientCall> call, Codec codec, std::size_t max_message)
        : call_(std::move(call)), codec_(codec), reader_(max_message) {}

    Task<Status> write(const google::protobuf::Message& message) override {
        // Awaited values are named and results returned as named locals: GCC 12 miscompiles
        // some coroutines that await inside a condition (see h2_client.cpp).
        Status result;
        std::string payload;
        if (send_closed_) {
            result = Status{Code::failed_precondition, "write() after close_send()"};
            co_return result;
        }
        result = encode_message(codec_, message, payload);
        if (!result.ok()) {
            co_return result;
        }
        const bool sent = co_await call_->send_data(make_envelope(0, payload), false);
        if (!sent) {
            // The server ended or reset the call; read() reports how.
            result =
                ended_ && !status_.ok()
                    ? status_
                    : Status{Code::unavailable, "the stream is closed; read() gives its status"};
        }
        co_return result;
    }

    Task<void> close_send() override {
        if (!send_closed_) {
            send_closed_ = true;
            co_await call_->send_data(std::string(), true);
        }
    }

    Task<bool> read(google::protobuf::Message& into) override {
        bool got = false;
        try {
            got = co_await read_next(into);
        } catch (const RpcError& error) {
            end(error.status());
        }
        co_return got;
    }

    Status finish() const override {
        return ended_ ? status_ : Status{Code::failed_precondition, "the stream has not ended"};
    }

    void cancel() override {
        if (!ended_) {
            end(Status{Code::canceled, "the call was cancelled"});
        }
        call_->cancel();
    }

private:
    Task<bool> read_next(google::protobuf::Message& into) {
        bool got = false;
        if (ended_) {
            co_return got;
        }
        if (!head_checked_) {
            const bool usable = co_await check_head();
            if (!usable) {
                co_return got;
            }
        }
        for (;;) {
            Envelope envelope;
            const auto found = reader_.next(envelope);
            if (found == EnvelopeReader::Result::too_large) {
                end(Status{Code::resource_exhausted,
                           "a message from the server exceeds the size limit"});
                call_->cancel();
                co_return got;
            }
            if (found == EnvelopeReader::Result::envelope) {
                got = handle(envelope, into);
                co_return got;
            }
            auto chunk = co_await call_->read_data();
            if (!chunk) {
                end(Status{Code::internal,
                           "the server ended the stream without an end-of-stream message"});
                co_return got;
            }
            reader_.append(*chunk);
        }
    }

    // Before the first message: an HTTP error status ends the call (Connect reports failures
    // that happen before the stream starts, such as 415, that way).
    Task<bool> check_head() {
        const auto head = co_await call_->read_head();
        head_checked_ = true;
        bool usable = false;
        const auto type = parse_content_type(head.headers.get("content-type").value_or(""));
        if (head.status != 200) {
            end(Status{code_for_http_status(head.status),
                       "the server answered HTTP " + std::to_string(head.status)});
        } else if (!type || !type->connect_streaming || type->codec != codec_) {
            end(Status{Code::internal, "the server answered with an unexpected content type"});
        } else {
            usable = true;
        }
        co_return usable;
    }

    bool handle(const Envelope& envelope, google::protobuf::Message& into) {
        if ((envelope.flags & kFlagCompressed) != 0) {
            end(Status{Code::internal, "the server sent a compressed message unasked"});
            call_->cancel();
            return false;
        }
        if ((envelope.flags & kFlagEndStream) != 0) {
            auto parsed = parse_connect_end_stream(envelope.payload);
            end(parsed ? std::move(parsed->status)
                       : Status{Code::internal, "malformed end-of-stream message"});
            if (parsed) {
                trailers_ = std::move(parsed->trailers);
            }
            return false;
        }
        if (auto decoded = decode_message(codec_, envelope.payload, into, true); !decoded.ok()) {
            end(Status{Code::internal,
                       "cannot decode a message from the server: " + decoded.message});
            call_->cancel();
            return false;
        }
        return true;
    }

    void end(Status status) {
        ended_ = true;
        status_ = std::move(status);
    }

    std::unique_ptr<H2ClientCall> call_;
    Codec codec_;
    EnvelopeReader reader_;
    bool head_checked_ = false;
    bool send_closed_ = false;
    bool ended_ = false;
    Status status_;
    Headers trailers_;
};

}  // namespace

std::unique_ptr<ClientStream> open_connect_stream(H2ClientConnection& connection,
                                                  const ConnectStreamRequest& request) {
    H2Request head;
    head.method = "POST";
    head.scheme = request.scheme;
    head.authority = request.authority;
    head.path = request.path;
    head.headers = request.headers;
    head.headers.set("content-type", request.codec == Codec::json ? "application/connect+json"
                                                                  : "application/connect+proto");
    head.headers.set("connect-protocol-version", "1");
    if (request.timeout) {
        head.headers.set("connect-timeout-ms", std::to_string(request.timeout->count()));
    }
    if (!head.headers.get("user-agent")) {
        head.headers.set("user-agent", "powermanage-h2");
    }
    return std::make_unique<ConnectClientStream>(connection.start(head, false), request.codec,
                                                 request.max_message);
}

}  // namespace pm::rpc::detail
