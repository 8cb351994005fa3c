// HTTP/1.1 sessions on Beast's parser. Every socket operation that waits runs under the
// stream's watchdog, armed for that operation only (a handler may take as long as its call's
// deadline allows): idle_timeout while waiting for a request, request_timeout for its header and
// each body read, send_timeout for each write. Bytes already buffered are parsed, and a response
// the socket takes at once is written, without an asynchronous operation: that is most requests.
// Errors are compared as error codes; nothing here throws past the session, and a malformed request
// closes only its own connection.

#include "rpc/h1_session.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http.hpp>

#include "rpc/exchange.hpp"

namespace pm::rpc::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kBodyChunk = 64 * 1024;

// A header value we would send must not smuggle a line break into the response.
bool safe_field(std::string_view name, std::string_view value) {
    const auto bad = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
    return !name.empty() && std::none_of(name.begin(), name.end(), bad) &&
           name.find(':') == std::string_view::npos &&
           std::none_of(value.begin(), value.end(), bad);
}

// The peer sent something that is not HTTP/1.1 (as opposed to closing or timing out).
bool is_parse_error(const boost::system::error_code& error) {
    return error.category() == http::make_error_code(http::error::bad_method).category() &&
           error != http::error::end_of_stream && error != http::error::partial_message;
}

std::string_view strip_query(std::string_view target) {
    return target.substr(0, target.find('?'));
}

// A request parser that puts the request line and header fields straight into a RequestHead
// (Beast's http::parser keeps them in its own field list first, one allocation per field, which
// make_head() then copied) and body bytes into the piece read_body() lends it, by the rules of
// Beast's buffer_body: no piece, or a full one, is need_buffer.
class Parser final : public http::basic_parser<true> {
public:
    /// The request line and header fields parsed so far.
    RequestHead& head() { return head_; }
    /// Lends the memory the next body bytes go to.
    void lend(char* data, std::size_t size) {
        piece_ = data;
        room_ = size;
    }
    /// What is left of the lent memory.
    std::size_t room() const { return room_; }

private:
    void on_request_impl(http::verb, beast::string_view method, beast::string_view target, int,
                         boost::system::error_code&) override {
        head_.method = std::string(method);
        head_.path = std::string(strip_query(target));
    }
    void on_response_impl(int, beast::string_view, int, boost::system::error_code&) override {}
    void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                       boost::system::error_code&) override {
        head_.headers.add(std::string(name), std::string(value));
    }
    void on_header_impl(boost::system::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&,
                           boost::system::error_code&) override {}
    std::size_t on_body_impl(beast::string_view body, boost::system::error_code& error) override {
        return take(body, error);
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view,
                              boost::system::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                   boost::system::error_code& error) override {
        return take(body, error);
    }
    void on_finish_impl(boost::system::error_code&) override {}

    std::size_t take(beast::string_view body, boost::system::error_code& error) {
        if (piece_ == nullptr) {
            error = http::error::need_buffer;
            return 0;
        }
        const auto n = std::min(room_, body.size());
        std::memcpy(piece_, body.data(), n);
        piece_ += n;
        room_ -= n;
        if (n < body.size()) {
            error = http::error::need_buffer;
        }
        return n;
    }

    RequestHead head_;
    char* piece_ = nullptr;
    std::size_t room_ = 0;
};

// What http::async_read_some does, in two halves, without its composed operation:
// parse_buffered() parses what the buffer already holds, and only when the parser needs more
// does read_and_parse() (a coroutine) read. A request that arrived whole, the usual case, is
// parsed in place with no coroutine frame, posted completion or type-erased handler. Errors are
// Beast's: end_of_stream, partial_message, need_buffer (a buffer_body piece is full), parse
// errors, or the stream's. The caller arms the watchdog.

// True if the parser made progress (or failed: see `error`); false if it needs more bytes.
bool parse_buffered(beast::flat_buffer& buffer, Parser& parser, boost::system::error_code& error) {
    error = {};
    if (buffer.size() == 0) {
        return false;
    }
    buffer.consume(parser.put(buffer.data(), error));
    if (error == http::error::need_more) {
        error = {};
        return false;
    }
    return true;
}

Task<boost::system::error_code> read_and_parse(AnyStream& stream, beast::flat_buffer& buffer,
                                               Parser& parser) {
    for (;;) {
        const auto size = beast::read_size(buffer, 65536);
        if (size == 0) {
            co_return http::error::buffer_overflow;
        }
        auto [read_error, read] = co_await stream.async_read_some(buffer.prepare(size), kAwait);
        buffer.commit(read);
        if (read_error == asio::error::eof) {
            if (!parser.got_some()) {
                co_return http::error::end_of_stream;
            }
            boost::system::error_code error;
            parser.put_eof(error);  // partial_message: a request cut short
            co_return error;
        }
        if (read_error) {
            co_return read_error;
        }
        boost::system::error_code error;
        if (parse_buffered(buffer, parser, error)) {
            co_return error;
        }
    }
}

class H1Exchange final : public Exchange {
public:
    H1Exchange(AnyStream& stream, beast::flat_buffer& buffer, Parser& parser, RequestHead head,
               const Limits& limits, bool keep_alive)
        : stream_(stream),
          buffer_(buffer),
          parser_(parser),
          head_(std::move(head)),
          limits_(limits),
          keep_alive_(keep_alive) {}

    const RequestHead& head() const override { return head_; }
    RequestHead& head_to_take() override { return head_; }

    Task<std::optional<std::string>> read_body() override {
        if (expect_continue_) {
            // The client waits for this before sending a large body (curl does).
            expect_continue_ = false;
            constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            stream_.expires_after(limits_.send_timeout);
            auto [error, written] =
                co_await asio::async_write(stream_, asio::buffer(kContinue), kAwait);
            stream_.expires_never();
            if (error) {
                broken_ = true;
                throw RpcError(Code::canceled, "connection lost while reading the request");
            }
        }
        if (parser_.is_done()) {
            co_return std::nullopt;
        }
        // A body of known length gets a piece of its size: a small JSON request would otherwise
        // cost a zeroed 64 KiB allocation (the largest item of an HTTP/1.1 call's profile).
        std::size_t piece = kBodyChunk;
        if (const auto left = parser_.content_length_remaining(); left && *left > 0) {
            piece = static_cast<std::size_t>(std::min<std::uint64_t>(*left, kBodyChunk));
        }
        std::string chunk(piece, '\0');
        while (!parser_.is_done()) {
            parser_.lend(chunk.data(), chunk.size());
            stream_.expires_after(limits_.request_timeout);
            boost::system::error_code error;
            if (!parse_buffered(buffer_, parser_, error)) {
                error = co_await read_and_parse(stream_, buffer_, parser_);
            }
            stream_.expires_never();
            if (error == http::error::need_buffer) {
                error = {};
            }
            if (error) {
                broken_ = true;
                throw RpcError(Code::canceled, "connection lost while reading the request");
            }
            const auto got = chunk.size() - parser_.room();
            parser_.lend(nullptr, 0);  // the piece leaves with its bytes
            if (got > 0) {
                chunk.resize(got);
                co_return chunk;
            }
        }
        co_return std::nullopt;
    }

    Task<void> send_headers(int status, const Headers& headers, bool end) override {
        // The head is formatted here rather than by Beast's serializer: Beast would copy every
        // field into its own list first, and a small response is mostly head.
        const auto code = static_cast<unsigned>(status);
        head_out_.clear();
        head_out_.reserve(512);  // most heads fit: one allocation, no regrowth
        head_out_ += "HTTP/1.1 ";
        head_out_ += std::to_string(code);
        head_out_ += ' ';
        head_out_ += http::obsolete_reason(http::int_to_status(code));
        head_out_ += "\r\n";
        bool has_length = false;
        for (const auto& [name, value] : headers.fields()) {
            if (!safe_field(name, value) || name == "connection" || name == "transfer-encoding") {
                continue;
            }
            has_length = has_length || name == "content-length";
            append_field(name, value);
        }
        // A request body left unread would be taken for the next request: close instead.
        if (!parser_.is_done()) {
            keep_alive_ = false;
        }
        if (end && !has_length) {
            append_field("Content-Length", "0");
        } else if (!end && !has_length) {
            append_field("Transfer-Encoding", "chunked");
            chunked_ = true;
        }
        if (!keep_alive_) {
            append_field("Connection", "close");
        }
        head_out_ += "\r\n";
        response_started_ = true;
        response_done_ = end;
        if (!end && !chunked_) {
            // A body of known length follows at once (send_whole): head and body leave in one
            // write from send_data, so a small response is one segment and one syscall.
            head_pending_ = true;
            co_return;
        }
        co_await write_head();
    }

    Task<bool> send_data(std::string data, bool end) override {
        if (broken_) {
            co_return false;
        }
        boost::system::error_code error;
        std::array<asio::const_buffer, 5> buffers{};
        std::size_t count = 0;
        if (head_pending_) {
            head_pending_ = false;
            buffers[count++] = asio::buffer(head_out_);
        }
        // Chunked framing by hand: "<hex size>\r\n<data>\r\n", and "0\r\n\r\n" at the end.
        std::array<char, 20> size_line{};
        constexpr std::string_view kCrlf = "\r\n";
        constexpr std::string_view kLast = "0\r\n\r\n";
        if (chunked_) {
            auto [end_ptr, ec] =
                std::to_chars(size_line.data(), size_line.data() + 16, data.size(), 16);
            *end_ptr++ = '\r';
            *end_ptr++ = '\n';
            if (!data.empty()) {
                buffers[count++] = asio::buffer(
                    size_line.data(), static_cast<std::size_t>(end_ptr - size_line.data()));
                buffers[count++] = asio::buffer(data);
                buffers[count++] = asio::buffer(kCrlf);
            }
            if (end) {
                buffers[count++] = asio::buffer(kLast);
            }
        } else if (!data.empty()) {
            buffers[count++] = asio::buffer(data);
        }
        if (count > 0) {
            error = co_await write_all(std::span<asio::const_buffer>(buffers.data(), count));
        }
        if (error) {
            broken_ = true;
            co_return false;
        }
        response_done_ = end;
        co_return true;
    }

    Task<void> send_trailers(const Headers&) override {
        // HTTP/1.1 responses here carry no trailers (http2() is false, so no protocol asks);
        // end a chunked body that is still open.
        if (!response_done_) {
            co_await send_data({}, true);
        }
    }

    bool http2() const override { return false; }

    /// Writes a head send_headers() held back for a body that never came.
    Task<void> flush_head() {
        if (head_pending_ && !broken_) {
            head_pending_ = false;
            co_await write_head();
        }
    }

    void expect_continue() { expect_continue_ = true; }
    bool broken() const { return broken_; }                      ///< the connection is unusable
    bool response_started() const { return response_started_; }  ///< headers went out
    bool response_done() const { return response_done_; }        ///< the response is complete
    bool keep_alive() const { return keep_alive_; }              ///< another request may follow

private:
    void append_field(std::string_view name, std::string_view value) {
        head_out_ += name;
        head_out_ += ": ";
        head_out_ += value;
        head_out_ += "\r\n";
    }

    // Writes what the socket takes at once, then the rest asynchronously under send_timeout.
    Task<boost::system::error_code> write_all(std::span<asio::const_buffer> buffers) {
        boost::system::error_code error;
        auto written = stream_.write_now(ConstBufferList(buffers), error);
        if (error) {
            co_return error;
        }
        auto rest = buffers;
        while (!rest.empty() && written >= rest.front().size()) {
            written -= rest.front().size();
            rest = rest.subspan(1);
        }
        if (rest.empty()) {
            co_return error;
        }
        rest.front() += written;
        stream_.expires_after(limits_.send_timeout);
        std::tie(error, std::ignore) = co_await asio::async_write(
            stream_, std::span<const asio::const_buffer>(rest.data(), rest.size()), kAwait);
        stream_.expires_never();
        co_return error;
    }

    Task<void> write_head() {
        stream_.expires_after(limits_.send_timeout);
        auto [error, written] =
            co_await asio::async_write(stream_, asio::buffer(head_out_), kAwait);
        stream_.expires_never();
        if (error) {
            broken_ = true;
        }
    }

    AnyStream& stream_;
    beast::flat_buffer& buffer_;
    Parser& parser_;
    RequestHead head_;
    const Limits& limits_;
    bool keep_alive_;
    bool expect_continue_ = false;
    bool chunked_ = false;
    bool broken_ = false;
    bool response_started_ = false;
    bool response_done_ = false;
    bool head_pending_ = false;  // head_out_ waits for the body (see send_headers)
    std::string head_out_;       // the response's status line and header fields
};

RequestHead make_head(Parser& parser, const ConnectionInfo& info) {
    RequestHead head = std::move(parser.head());
    head.http_version = 11;  // HTTP/1.0 requests are served as HTTP/1.1 ones
    head.secure = info.secure;
    head.remote_address = info.remote_address;
    head.peer_certificate = info.peer_certificate;
    head.peer_identity = info.peer_identity;
    return head;
}

// Answers a request Beast could not parse, then the connection closes.
Task<void> reject(AnyStream& stream, const Limits& limits, http::status status,
                  std::string_view reason) {
    http::response<http::string_body> response(status, 11);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = std::string(reason) + "\n";
    response.keep_alive(false);
    response.prepare_payload();
    stream.expires_after(limits.send_timeout);
    co_await http::async_write(stream, response, kAwait);
}

// Waits for the first byte of the next request; false if the connection ended instead.
Task<bool> await_request(AnyStream& stream, beast::flat_buffer& buffer,
                         std::chrono::milliseconds timeout) {
    if (buffer.size() > 0) {
        co_return true;
    }
    stream.expires_after(timeout);
    auto [error, read] = co_await stream.async_read_some(buffer.prepare(4096), kAwait);
    stream.expires_never();
    if (error) {
        co_return false;
    }
    buffer.commit(read);
    co_return true;
}

// Serves one request; false when the connection must close afterwards.
Task<bool> serve_one(AnyStream& stream, beast::flat_buffer& buffer, const ConnectionInfo& info,
                     const Router& router, const Limits& limits) {
    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(boost::none);  // the protocols enforce their own limits while reading
    stream.expires_after(limits.request_timeout);
    boost::system::error_code error;
    while (!error && !parser.is_header_done()) {
        if (!parse_buffered(buffer, parser, error)) {
            error = co_await read_and_parse(stream, buffer, parser);
        }
    }
    stream.expires_never();
    if (error) {
        if (error == http::error::header_limit) {
            co_await reject(stream, limits, http::status::request_header_fields_too_large,
                            "request header fields too large");
        } else if (is_parse_error(error)) {
            co_await reject(stream, limits, http::status::bad_request, "bad request");
        }
        co_return false;
    }
    const bool keep_alive = parser.keep_alive() && !info.control->draining();
    H1Exchange exchange(stream, buffer, parser, make_head(parser, info), limits, keep_alive);
    const auto expect = exchange.head().headers.get("expect");
    if (expect && beast::iequals(*expect, "100-continue")) {
        exchange.expect_continue();
    }
    co_await serve_exchange(router, exchange);
    co_await exchange.flush_head();
    if (exchange.broken()) {
        co_return false;
    }
    if (!exchange.response_started()) {
        // serve_exchange always answers; if it could not, fail the request visibly.
        co_await reject(stream, limits, http::status::internal_server_error, "internal error");
        co_return false;
    }
    if (!exchange.response_done()) {
        co_return false;
    }
    co_return exchange.keep_alive() && parser.is_done();
}

}  // namespace

Task<void> serve_http1(AnyStream stream, std::string initial_bytes, ConnectionInfo info,
                       const Router& router, const Limits& limits) {
    beast::flat_buffer buffer;
    if (!initial_bytes.empty()) {
        const auto n =
            asio::buffer_copy(buffer.prepare(initial_bytes.size()), asio::buffer(initial_bytes));
        buffer.commit(n);
    }
    // stop(): an idle keep-alive connection closes at once; a busy one after its response.
    bool idle = false;
    info.control->on_drain([&] {
        if (idle) {
            stream.close();
        }
    });
    try {
        auto timeout = limits.request_timeout;  // the first request is expected promptly
        while (!info.control->draining()) {
            idle = true;
            const bool more = co_await await_request(stream, buffer, timeout);
            idle = false;
            if (!more || !co_await serve_one(stream, buffer, info, router, limits)) {
                break;
            }
            timeout = limits.idle_timeout;
        }
        if (stream.is_open()) {
            stream.expires_after(limits.send_timeout);
            co_await stream.shutdown();
        }
    } catch (const std::exception&) {
        // Nothing here is expected to throw; a surprise still closes only this connection.
    }
    info.control->on_drain({});
    stream.close();
}

}  // namespace pm::rpc::detail
