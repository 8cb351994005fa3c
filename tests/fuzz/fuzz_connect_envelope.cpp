// Fuzzes the enveloped protocols' input: the 5-byte envelope framing of request bodies that
// arrive in pieces cut anywhere, gzip-compressed messages, Connect's end-of-stream JSON, and,
// in server mode, whole calls through serve_exchange() (Connect streaming and unary, gRPC,
// gRPC-Web and its base64 text form) with the response checked against each protocol's rules.
//
// Input: one byte of choices, then (server mode) one more, then the body as pieces (see
// pm::fuzz::Input::chunks: a count, that many piece sizes, the bytes).
//   reader mode (bit 7 clear):
//     bit 0     JSON payloads (else binary protobuf)
//     bits 1-2  message type: LoginRequest, AgentMessage, CreateActionRequest, ServerMessage
//     bit 3     a 16-byte message limit (else 64 KiB)
//     bit 4     the body is gRPC-Web text (base64 in pieces of any length)
//     bit 5     Connect (flag 0x02 is the end-of-stream message) rather than gRPC-Web (0x80)
//   server mode (bit 7 set):
//     bits 0-2  Content-Type (kContentTypes below)
//     bits 3-4  path: Login (unary), AgentService/Stream (bidi), Login, an unknown method
//     bit 5     the request is gzip-compressed (Content-Encoding or the protocol's header)
//     bit 6     HTTP/2 (else HTTP/1.1)
//     second byte: bit 0 accept gzip responses, bits 1-2 timeout header (none, zero, huge,
//     malformed), bit 3 GET, bit 4 Connect-Protocol-Version 2
// Invariants: the framing yields the same envelopes however the body is cut; what one
// envelope consumed re-encodes to the same bytes; gzip round-trips and respects its limit;
// every call is answered, completely, with header fields a peer can take, and in the form of
// its protocol (end-of-stream message, grpc-status trailers, gRPC-Web trailer frame, Connect
// error JSON).

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <powermanage/common/base64.hpp>

#include "fuzz_support.hpp"
#include "rpc/codec.hpp"
#include "rpc/compression.hpp"
#include "rpc/connect_error.hpp"
#include "rpc/envelope.hpp"
#include "rpc/exchange.hpp"

namespace {

namespace asio = boost::asio;
namespace detail = pm::rpc::detail;
namespace gp = google::protobuf;
using detail::Envelope;
using detail::EnvelopeReader;
using pm::fuzz::require;
using pm::rpc::Code;
using pm::rpc::Codec;
using pm::rpc::Headers;
using pm::rpc::Task;

// ---- reader mode ----------------------------------------------------------------------------

std::unique_ptr<gp::Message> new_message(std::uint8_t choice) {
    switch ((choice >> 1) & 3) {
        case 0:
            return std::make_unique<pm::v1::LoginRequest>();
        case 1:
            return std::make_unique<pm::v1::AgentMessage>();
        case 2:
            return std::make_unique<pm::v1::CreateActionRequest>();
        default:
            return std::make_unique<pm::v1::ServerMessage>();
    }
}

struct Found {
    std::vector<Envelope> envelopes;
    bool too_large = false;
};

// What a reader makes of `stream` handed over in one piece.
Found read_whole(std::string_view stream, std::size_t limit) {
    Found found;
    EnvelopeReader reader(limit);
    reader.append(stream);
    for (;;) {
        Envelope envelope;
        const auto result = reader.next(envelope);
        if (result == EnvelopeReader::Result::too_large) {
            found.too_large = true;
            break;
        }
        if (result == EnvelopeReader::Result::need_more) {
            break;
        }
        found.envelopes.push_back(std::move(envelope));
    }
    return found;
}

// One envelope as the server (and a Connect client, for end-of-stream) takes it apart.
void take_apart(const Envelope& envelope, std::uint8_t choice, std::size_t limit) {
    std::string payload = envelope.payload;
    if ((envelope.flags & detail::kFlagCompressed) != 0) {
        std::string inflated;
        const auto status = detail::gzip_decompress(payload, limit, inflated);
        if (!status.ok()) {
            require(
                status.code == Code::invalid_argument || status.code == Code::resource_exhausted,
                "gzip refusal with an unexpected code", status.message);
            require(inflated.empty(), "gzip refusal left output behind");
            return;
        }
        require(inflated.size() <= limit, "gzip output over its limit");
        payload = std::move(inflated);
    }
    const bool connect = (choice & 0x20) != 0;
    if (connect && (envelope.flags & detail::kFlagEndStream) != 0) {
        if (const auto end = detail::parse_connect_end_stream(payload)) {
            const auto json = detail::connect_end_stream_json(end->status, end->trailers);
            require(detail::parse_connect_end_stream(json).has_value(),
                    "an end-of-stream message we write does not parse", json);
        }
        return;
    }
    if (!connect && (envelope.flags & detail::kFlagTrailers) != 0) {
        return;  // a gRPC-Web trailer frame: header lines, read by clients only
    }
    auto message = new_message(choice);
    const auto codec = (choice & 1) != 0 ? Codec::json : Codec::proto;
    const auto status = detail::decode_message(codec, payload, *message, true);
    if (status.ok()) {
        (void)pm::validation::RuleSet::contract().validate(*message);
    } else {
        require(status.code == Code::invalid_argument, "decode refusal is not invalid_argument");
    }
    // What compressing sends, decompressing gives back.
    std::string back;
    const auto again =
        detail::gzip_decompress(detail::gzip_compress(payload), payload.size(), back);
    require(again.ok() && back == payload, "gzip round trip");
}

void reader_mode(std::uint8_t choice, pm::fuzz::Input& input) {
    const std::size_t limit = (choice & 8) != 0 ? 16 : 64u << 10;
    const bool web_text = (choice & 0x10) != 0;
    EnvelopeReader reader(limit);
    std::string stream;   // the bytes given to the reader, in order
    std::string pending;  // gRPC-Web text not yet decoded (less than one base64 quantum)
    std::size_t consumed = 0;
    Found found;
    bool stopped = false;
    for (const auto piece : input.chunks()) {
        if (web_text) {
            // As EnvelopedStream::append_text: whole quanta only, line breaks ignored.
            for (const char c : piece) {
                if (c != '\r' && c != '\n') {
                    pending += c;
                }
            }
            const auto whole = pending.size() / 4 * 4;
            const auto decoded = pm::base64_decode(std::string_view(pending).substr(0, whole));
            if (!decoded) {
                break;  // the server answers invalid_argument
            }
            pending.erase(0, whole);
            reader.append(*decoded);
            stream += *decoded;
        } else {
            reader.append(piece);
            stream += piece;
        }
        for (;;) {
            Envelope envelope;
            const auto result = reader.next(envelope);
            if (result == EnvelopeReader::Result::too_large) {
                found.too_large = stopped = true;
                break;
            }
            if (result == EnvelopeReader::Result::need_more) {
                break;
            }
            const auto wire = detail::make_envelope(envelope.flags, envelope.payload);
            require(std::string_view(stream).substr(consumed, wire.size()) == wire,
                    "an envelope does not re-encode to the bytes it came from");
            consumed += wire.size();
            require(envelope.payload.size() <= limit, "an envelope over the limit got through");
            take_apart(envelope, choice, limit);
            found.envelopes.push_back(std::move(envelope));
        }
        if (stopped) {
            break;
        }
    }
    if (pm::fuzz::verbose()) {
        std::fprintf(stderr, "reader: %zu envelopes%s, %zu of %zu bytes consumed\n",
                     found.envelopes.size(), found.too_large ? ", then one too large" : "",
                     consumed, stream.size());
    }
    require(stopped || reader.empty() == (consumed == stream.size()),
            "empty() disagrees with what was consumed");
    // However the body was cut, the reader sees the same envelopes.
    const auto whole = read_whole(stream, limit);
    require(whole.envelopes.size() == found.envelopes.size() && whole.too_large == found.too_large,
            "envelopes depend on how the body was cut");
    for (std::size_t i = 0; i < whole.envelopes.size(); ++i) {
        require(whole.envelopes[i].flags == found.envelopes[i].flags &&
                    whole.envelopes[i].payload == found.envelopes[i].payload,
                "an envelope depends on how the body was cut");
    }
}

// ---- server mode ----------------------------------------------------------------------------

constexpr std::string_view kContentTypes[] = {
    "application/connect+json", "application/connect+proto",  "application/grpc",
    "application/grpc+json",    "application/grpc-web+proto", "application/grpc-web-text",
    "application/json",         "application/proto",
};

constexpr std::string_view kPaths[] = {
    "/pm.v1.ControlService/Login",
    "/pm.v1.AgentService/Stream",
    "/pm.v1.ControlService/Login",
    "/pm.v1.ControlService/NoSuchMethod",
};

// A transport in memory: hands out the body pieces, records the response, and checks that the
// protocol layer drives it as a transport expects.
class FakeExchange final : public detail::Exchange {
public:
    FakeExchange(detail::RequestHead head, std::vector<std::string> body, bool http2)
        : head_(std::move(head)), body_(std::move(body)), http2_(http2) {}

    const detail::RequestHead& head() const override { return head_; }
    detail::RequestHead& head_to_take() override { return head_; }

    Task<std::optional<std::string>> read_body() override {
        std::optional<std::string> piece;
        if (next_ < body_.size()) {
            piece = std::move(body_[next_++]);
        }
        co_return piece;
    }

    Task<void> send_headers(int status, const Headers& headers, bool end) override {
        require(status_ == 0, "response headers sent twice");
        require(status >= 100 && status <= 599, "bad HTTP status");
        check_fields(headers);
        status_ = status;
        headers_ = headers;
        ended_ = end;
        co_return;
    }

    Task<bool> send_data(std::string data, bool end) override {
        require(status_ != 0 || http2_, "HTTP/1.1 body before the headers");
        require(!ended_, "body after the end of the response");
        if (status_ == 0) {
            status_ = 200;  // as the HTTP/2 transport does
        }
        response_ += data;
        ended_ = end;
        co_return true;
    }

    Task<void> send_trailers(const Headers& trailers) override {
        require(http2_, "trailers on HTTP/1.1");
        require(!ended_, "trailers after the end of the response");
        check_fields(trailers);
        trailers_ = trailers;
        has_trailers_ = true;
        ended_ = true;
        co_return;
    }

    bool http2() const override { return http2_; }

    int status() const { return status_; }
    bool ended() const { return ended_; }
    const Headers& headers() const { return headers_; }
    const Headers& trailers() const { return trailers_; }
    bool has_trailers() const { return has_trailers_; }
    const std::string& response() const { return response_; }

private:
    static void check_fields(const Headers& fields) {
        for (const auto& [name, value] : fields.fields()) {
            require(!name.empty(), "empty header name");
            for (const char c : name) {
                require(c > 0x20 && c < 0x7F && c != ':' && !(c >= 'A' && c <= 'Z'),
                        "header name a peer refuses", name);
            }
            for (const char c : value) {
                require(c != '\r' && c != '\n' && c != '\0', "header value a peer refuses", value);
            }
        }
    }

    detail::RequestHead head_;
    std::vector<std::string> body_;
    std::size_t next_ = 0;
    bool http2_;
    int status_ = 0;
    bool ended_ = false;
    Headers headers_;
    Headers trailers_;
    bool has_trailers_ = false;
    std::string response_;
};

// The frames of an enveloped response body; the last one must be the protocol's end frame.
std::vector<Envelope> response_frames(std::string_view body, std::uint8_t end_flag) {
    EnvelopeReader reader(1u << 30);
    reader.append(body);
    std::vector<Envelope> frames;
    Envelope envelope;
    while (reader.next(envelope) == EnvelopeReader::Result::envelope) {
        frames.push_back(envelope);
    }
    require(reader.empty(), "response body ends inside a frame", body);
    require(!frames.empty() && frames.back().flags == end_flag, "response lacks its end frame",
            body);
    for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
        require((frames[i].flags & ~detail::kFlagCompressed) == 0, "an end frame before the end");
    }
    return frames;
}

void check_response(const FakeExchange& exchange, std::string_view content_type, bool http2) {
    require(exchange.status() != 0, "a call was not answered");
    require(exchange.ended(), "a response was not finished");
    if (exchange.status() != 200) {
        if (content_type == "application/json" || content_type == "application/proto") {
            if (exchange.headers().get("content-type") == "application/json") {
                require(detail::parse_connect_error(exchange.response()).has_value(),
                        "a Connect unary error body that does not parse", exchange.response());
            }
        }
        return;
    }
    const auto type = detail::parse_content_type(content_type);
    if (!type) {
        return;
    }
    if (type->connect_streaming) {
        const auto frames = response_frames(exchange.response(), detail::kFlagEndStream);
        require(detail::parse_connect_end_stream(frames.back().payload).has_value(),
                "an end-of-stream message that does not parse", frames.back().payload);
    } else if (type->protocol == pm::rpc::Protocol::grpc_web) {
        std::string body = exchange.response();
        if (type->web_text) {
            const auto decoded = pm::base64_decode(body);
            require(decoded.has_value(), "gRPC-Web text response is not base64", body);
            body = *decoded;
        }
        const auto frames = response_frames(body, detail::kFlagTrailers);
        require(frames.back().payload.starts_with("grpc-status: "),
                "gRPC-Web trailer frame without grpc-status", frames.back().payload);
    } else if (type->protocol == pm::rpc::Protocol::grpc && http2) {
        const auto& end = exchange.has_trailers() ? exchange.trailers() : exchange.headers();
        require(end.get("grpc-status").has_value(), "gRPC response without grpc-status");
    }
}

void server_mode(std::uint8_t choice, pm::fuzz::Input& input) {
    const auto more = input.byte();
    const auto content_type = kContentTypes[choice & 7];
    const auto type = detail::parse_content_type(content_type);
    const bool gzip = (choice & 0x20) != 0;
    const bool http2 = (choice & 0x40) != 0;

    detail::RequestHead head;
    head.method = (more & 8) != 0 ? "GET" : "POST";
    head.path = std::string(kPaths[(choice >> 3) & 3]);
    head.http_version = http2 ? 20 : 11;
    head.remote_address = "127.0.0.1:1";
    head.headers.add("content-type", std::string(content_type));
    const bool connect = type && type->protocol == pm::rpc::Protocol::connect;
    const bool unary = connect && !type->connect_streaming;
    if (gzip) {
        head.headers.add(unary     ? "content-encoding"
                         : connect ? "connect-content-encoding"
                                   : "grpc-encoding",
                         "gzip");
    }
    if ((more & 1) != 0) {
        head.headers.add(unary     ? "accept-encoding"
                         : connect ? "connect-accept-encoding"
                                   : "grpc-accept-encoding",
                         "gzip");
    }
    static constexpr std::string_view kConnectTimeouts[] = {"0", "9999999999", "12x"};
    static constexpr std::string_view kGrpcTimeouts[] = {"1n", "99999999H", "5"};
    if (const auto timeout = (more >> 1) & 3; timeout != 0) {
        head.headers.add(
            connect ? "connect-timeout-ms" : "grpc-timeout",
            std::string(connect ? kConnectTimeouts[timeout - 1] : kGrpcTimeouts[timeout - 1]));
    }
    if (connect) {
        head.headers.add("connect-protocol-version", (more & 0x10) != 0 ? "2" : "1");
    }
    if (http2 && !connect) {
        head.headers.add("te", "trailers");
    }

    std::vector<std::string> body;
    for (const auto piece : input.chunks()) {
        body.emplace_back(piece);
    }
    FakeExchange exchange(std::move(head), std::move(body), http2);

    asio::io_context io;
    bool finished = false;
    asio::co_spawn(io, detail::serve_exchange(pm::fuzz::fuzz_router(), exchange),
                   [&finished](std::exception_ptr error) {
                       require(!error, "serve_exchange threw");
                       finished = true;
                   });
    io.run();
    require(finished, "serve_exchange did not finish");
    if (pm::fuzz::verbose()) {
        std::fprintf(stderr, "%s %s -> %d, %zu body bytes, %s%s\n", content_type.data(),
                     kPaths[(choice >> 3) & 3].data(), exchange.status(),
                     exchange.response().size(), exchange.has_trailers() ? "trailers " : "",
                     exchange.response().substr(0, 300).c_str());
    }
    check_response(exchange, content_type, http2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pm::fuzz::Input input(data, size);
    const auto choice = input.byte();
    if ((choice & 0x80) != 0) {
        server_mode(choice, input);
    } else {
        reader_mode(choice, input);
    }
    return 0;
}
