// The HTTP/2 client connection and its calls; see h2_client.hpp.

#include "rpc/h2_client.hpp"

#include <exception>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace pm::rpc::detail {

namespace asio = boost::asio;

namespace {

// Fields HTTP/2 forbids in a request, or that it carries as pseudo-headers.
bool skipped_request_field(const std::string& name) {
    return name.empty() || name.front() == ':' || name == "connection" || name == "keep-alive" ||
           name == "proxy-connection" || name == "transfer-encoding" || name == "upgrade" ||
           name == "host";
}

}  // namespace

// ---- H2ClientCall ---------------------------------------------------------------------------

H2ClientCall::H2ClientCall(std::shared_ptr<H2Connection> connection,
                           std::shared_ptr<H2Stream> stream)
    : connection_(std::move(connection)), stream_(std::move(stream)) {}

H2ClientCall::~H2ClientCall() {
    connection_->detach(*stream_);
}

std::int32_t H2ClientCall::stream_id() const {
    return stream_->id;
}

Task<bool> H2ClientCall::send_data(std::string data, bool end) {
    co_return co_await connection_->send_data(*stream_, std::move(data), end);
}

// GCC 12 miscompiles a coroutine that has `if (co_await ...) throw` and then co_returns a
// temporary (the frame is resumed at an invalid point), so awaited values are named first and
// returned values are named locals throughout this transport.

Task<H2ResponseHead> H2ClientCall::read_head() {
    const bool arrived = co_await connection_->wait_head(*stream_);
    if (!arrived) {
        throw H2Connection::stream_failure(*stream_);
    }
    H2ResponseHead head{stream_->status, stream_->headers};
    co_return head;
}

Task<std::optional<std::string>> H2ClientCall::read_data() {
    const bool arrived = co_await connection_->wait_head(*stream_);
    if (!arrived) {
        throw H2Connection::stream_failure(*stream_);
    }
    auto chunk = co_await connection_->read_data(*stream_);
    co_return chunk;
}

const Headers& H2ClientCall::trailers() const {
    return stream_->trailers;
}

void H2ClientCall::cancel() {
    connection_->reset_stream(*stream_, NGHTTP2_CANCEL);
}

// ---- H2ClientConnection ---------------------------------------------------------------------

H2ClientConnection::H2ClientConnection(asio::any_io_executor executor, AnyStream stream,
                                       H2Settings settings) {
    settings.idle_timeout = std::chrono::milliseconds(0);
    connection_ = std::make_shared<H2Connection>(H2Connection::Role::client, executor,
                                                 std::move(stream), settings);
    // The lambda keeps the connection alive until run() has taken its own reference.
    asio::co_spawn(
        std::move(executor),
        [connection = connection_]() { return connection->run(std::string()); }, asio::detached);
}

H2ClientConnection::~H2ClientConnection() {
    // GOAWAY, then the writer closes; run() keeps the connection alive until it ended.
    connection_->terminate();
}

std::unique_ptr<H2ClientCall> H2ClientConnection::start(const H2Request& request, bool end_stream) {
    std::vector<H2Field> fields{
        {":method", request.method},
        {":scheme", request.scheme},
        {":authority", request.authority},
        {":path", request.path},
    };
    for (const auto& [name, value] : request.headers.fields()) {
        if (!skipped_request_field(name)) {
            fields.emplace_back(name, value);
        }
    }
    auto stream = connection_->submit_request(fields, end_stream);
    if (!stream) {
        throw RpcError(Code::unavailable, "the HTTP/2 connection is closed or going away");
    }
    return std::make_unique<H2ClientCall>(connection_, std::move(stream));
}

Task<H2Response> H2ClientConnection::round_trip(const H2Request& request, std::string body,
                                                std::size_t max_response_body) {
    const bool has_body = !body.empty();
    auto call = start(request, !has_body);
    if (has_body) {
        // A failed send shows up in the response (or its reset) below.
        co_await call->send_data(std::move(body), true);
    }
    auto head = co_await call->read_head();
    H2Response response{head.status, std::move(head.headers), {}, {}};
    for (;;) {
        auto chunk = co_await call->read_data();
        if (!chunk) {
            break;
        }
        if (response.body.size() + chunk->size() > max_response_body) {
            call->cancel();
            throw RpcError(
                Code::resource_exhausted,
                "the response body exceeds " + std::to_string(max_response_body) + " bytes");
        }
        response.body += *chunk;
    }
    response.trailers = call->trailers();
    co_return response;
}

bool H2ClientConnection::is_open() const {
    return !connection_->closed() && !connection_->goaway_received();
}

std::uint32_t H2ClientConnection::remote_max_concurrent_streams() const {
    return connection_->remote_setting(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

void H2ClientConnection::close() {
    connection_->terminate();
}

void H2ClientConnection::abort() {
    connection_->close_now(false);
}

Task<void> H2ClientConnection::wait_closed() {
    co_await connection_->wait_finished();
}

}  // namespace pm::rpc::detail
