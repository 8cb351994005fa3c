// AnyStream: the one place that instantiates Asio's read/write templates for both stream types,
// so the protocol implementations above it are compiled once.

#include "rpc/transport.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace pm::rpc::detail {

namespace asio = boost::asio;

namespace {

// TLS writes one buffer per record, so a gather write of small buffers (an HTTP header and its
// body) is copied into one buffer of at most this size first, as Beast's flat_stream does.
constexpr std::size_t kCoalesceLimit = 16 * 1024;

// Closes the socket when the deadline passes. Shared with the pending timer handler, which must
// not touch a stream that is gone. Lazy, because a connection re-arms it around every read and
// write: a later deadline (the common case) leaves the pending wait alone, and the wait, when it
// ends before the deadline it now serves, waits again; only an earlier deadline moves the timer.
// So a busy connection costs a clock read per operation, not a timer cancel and a new wait.
struct Watchdog {
    using Clock = std::chrono::steady_clock;
    explicit Watchdog(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();  // max: disarmed
    std::uint64_t wait_generation = 0;  // tells the pending wait from cancelled ones
    bool waiting = false;               // a wait for timer.expiry() is pending
    bool fired = false;
    AnyStream::Socket* socket = nullptr;

    // Waits until the current deadline (replacing any pending wait).
    static void wait(const std::shared_ptr<Watchdog>& self) {
        const auto generation = ++self->wait_generation;
        self->waiting = true;
        self->timer.expires_at(self->deadline);
        self->timer.async_wait([weak = std::weak_ptr<Watchdog>(self),
                                generation](const boost::system::error_code& error) {
            auto alive = weak.lock();
            if (error || !alive || alive->wait_generation != generation) {
                return;
            }
            alive->waiting = false;
            if (alive->socket == nullptr || alive->deadline == Clock::time_point::max()) {
                return;
            }
            if (Clock::now() < alive->deadline) {
                wait(alive);  // the deadline moved later while this wait was pending
                return;
            }
            alive->fired = true;
            boost::system::error_code ignored;
            alive->socket->close(ignored);
        });
    }

    void stop() {
        deadline = Clock::time_point::max();
        ++wait_generation;
        waiting = false;
        timer.cancel();
    }
};

}  // namespace

struct AnyStream::Impl {
    std::variant<Socket, TlsStream> stream;
    std::shared_ptr<Watchdog> watchdog;
    std::vector<char> coalesced;  // the pending TLS gather write, see kCoalesceLimit

    explicit Impl(std::variant<Socket, TlsStream> s) : stream(std::move(s)) {
        watchdog = std::make_shared<Watchdog>(socket().get_executor());
        watchdog->socket = &socket();
    }
    ~Impl() {
        watchdog->socket = nullptr;
        watchdog->stop();
    }

    Socket& socket() {
        if (auto* tcp = std::get_if<Socket>(&stream)) {
            return *tcp;
        }
        return std::get<TlsStream>(stream).next_layer();
    }
};

AnyStream::AnyStream(Socket socket)
    : impl_(std::make_unique<Impl>(std::variant<Socket, TlsStream>(std::move(socket)))) {}

AnyStream::AnyStream(TlsStream stream)
    : impl_(std::make_unique<Impl>(std::variant<Socket, TlsStream>(std::move(stream)))) {}

AnyStream::AnyStream(AnyStream&&) noexcept = default;
AnyStream& AnyStream::operator=(AnyStream&&) noexcept = default;
AnyStream::~AnyStream() = default;

asio::any_io_executor AnyStream::get_executor() const {
    return impl_->socket().get_executor();
}

Task<std::size_t> AnyStream::read_some(std::span<char> buffer) {
    co_return co_await async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                       asio::use_awaitable);
}

Task<void> AnyStream::write(std::span<const char> data) {
    co_await asio::async_write(*this, asio::buffer(data.data(), data.size()), asio::use_awaitable);
}

Task<void> AnyStream::shutdown() {
    boost::system::error_code ignored;
    if (auto* tls = std::get_if<TlsStream>(&impl_->stream)) {
        // Waits for the peer's close_notify too; the watchdog bounds a peer that never sends it.
        co_await tls->async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (impl_->socket().is_open()) {
        impl_->socket().shutdown(Socket::shutdown_send, ignored);
    }
}

void AnyStream::close() noexcept {
    if (!impl_) {
        return;
    }
    boost::system::error_code ignored;
    auto& socket = impl_->socket();
    if (socket.is_open()) {
        socket.shutdown(Socket::shutdown_both, ignored);
        socket.close(ignored);
    }
    impl_->watchdog->stop();
}

bool AnyStream::is_open() const {
    return impl_ && impl_->socket().is_open();
}

bool AnyStream::secure() const {
    return std::holds_alternative<TlsStream>(impl_->stream);
}

AnyStream::Socket& AnyStream::lowest_layer() {
    return impl_->socket();
}

void AnyStream::expires_at(std::chrono::steady_clock::time_point deadline) {
    auto& dog = *impl_->watchdog;
    dog.deadline = deadline;
    if (dog.waiting && dog.timer.expiry() <= deadline) {
        return;  // the pending wait ends first and then serves this deadline (see Watchdog)
    }
    Watchdog::wait(impl_->watchdog);
}

void AnyStream::expires_never() {
    // The pending wait, if any, ends quietly when it sees no deadline.
    impl_->watchdog->deadline = std::chrono::steady_clock::time_point::max();
}

bool AnyStream::timed_out() const {
    return impl_->watchdog->fired;
}

void AnyStream::start_read(asio::mutable_buffer buffer, IoHandler handler) {
    if (auto* tcp = std::get_if<Socket>(&impl_->stream)) {
        tcp->async_read_some(buffer, std::move(handler));
        return;
    }
    std::get<TlsStream>(impl_->stream).async_read_some(buffer, std::move(handler));
}

std::size_t AnyStream::write_now(const ConstBufferList& buffers, boost::system::error_code& error) {
    error = {};
    auto* tcp = std::get_if<Socket>(&impl_->stream);
    if (tcp == nullptr) {
        return 0;  // TLS records are written by the TLS stream's own operations
    }
    // Non-blocking at the user level too, so that this write cannot block the thread; the
    // asynchronous operations work the same either way.
    if (!tcp->non_blocking()) {
        tcp->non_blocking(true, error);
        if (error) {
            return 0;
        }
    }
    const auto written = tcp->write_some(buffers, error);
    if (error == asio::error::would_block) {
        error = {};
        return 0;
    }
    return error ? 0 : written;
}

void AnyStream::start_write(const ConstBufferList& buffers, IoHandler handler) {
    if (auto* tcp = std::get_if<Socket>(&impl_->stream)) {
        tcp->async_write_some(buffers, std::move(handler));
        return;
    }
    auto& tls = std::get<TlsStream>(impl_->stream);
    if (buffers.size() <= 1 || buffers.begin()->size() >= kCoalesceLimit) {
        tls.async_write_some(buffers, std::move(handler));
        return;
    }
    // Copy a prefix of the sequence into one buffer; the bytes written are then a prefix of
    // the caller's sequence too, as write_some requires.
    auto& out = impl_->coalesced;
    out.clear();
    for (const auto& buffer : buffers) {
        const auto take = std::min(buffer.size(), kCoalesceLimit - out.size());
        const auto* bytes = static_cast<const char*>(buffer.data());
        out.insert(out.end(), bytes, bytes + take);
        if (out.size() == kCoalesceLimit) {
            break;
        }
    }
    tls.async_write_some(asio::buffer(out), std::move(handler));
}

}  // namespace pm::rpc::detail
