// The accept loop and each connection's first steps. One strand per connection: the engine,
// its exchanges and their handlers all run on it.

#include "rpc/listener.hpp"

#include <array>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <powermanage/common/log.hpp>

#include "rpc/h1_session.hpp"
#include "rpc/h2_server.hpp"
#include "rpc/router.hpp"
#include "rpc/tls.hpp"
#include "rpc/transport.hpp"

namespace pm::rpc::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// After the grace period, cancelled connections get this long to unwind before the I/O
// threads stop (and destroy whatever is left).
constexpr auto kUnwindTime = std::chrono::seconds(2);

tcp::endpoint resolve(asio::io_context& io, const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "listen address \"" + address + "\" needs host:port");
    }
    auto host = address.substr(0, colon);
    const auto port = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    tcp::resolver resolver(io);
    boost::system::error_code error;
    const auto results =
        resolver.resolve(host.empty() ? "0.0.0.0" : host, port,
                         tcp::resolver::passive | tcp::resolver::numeric_service, error);
    if (error || results.empty()) {
        throw std::system_error(error ? std::error_code(error.value(), std::system_category())
                                      : std::make_error_code(std::errc::invalid_argument),
                                "cannot resolve listen address \"" + address + "\"");
    }
    return results.begin()->endpoint();
}

std::string describe(const tcp::endpoint& endpoint) {
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    const auto port = std::to_string(endpoint.port());
    return address.is_v6() ? "[" + address.to_string() + "]:" + port
                           : address.to_string() + ":" + port;
}

}  // namespace

struct Listener::State : std::enable_shared_from_this<State> {
    struct Entry {
        asio::any_io_executor strand;
        std::shared_ptr<ConnectionControl> control;
        std::shared_ptr<asio::cancellation_signal> cancel;
    };

    State(asio::io_context& context, const ServerOptions& server_options, const Router& routes,
          std::shared_ptr<const void> owner)
        : keep_alive(std::move(owner)),
          io(context),
          options(server_options),
          router(routes),
          accept_strand(asio::make_strand(context)),
          acceptor(accept_strand) {}

    std::shared_ptr<const void> keep_alive;  // owns options and router
    asio::io_context& io;
    const ServerOptions& options;
    const Router& router;
    std::optional<ssl::context> tls;
    asio::strand<asio::io_context::executor_type> accept_strand;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;

    mutable std::mutex mutex;
    std::condition_variable changed;
    std::unordered_map<std::uint64_t, Entry> connections;
    std::uint64_t next_id = 0;
    bool stopping = false;

    void remove(std::uint64_t id) {
        std::lock_guard lock(mutex);
        connections.erase(id);
        changed.notify_all();
    }

    Task<void> accept_loop();
    Task<void> serve_connection(tcp::socket socket, std::shared_ptr<ConnectionControl> control);
    Task<void> serve_tls(tcp::socket socket, ConnectionInfo info);
    Task<void> serve_cleartext(tcp::socket socket, ConnectionInfo info);
};

Task<void> Listener::State::accept_loop() {
    auto self = shared_from_this();
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(asio::make_strand(io), kAwait);
        if (error) {
            if (!acceptor.is_open() || error == asio::error::operation_aborted) {
                co_return;
            }
            // Out of descriptors and the like: pause rather than spin, then go on.
            default_logger().warn("rpc accept failed", {{"error", error.message()}});
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(kAwait);
            continue;
        }
        auto control = std::make_shared<ConnectionControl>();
        auto cancel = std::make_shared<asio::cancellation_signal>();
        std::uint64_t id = 0;
        {
            std::lock_guard lock(mutex);
            if (stopping || connections.size() >= options.limits.max_connections) {
                boost::system::error_code ignored;
                socket.close(ignored);
                continue;
            }
            id = next_id++;
            connections.emplace(id, Entry{socket.get_executor(), control, cancel});
        }
        auto strand = socket.get_executor();
        asio::co_spawn(
            strand, serve_connection(std::move(socket), std::move(control)),
            asio::bind_cancellation_slot(cancel->slot(), [self, id, cancel](std::exception_ptr) {
                // Detach the handler from the signal before the registry
                // entry, which also owns the signal, goes away.
                cancel->slot().clear();
                self->remove(id);
            }));
    }
}

Task<void> Listener::State::serve_connection(tcp::socket socket,
                                             std::shared_ptr<ConnectionControl> control) {
    ConnectionInfo info;
    info.control = std::move(control);
    boost::system::error_code error;
    const auto endpoint = socket.remote_endpoint(error);
    if (error) {
        co_return;  // already gone
    }
    info.remote_address = describe(endpoint);
    socket.set_option(tcp::no_delay(true), error);
    try {
        if (tls) {
            co_await serve_tls(std::move(socket), std::move(info));
        } else {
            co_await serve_cleartext(std::move(socket), std::move(info));
        }
    } catch (const std::exception& failure) {
        // The engines do not throw; this is the last line that keeps one connection's surprise
        // away from the others.
        default_logger().warn("rpc connection failed", {{"what", failure.what()}});
    }
}

Task<void> Listener::State::serve_tls(tcp::socket socket, ConnectionInfo info) {
    AnyStream::TlsStream stream(std::move(socket), *tls);
    asio::steady_timer timer(stream.get_executor(), options.limits.handshake_timeout);
    auto outcome = co_await (stream.async_handshake(ssl::stream_base::server, kAwait) ||
                             timer.async_wait(kAwait));
    if (outcome.index() != 0 || std::get<0>(std::get<0>(outcome))) {
        // Timed out, or failed: no certificate when one is required, one from another CA, a
        // protocol version below the minimum... The client learns it from the alert.
        co_return;
    }
    auto* native = stream.native_handle();
    info.secure = true;
    info.peer_certificate = peer_certificate(native);
    if (info.peer_certificate && options.tls->identity_mapper) {
        try {
            info.peer_identity = options.tls->identity_mapper(*info.peer_certificate);
        } catch (const std::exception& failure) {
            default_logger().warn("rpc identity mapper failed", {{"what", failure.what()}});
        }
    }
    const bool http2 = selected_alpn(native) == "h2";
    AnyStream any(std::move(stream));
    if (http2) {
        co_await serve_http2(std::move(any), std::string(), std::move(info), router,
                             options.limits);
    } else {
        co_await serve_http1(std::move(any), std::string(), std::move(info), router,
                             options.limits);
    }
}

Task<void> Listener::State::serve_cleartext(tcp::socket socket, ConnectionInfo info) {
    AnyStream stream(std::move(socket));
    // Read until the bytes either are the HTTP/2 client preface or cannot become it.
    std::string initial;
    stream.expires_after(options.limits.handshake_timeout);
    while (initial.size() < kHttp2Preface.size() && kHttp2Preface.starts_with(initial)) {
        std::array<char, 4096> buffer;
        auto [error, read] = co_await stream.async_read_some(asio::buffer(buffer), kAwait);
        if (error) {
            stream.close();
            co_return;
        }
        initial.append(buffer.data(), read);
    }
    stream.expires_never();
    if (initial.starts_with(kHttp2Preface)) {
        co_await serve_http2(std::move(stream), std::move(initial), std::move(info), router,
                             options.limits);
    } else {
        co_await serve_http1(std::move(stream), std::move(initial), std::move(info), router,
                             options.limits);
    }
}

Listener::Listener(asio::io_context& io, const ServerOptions& options, const Router& router,
                   std::shared_ptr<const void> keep_alive)
    : state_(std::make_shared<State>(io, options, router, std::move(keep_alive))) {
    if (options.tls) {
        state_->tls.emplace(make_server_context(*options.tls));
    }
    const auto endpoint = resolve(io, options.listen_address);
    auto& acceptor = state_->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    state_->port = acceptor.local_endpoint().port();
}

Listener::~Listener() = default;

std::uint16_t Listener::port() const {
    return state_->port;
}

void Listener::start() {
    asio::co_spawn(state_->acceptor.get_executor(), state_->accept_loop(), asio::detached);
}

void Listener::shutdown(std::chrono::milliseconds grace) {
    auto& state = *state_;
    std::vector<State::Entry> open;
    {
        std::lock_guard lock(state.mutex);
        state.stopping = true;
        for (const auto& [id, entry] : state.connections) {
            open.push_back(entry);
        }
    }
    close_acceptor();
    for (const auto& entry : open) {
        asio::post(entry.strand, [control = entry.control] { control->begin_drain(); });
    }
    std::unique_lock lock(state.mutex);
    if (state.changed.wait_for(lock, grace, [&] { return state.connections.empty(); })) {
        return;
    }
    // Grace is over: cancel what is left (handlers see operation_aborted, engines close).
    for (const auto& [id, entry] : state.connections) {
        asio::post(entry.strand,
                   [cancel = entry.cancel] { cancel->emit(asio::cancellation_type::terminal); });
    }
    state.changed.wait_for(lock, kUnwindTime, [&] { return state.connections.empty(); });
}

void Listener::close_acceptor() {
    // The acceptor belongs to its strand; closing it there keeps it off the accept loop's
    // toes. The wait makes shutdown()'s promise hold: once it returns, a connect is refused
    // rather than queued behind an acceptor that is about to close.
    const auto& executor = state_->accept_strand;
    if (executor.running_in_this_thread()) {
        boost::system::error_code ignored;
        state_->acceptor.close(ignored);
        return;
    }
    auto closed = std::make_shared<std::promise<void>>();
    auto done = closed->get_future();
    asio::post(executor, [self = state_, closed] {
        boost::system::error_code ignored;
        self->acceptor.close(ignored);
        closed->set_value();
    });
    if (done.wait_for(kUnwindTime) == std::future_status::ready) {
        return;
    }
    // Nothing runs the context (its owner stopped it first): no accept can be in progress,
    // so closing from here races with nothing.
    default_logger().warn("rpc listener closed its acceptor without the io_context running");
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
}

std::size_t Listener::connection_count() const {
    std::lock_guard lock(state_->mutex);
    return state_->connections.size();
}

}  // namespace pm::rpc::detail
