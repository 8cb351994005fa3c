#pragma once

// What the listener hands the HTTP engine of one connection.
//
// The listener (listener.cpp) accepts a connection, runs the TLS handshake, picks the HTTP
// version (ALPN on TLS; on cleartext, whether the first 24 bytes are the HTTP/2 client preface)
// and then calls, on the connection's strand, one of
//
//     serve_http1(stream, initial_bytes, info, router, limits)   (h1_session.hpp)
//     serve_http2(stream, initial_bytes, info, router, limits)   (h2_server.hpp)
//
// with the same arguments:
//   - `stream`: the connection as an AnyStream (below): cleartext TCP or TLS (handshake done)
//     behind one type, so each engine is compiled once. The engine owns it and closes it.
//   - `initial_bytes`: what the listener already read while sniffing the preface (cleartext
//     only; empty on TLS). On cleartext HTTP/2 it starts with the 24-byte client preface.
//   - `info`: the peer (ConnectionInfo, below), with the drain signal for Server::stop().
//   - `router`: handlers and HTTP policy (router.hpp); each request becomes an Exchange served by
//     serve_exchange() (exchange.hpp).
//   - `limits`: the server's Limits.
// The coroutine returns when the connection is finished and must not throw.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/service.hpp>

namespace pm::rpc::detail {

/// Up to kMaxBuffers buffers of one gather write, as one non-template buffer sequence.
class ConstBufferList {
public:
    /// More buffers than this are left to the next write_some.
    static constexpr std::size_t kMaxBuffers = 16;

    /// Takes the first non-empty buffers of any ConstBufferSequence.
    template <class ConstBufferSequence>
    explicit ConstBufferList(const ConstBufferSequence& buffers) {
        auto it = boost::asio::buffer_sequence_begin(buffers);
        const auto end = boost::asio::buffer_sequence_end(buffers);
        for (; it != end && size_ < kMaxBuffers; ++it) {
            const boost::asio::const_buffer buffer(*it);
            if (buffer.size() != 0) {
                buffers_[size_++] = buffer;
            }
        }
    }

    const boost::asio::const_buffer* begin() const { return buffers_.data(); }        ///< first
    const boost::asio::const_buffer* end() const { return buffers_.data() + size_; }  ///< past last
    std::size_t size() const { return size_; }  ///< how many buffers

private:
    std::array<boost::asio::const_buffer, kMaxBuffers> buffers_{};
    std::size_t size_ = 0;
};

/// A connected byte stream, cleartext TCP or TLS (handshake done), behind one non-template type.
///
/// Two ways to use it:
///   - coroutine helpers: read_some() / write(), which throw boost::system::system_error;
///   - Asio's AsyncReadStream / AsyncWriteStream model (async_read_some, async_write_some with
///     any completion token), so Beast's http::async_read and asio::async_write work on it.
///     The templates erase the handler (any_completion_handler), so the socket and TLS
///     operations are instantiated once, in transport.cpp.
/// Cancellation: operations honour their handler's cancellation slot (e.g. the awaiting
/// coroutine's, as in `co_await (read || timer)`); cancelling an operation leaves the stream
/// open. Timeouts: expires_at()/expires_after() arm one watchdog per stream: when it passes, the
/// socket is closed, pending operations fail, and timed_out() turns true. Re-arming or
/// expires_never() replaces the previous deadline.
/// Threading: like any Asio I/O object, use it on its executor (the connection's strand).
class AnyStream {
public:
    using Socket = boost::asio::ip::tcp::socket;         ///< cleartext
    using TlsStream = boost::asio::ssl::stream<Socket>;  ///< TLS, handshake done
    /// Completion of a read or write: error and bytes transferred.
    using IoHandler =
        boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;

    /// A cleartext connection.
    explicit AnyStream(Socket socket);
    /// A TLS connection whose handshake has completed.
    explicit AnyStream(TlsStream stream);
    AnyStream(AnyStream&&) noexcept;             ///< moves the connection
    AnyStream& operator=(AnyStream&&) noexcept;  ///< moves the connection
    ~AnyStream();                                ///< closes the socket if still open

    /// The socket's executor (the connection's strand).
    boost::asio::any_io_executor get_executor() const;

    /// Reads at least one byte; throws boost::system::system_error (asio::error::eof at the
    /// peer's end of stream).
    Task<std::size_t> read_some(std::span<char> buffer);
    /// Writes all of `data`; throws boost::system::system_error.
    Task<void> write(std::span<const char> data);
    /// TLS close_notify (on TLS) and a TCP half-close, bounded by the watchdog; never throws.
    /// Call close() afterwards.
    Task<void> shutdown();
    /// Closes the socket at once; pending operations complete with an error.
    void close() noexcept;
    /// Whether the socket is still open.
    bool is_open() const;
    /// Whether this is a TLS connection.
    bool secure() const;
    /// The TCP socket underneath (options, endpoints).
    Socket& lowest_layer();

    /// Writes what a cleartext socket takes at once, without waiting: the bytes written, 0 on
    /// TLS or when the socket's send buffer is full. `error` set means the connection is broken.
    /// A small response then leaves with no asynchronous operation (no handler, no completion
    /// through the event loop); the caller writes the rest, if any, asynchronously.
    std::size_t write_now(const ConstBufferList& buffers, boost::system::error_code& error);

    /// Arms the watchdog: at `deadline` the socket is closed (see the class comment).
    void expires_at(std::chrono::steady_clock::time_point deadline);
    /// Arms the watchdog `timeout` from now.
    void expires_after(std::chrono::steady_clock::duration timeout) {
        expires_at(std::chrono::steady_clock::now() + timeout);
    }
    /// Disarms the watchdog.
    void expires_never();
    /// True once the watchdog has closed the socket.
    bool timed_out() const;

    /// AsyncReadStream: reads at least one byte into the first non-empty buffer.
    template <class MutableBufferSequence, class ReadToken>
    auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
        boost::asio::mutable_buffer first;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers); ++it) {
            first = boost::asio::mutable_buffer(*it);
            if (first.size() != 0) {
                break;
            }
        }
        return boost::asio::async_initiate<ReadToken, void(boost::system::error_code, std::size_t)>(
            [](auto handler, AnyStream* self, boost::asio::mutable_buffer buffer) {
                self->start_read(buffer, IoHandler(std::move(handler)));
            },
            token, this, first);
    }

    /// AsyncWriteStream: writes some bytes, gathering up to ConstBufferList::kMaxBuffers.
    template <class ConstBufferSequence, class WriteToken>
    auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
        return boost::asio::async_initiate<WriteToken,
                                           void(boost::system::error_code, std::size_t)>(
            [](auto handler, AnyStream* self, const ConstBufferList& list) {
                self->start_write(list, IoHandler(std::move(handler)));
            },
            token, this, ConstBufferList(buffers));
    }

    /// For Asio's model: the executor type.
    using executor_type = boost::asio::any_io_executor;

private:
    struct Impl;
    void start_read(boost::asio::mutable_buffer buffer, IoHandler handler);
    void start_write(const ConstBufferList& buffers, IoHandler handler);

    std::unique_ptr<Impl> impl_;
};

/// The listener's handle on one connection, for a graceful Server::stop(). Shared by the
/// listener and the connection's engine.
class ConnectionControl {
public:
    /// True once stop() has begun: finish the calls in flight, start no new ones (HTTP/1.1: close
    /// after the current response; HTTP/2: send GOAWAY), then return.
    bool draining() const { return draining_.load(std::memory_order_acquire); }

    /// Registers the engine's reaction to draining (HTTP/1.1: close an idle keep-alive
    /// connection; HTTP/2: send GOAWAY). It runs on the connection's strand, once; inline if
    /// draining has already begun. One callback per connection; a later one replaces it, and an
    /// engine passes an empty one before it returns.
    void on_drain(std::function<void()> callback) {
        {
            std::lock_guard lock(mutex_);
            if (!draining_.load(std::memory_order_acquire)) {
                callback_ = std::move(callback);
                return;
            }
        }
        if (callback) {
            callback();
        }
    }

    /// Listener side: marks the connection as draining and runs the callback. Call it on the
    /// connection's strand.
    void begin_drain() {
        std::function<void()> callback;
        {
            std::lock_guard lock(mutex_);
            draining_.store(true, std::memory_order_release);
            callback = std::move(callback_);
        }
        if (callback) {
            callback();
        }
    }

private:
    std::atomic<bool> draining_{false};
    std::mutex mutex_;
    std::function<void()> callback_;
};

/// What the listener knows about a connection.
struct ConnectionInfo {
    std::string remote_address;                       ///< the peer, "ip:port" ("[v6]:port")
    bool secure = false;                              ///< TLS
    std::optional<PeerCertificate> peer_certificate;  ///< the verified client certificate
    std::string peer_identity;  ///< TlsOptions::identity_mapper's result; empty without one
    /// Drain signal for stop(); never null when the listener calls an engine.
    std::shared_ptr<ConnectionControl> control = std::make_shared<ConnectionControl>();
};

}  // namespace pm::rpc::detail
