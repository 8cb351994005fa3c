// Fuzzes the HTTP/2 server's input path: bytes from a client into serve_http2() (nghttp2
// session, stream bookkeeping, flow control, the exchanges and, with the real router, the whole
// protocol layer behind them). The connection is one end of a socket pair (the other end plays
// the client), so a run needs no network and no port.
//
// Input: one byte of choices, [one byte of split point], then the client's bytes.
//   bit 0     put a valid client preface and an empty SETTINGS frame in front of the bytes
//   bits 1-2  what serves the exchanges: the real router (pm.v1 Login and AgentService/Stream),
//             a full-duplex echo with trailers, an answer before the request body is read, or
//             a handler that returns without answering
//   bits 3-4  how the bytes arrive: all as the listener's initial bytes (cleartext h2c), all
//             through the socket (as after TLS), or split at the point the next byte picks
//   bit 5     the client half-closes at once (else only once the server has gone quiet, so that
//             responses can go out first)
//   bit 6     the server begins a graceful shutdown (Server::stop()) before the first byte
//   bit 7     the bytes are frame operations (Frames below) instead of raw bytes: the target
//             writes well-formed frames (preface included), so that mutations change what the
//             client does rather than break the framing; FLUSH waits until the server has
//             gone quiet before the next frames, as a client waiting for responses does
// Invariant (besides ASan/UBSan/LSan): after the client's end of stream the connection
// finishes, every exchange with it, within a bound.

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_support.hpp"
#include "rpc/exchange.hpp"
#include "rpc/h2_server.hpp"
#include "rpc/transport.hpp"

namespace {

namespace asio = boost::asio;
namespace detail = pm::rpc::detail;
using pm::fuzz::require;
using pm::rpc::Headers;
using pm::rpc::Task;

using namespace std::string_view_literals;

// The client connection preface and an empty SETTINGS frame (RFC 9113 3.4).
constexpr auto kPreface =
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    "\x00\x00\x00\x04\x00\x00\x00\x00\x00"sv;

// Past this, a connection whose client has gone is hung: the grace period is 500 ms.
constexpr std::chrono::seconds kFinishBound{5};

Task<void> echo(detail::Exchange& exchange) {
    Headers headers;
    headers.add("content-type", "application/octet-stream");
    co_await exchange.send_headers(200, headers, false);
    while (auto piece = co_await exchange.read_body()) {
        if (!co_await exchange.send_data(std::move(*piece), false)) {
            co_return;
        }
    }
    Headers trailers;
    trailers.add("x-result", "ok");
    co_await exchange.send_trailers(trailers);
}

Task<void> answer_first(detail::Exchange& exchange) {
    co_await exchange.send_headers(200, Headers{}, false);
    co_await exchange.send_data("early", true);
}

Task<void> abandon(detail::Exchange&) {
    co_return;
}

detail::ExchangeHandler stub_handler(std::uint8_t choice) {
    switch ((choice >> 1) & 3) {
        case 1:
            return echo;
        case 2:
            return answer_first;
        default:
            return abandon;
    }
}

// Frame operations: each starts with a byte whose low 4 bits pick the operation and whose high
// 4 bits pick the stream (client stream 1, 3, 5, ... 31; some operations use 15 for stream 0).
//   0 HEADERS   next byte: bits 0-2 request template, bit 3 END_STREAM, bit 4 one more field
//               (a name from kFieldNames by the byte after, then a value: length byte, bytes),
//               bit 5 the block split into HEADERS + CONTINUATION, bit 6 PRIORITY data
//   1 DATA      flags byte (bit 0 END_STREAM, bit 1 PADDED with pad length flags >> 2), length
//               byte, payload bytes
//   2 WINDOW_UPDATE  4 bytes increment (stream 15: the connection)
//   3 RST_STREAM     1 byte error code
//   4 SETTINGS       1 byte id, 4 bytes value
//   5 SETTINGS ACK   6 PING   7 FLUSH   8 trailers (HEADERS with END_STREAM)
//   9 raw bytes: length byte, bytes      10 GOAWAY      11 PRIORITY
//   12 empty DATA with END_STREAM        13-15 FLUSH
class Frames {
public:
    explicit Frames(pm::fuzz::Input& input) : input_(input) { segments_.emplace_back(kPreface); }

    // Reads every operation; the byte stream in segments, each written once the server has
    // gone quiet after the one before.
    std::vector<std::string> build() {
        while (!input_.rest().empty()) {
            const auto op = input_.byte();
            const std::uint32_t index = op >> 4;
            const std::uint32_t stream = index * 2 + 1;
            switch (op & 15) {
                case 0:
                    headers(stream);
                    break;
                case 1: {
                    const auto flags = input_.byte();
                    const auto payload = bytes(input_.byte());
                    std::string body;
                    std::uint8_t frame_flags = flags & 1;
                    if ((flags & 2) != 0) {
                        frame_flags |= 0x8;
                        const auto pad = static_cast<std::size_t>(flags >> 2);
                        body += static_cast<char>(pad);
                        body += payload;
                        body.append(pad, '\0');
                    } else {
                        body = payload;
                    }
                    frame(0, frame_flags, stream, body);
                    break;
                }
                case 2:
                    frame(8, 0, index == 15 ? 0 : stream, bytes(4));
                    break;
                case 3:
                    frame(3, 0, stream, std::string(3, '\0') + bytes(1));
                    break;
                case 4:
                    frame(4, 0, 0, std::string(1, '\0') + bytes(5));
                    break;
                case 5:
                    frame(4, 1, 0, "");
                    break;
                case 6:
                    frame(6, 0, 0, "pingpong");
                    break;
                case 8:
                    trailers(stream);
                    break;
                case 9:
                    current() += bytes(input_.byte());
                    break;
                case 10:
                    frame(7, 0, 0, std::string(8, '\0'));
                    break;
                case 11:
                    frame(2, 0, stream,
                          std::string("\0\0\0", 3) + static_cast<char>(index * 2 + 3) + bytes(1));
                    break;
                case 12:
                    frame(0, 1, stream, "");
                    break;
                default:
                    if (!current().empty()) {
                        segments_.emplace_back();
                    }
                    break;
            }
        }
        return std::move(segments_);
    }

private:
    // Fields a request's handling depends on; values come from the input.
    static constexpr std::string_view kFieldNames[] = {
        "content-encoding",
        "connect-content-encoding",
        "grpc-encoding",
        "accept-encoding",
        "grpc-accept-encoding",
        "grpc-timeout",
        "connect-timeout-ms",
        "connect-protocol-version",
        "content-type",
        "te",
        "origin",
        "x-user-agent",
    };

    using Fields = std::vector<std::pair<std::string, std::string>>;

    static Fields request(std::uint8_t which) {
        constexpr std::string_view login = "/pm.v1.ControlService/Login";
        constexpr std::string_view stream = "/pm.v1.AgentService/Stream";
        struct Template {
            std::string_view method, path, content_type, extra_name, extra_value;
        };
        static constexpr Template kTemplates[] = {
            {"POST", login, "application/json", "", ""},
            {"POST", login, "application/grpc", "te", "trailers"},
            {"POST", stream, "application/connect+json", "connect-protocol-version", "1"},
            {"POST", stream, "application/grpc+proto", "grpc-accept-encoding", "gzip"},
            {"POST", login, "application/grpc-web-text", "x-grpc-web", "1"},
            {"POST", stream, "application/connect+proto", "connect-content-encoding", "gzip"},
            {"GET", login, "application/json", "", ""},
            {"POST", "/pm.v1.ControlService/Nope", "application/proto", "", ""},
        };
        const auto& t = kTemplates[which & 7];
        Fields fields{{":method", std::string(t.method)},
                      {":scheme", "http"},
                      {":authority", "localhost"},
                      {":path", std::string(t.path)},
                      {"content-type", std::string(t.content_type)}};
        if (!t.extra_name.empty()) {
            fields.emplace_back(t.extra_name, t.extra_value);
        }
        return fields;
    }

    // HPACK literal fields without indexing or Huffman (RFC 7541 6.2.2): nghttp2 decodes every
    // representation alike, and this keeps values the input's own bytes.
    static void hpack_int(std::string& out, std::size_t value, std::uint8_t first) {
        if (value < 127) {
            out += static_cast<char>(first | value);
            return;
        }
        out += static_cast<char>(first | 127);
        value -= 127;
        while (value >= 128) {
            out += static_cast<char>(value % 128 + 128);
            value /= 128;
        }
        out += static_cast<char>(value);
    }

    static std::string hpack(const Fields& fields) {
        std::string block;
        for (const auto& [name, value] : fields) {
            block += '\0';
            hpack_int(block, name.size(), 0);
            block += name;
            hpack_int(block, value.size(), 0);
            block += value;
        }
        return block;
    }

    void headers(std::uint32_t stream) {
        const auto how = input_.byte();
        auto fields = request(how);
        if ((how & 0x10) != 0) {
            const auto name = kFieldNames[input_.byte() % std::size(kFieldNames)];
            fields.emplace_back(name, bytes(input_.byte()));
        }
        auto block = hpack(fields);
        std::uint8_t flags = (how & 0x08) != 0 ? 0x1 : 0;
        if ((how & 0x40) != 0) {
            flags |= 0x20;  // PRIORITY: depends on stream 0, weight 16
            block.insert(0, std::string("\0\0\0\0\x0f", 5));
        }
        if ((how & 0x20) != 0 && block.size() > 1) {
            const auto half = block.size() / 2;
            frame(1, flags, stream, block.substr(0, half));
            frame(9, 0x4, stream, block.substr(half));
        } else {
            frame(1, flags | 0x4, stream, block);
        }
    }

    void trailers(std::uint32_t stream) {
        frame(1, 0x5, stream, hpack({{"x-trailer", bytes(input_.byte() % 32)}}));
    }

    std::string bytes(std::size_t count) {
        const auto rest = input_.rest();
        const auto take = std::min(count, rest.size());
        std::string out(rest.substr(0, take));
        for (std::size_t i = 0; i < take; ++i) {
            input_.byte();
        }
        out.resize(count, '\0');
        return out;
    }

    void frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
               const std::string& payload) {
        auto& out = current();
        const auto size = payload.size();
        out += static_cast<char>((size >> 16) & 0xFF);
        out += static_cast<char>((size >> 8) & 0xFF);
        out += static_cast<char>(size & 0xFF);
        out += static_cast<char>(type);
        out += static_cast<char>(flags);
        out += static_cast<char>((stream >> 24) & 0x7F);
        out += static_cast<char>((stream >> 16) & 0xFF);
        out += static_cast<char>((stream >> 8) & 0xFF);
        out += static_cast<char>(stream & 0xFF);
        out += payload;
    }

    std::string& current() { return segments_.back(); }

    pm::fuzz::Input& input_;
    std::vector<std::string> segments_;
};

// The client's end of the socket pair: writes what it has without blocking, discards what the
// server sends.
class Client {
public:
    Client(int fd, std::vector<std::string> segments)
        : fd_(fd), segments_(segments.begin(), segments.end()) {
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
        next_segment();
    }
    ~Client() { ::close(fd_); }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Writes and reads what it can; true if anything moved.
    bool pump() {
        bool moved = false;
        while (!pending_.empty()) {
            const auto n = ::send(fd_, pending_.data(), pending_.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                    pending_.clear();  // the server closed: the rest is lost, as on a network
                }
                break;
            }
            pending_.erase(0, static_cast<std::size_t>(n));
            moved = true;
        }
        char buffer[16384];
        for (;;) {
            const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) {
                break;
            }
            if (pm::fuzz::verbose()) {
                std::fprintf(
                    stderr, "server sent %zd bytes: %s\n", n,
                    printable(std::string_view(buffer, static_cast<std::size_t>(n))).c_str());
                if (const char* dump = std::getenv("PM_FUZZ_H2_DUMP")) {
                    if (auto* file = std::fopen(dump, "ab")) {
                        std::fwrite(buffer, 1, static_cast<std::size_t>(n), file);
                        std::fclose(file);
                    }
                }
            }
            moved = true;
        }
        if (half_close_ && pending_.empty() && segments_.empty() && !shut_) {
            ::shutdown(fd_, SHUT_WR);
            shut_ = true;
            moved = true;
        }
        return moved;
    }

    // Moves on to the next segment once the current one is written; false if there is none.
    bool next_segment() {
        if (!pending_.empty() || segments_.empty()) {
            return false;
        }
        pending_ = std::move(segments_.front());
        segments_.pop_front();
        return true;
    }

    // Ends the client's side once everything is written.
    void half_close() { half_close_ = true; }
    bool shut() const { return shut_; }

private:
    static std::string printable(std::string_view bytes) {
        std::string out;
        for (const char c : bytes) {
            out += c >= 0x20 && c < 0x7F ? c : '.';
        }
        return out;
    }

    int fd_;
    std::deque<std::string> segments_;
    std::string pending_;
    bool half_close_ = false;
    bool shut_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::signal(SIGPIPE, SIG_IGN);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    pm::fuzz::Input input(data, size);
    const auto choice = input.byte();
    const auto arrival = (choice >> 3) & 3;
    const auto split = arrival >= 2 ? input.byte() : 0;

    std::vector<std::string> segments;
    if ((choice & 0x80) != 0) {
        segments = Frames(input).build();
    } else {
        segments.emplace_back((choice & 1) != 0 ? kPreface : ""sv);
        segments.front() += input.rest();
    }
    // The listener hands over what it read while sniffing the preface; the rest comes through
    // the socket.
    std::string initial;
    auto& first = segments.front();
    if (arrival == 0) {
        initial = std::move(first);
        first.clear();
    } else if (arrival >= 2) {
        const auto cut = first.size() * split / 256;
        initial = first.substr(0, cut);
        first.erase(0, cut);
    }

    int fds[2];
    require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
    asio::io_context io;
    // An AF_UNIX stream behind a tcp::socket: the HTTP/2 engine only reads and writes it.
    asio::ip::tcp::socket socket(io);
    socket.assign(asio::ip::tcp::v4(), fds[0]);
    Client client(fds[1], std::move(segments));
    if ((choice & 0x20) != 0) {
        client.half_close();
    }

    detail::ConnectionInfo info;
    info.remote_address = "127.0.0.1:1";
    if ((choice & 0x40) != 0) {
        info.control->begin_drain();
    }
    const auto limits = pm::fuzz::fuzz_limits();
    bool finished = false;
    const auto done = [&finished](std::exception_ptr error) {
        require(!error, "serve_http2 threw");
        finished = true;
    };
    detail::AnyStream stream(std::move(socket));
    if (((choice >> 1) & 3) == 0) {
        asio::co_spawn(io,
                       detail::serve_http2(std::move(stream), std::move(initial), std::move(info),
                                           pm::fuzz::fuzz_router(), limits),
                       done);
    } else {
        asio::co_spawn(io,
                       detail::serve_http2(std::move(stream), std::move(initial), std::move(info),
                                           stub_handler(choice), limits),
                       done);
    }

    std::optional<std::chrono::steady_clock::time_point> give_up;
    while (!finished) {
        const bool moved = client.pump();
        if (io.poll() > 0 || moved) {
            continue;
        }
        if (client.next_segment()) {
            continue;  // the server has gone quiet: the client sends its next frames
        }
        if (!client.shut()) {
            client.half_close();  // the server has gone quiet: end the client's side
            continue;
        }
        // Only timers or the end of the connection are left.
        if (!give_up) {
            give_up = std::chrono::steady_clock::now() + kFinishBound;
        }
        require(std::chrono::steady_clock::now() < *give_up,
                "the connection did not finish after the client's end of stream");
        io.run_one_for(std::chrono::milliseconds(10));
    }
    io.poll();
    client.pump();
    return 0;
}
