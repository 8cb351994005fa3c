#include "h2_test_server.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "rpc/connect_error.hpp"
#include "rpc/envelope.hpp"
#include "rpc/h2_server.hpp"
#include "rpc/tls.hpp"

namespace pm::rpc::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using detail::Exchange;

namespace {

Task<void> sleep_for(std::chrono::milliseconds duration) {
    asio::steady_timer timer(co_await asio::this_coro::executor, duration);
    co_await timer.async_wait(asio::use_awaitable);
}

std::size_t header_number(const Exchange& exchange, std::string_view name) {
    const auto value = exchange.head().headers.get(name);
    return value ? std::stoull(std::string(*value)) : 0;
}

Task<std::size_t> drain_body(Exchange& exchange) {
    std::size_t total = 0;
    while (auto chunk = co_await exchange.read_body()) {
        total += chunk->size();
    }
    co_return total;
}

Task<void> answer(Exchange& exchange, int status, std::string body) {
    Headers headers;
    headers.add("content-type", "text/plain");
    co_await exchange.send_headers(status, headers, false);
    co_await exchange.send_data(std::move(body), true);
}

Task<void> connect_stream(Exchange& exchange, bool fail) {
    Headers headers;
    headers.add("content-type", "application/connect+proto");
    co_await exchange.send_headers(200, headers, false);
    detail::EnvelopeReader reader(1u << 20);
    while (auto chunk = co_await exchange.read_body()) {
        reader.append(*chunk);
        detail::Envelope envelope;
        while (reader.next(envelope) == detail::EnvelopeReader::Result::envelope) {
            if (!fail &&
                !co_await exchange.send_data(detail::make_envelope(0, envelope.payload), false)) {
                co_return;
            }
        }
    }
    const Status status = fail ? Status{Code::permission_denied, "no access"} : Status{};
    Headers trailers;
    trailers.add("x-served-by", "h2-test");
    co_await exchange.send_data(
        detail::make_envelope(detail::kFlagEndStream,
                              detail::connect_end_stream_json(status, trailers)),
        true);
}

Task<void> handle(Exchange& exchange, Probe& probe) {
    const std::string path = exchange.head().path;
    if (path == "/unary") {
        const auto size = co_await drain_body(exchange);
        co_await answer(exchange, 200, "size=" + std::to_string(size));
    } else if (path == "/echo") {
        co_await exchange.send_headers(200, Headers{}, false);
        while (auto chunk = co_await exchange.read_body()) {
            if (!co_await exchange.send_data(std::move(*chunk), false)) {
                co_return;
            }
        }
        Headers trailers;
        trailers.add("x-result", "ok");
        co_await exchange.send_trailers(trailers);
    } else if (path == "/download") {
        const auto bytes = header_number(exchange, "x-bytes");
        co_await exchange.send_headers(200, Headers{}, false);
        const std::string piece(64u << 10, 'd');
        std::size_t sent = 0;
        while (sent < bytes) {
            const auto size = std::min(piece.size(), bytes - sent);
            if (!co_await exchange.send_data(piece.substr(0, size), false)) {
                co_return;
            }
            sent += size;
            probe.download_sent = sent;
        }
        co_await exchange.send_data(std::string(), true);
        probe.download_done = true;
    } else if (path == "/slow-read") {
        co_await sleep_for(std::chrono::milliseconds(header_number(exchange, "x-delay-ms")));
        const auto size = co_await drain_body(exchange);
        co_await answer(exchange, 200, "size=" + std::to_string(size));
    } else if (path == "/wait-reset") {
        co_await exchange.send_headers(200, Headers{}, false);
        try {
            co_await drain_body(exchange);
        } catch (const RpcError& error) {
            probe.saw_cancel = error.status().code == Code::canceled;
            throw;
        }
        co_await exchange.send_data("ended", true);
    } else if (path == "/hang") {
        co_await exchange.send_headers(200, Headers{}, false);
        try {
            co_await sleep_for(std::chrono::hours(1));
        } catch (const boost::system::system_error&) {
            probe.hang_cancelled = true;
            throw;
        }
    } else if (path == "/delayed") {
        probe.delayed_started = true;
        co_await drain_body(exchange);
        co_await sleep_for(std::chrono::milliseconds(300));
        co_await answer(exchange, 200, "late");
    } else if (path == "/abandon") {
        co_return;
    } else if (path == "/connect-echo" || path == "/connect-fail") {
        co_await connect_stream(exchange, path == "/connect-fail");
    } else {
        co_await exchange.send_headers(404, Headers{}, true);
    }
}

}  // namespace

struct H2TestServer::Impl {
    struct Connection {
        asio::strand<asio::io_context::executor_type> strand;
        std::shared_ptr<detail::ConnectionControl> control;
        std::shared_ptr<asio::cancellation_signal> cancel;
    };

    Impl(Limits server_limits, bool sniff, const std::optional<TlsOptions>& tls)
        : limits(server_limits), sniff_initial_bytes(sniff) {
        if (tls) {
            tls_context.emplace(detail::make_server_context(*tls));
        }
    }

    Task<void> accept_loop() {
        for (;;) {
            auto strand = asio::make_strand(context);
            tcp::socket socket(strand);
            try {
                co_await acceptor.async_accept(socket, asio::use_awaitable);
            } catch (const boost::system::system_error&) {
                co_return;  // the acceptor was closed
            }
            socket.set_option(tcp::no_delay(true));
            detail::ConnectionInfo info;
            const auto remote = socket.remote_endpoint();
            info.remote_address =
                remote.address().to_string() + ":" + std::to_string(remote.port());
            auto cancel = std::make_shared<asio::cancellation_signal>();
            {
                std::lock_guard lock(mutex);
                connections.push_back(Connection{strand, info.control, cancel});
            }
            ++open;
            asio::co_spawn(strand, serve(std::move(socket), std::move(info)),
                           asio::bind_cancellation_slot(cancel->slot(),
                                                        [this](std::exception_ptr) { --open; }));
        }
    }

    Task<void> serve(tcp::socket socket, detail::ConnectionInfo info) {
        std::optional<detail::AnyStream> tls_stream;
        if (tls_context) {
            detail::AnyStream::TlsStream handshaking(std::move(socket), *tls_context);
            try {
                co_await handshaking.async_handshake(asio::ssl::stream_base::server,
                                                     asio::use_awaitable);
            } catch (const boost::system::system_error&) {
                co_return;
            }
            if (detail::selected_alpn(handshaking.native_handle()) != "h2") {
                co_return;
            }
            info.secure = true;
            tls_stream.emplace(std::move(handshaking));
        }
        detail::AnyStream stream =
            tls_stream ? std::move(*tls_stream) : detail::AnyStream(std::move(socket));
        std::string initial;
        if (sniff_initial_bytes) {
            std::array<char, 64> buffer;
            try {
                const auto size = co_await stream.read_some(buffer);
                initial.assign(buffer.data(), size);
            } catch (const boost::system::system_error&) {
                co_return;
            }
        }
        co_await detail::serve_http2(
            std::move(stream), std::move(initial), std::move(info),
            [this](Exchange& exchange) -> Task<void> {
                ++probe.handlers_running;
                try {
                    co_await handle(exchange, probe);
                } catch (...) {
                }
                --probe.handlers_running;
            },
            limits);
    }

    template <class F>
    void for_each_connection(F f) {
        std::lock_guard lock(mutex);
        for (auto& connection : connections) {
            asio::post(connection.strand, [connection, f] { f(connection); });
        }
    }

    Limits limits;
    bool sniff_initial_bytes;
    std::optional<asio::ssl::context> tls_context;
    Probe probe;
    asio::io_context context{2};
    tcp::acceptor acceptor{context, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
    std::mutex mutex;
    std::vector<Connection> connections;
    std::atomic<std::size_t> open{0};
    std::vector<std::thread> threads;
};

H2TestServer::H2TestServer(Limits limits, bool sniff_initial_bytes, std::optional<TlsOptions> tls)
    : impl_(std::make_unique<Impl>(limits, sniff_initial_bytes, tls)) {
    asio::co_spawn(impl_->context, impl_->accept_loop(), [](std::exception_ptr) {});
    for (int i = 0; i < 2; ++i) {
        impl_->threads.emplace_back([this] { impl_->context.run(); });
    }
}

H2TestServer::~H2TestServer() {
    asio::post(impl_->context, [this] {
        boost::system::error_code ignored;
        impl_->acceptor.close(ignored);
    });
    cancel_all();
    wait_open_connections(0, std::chrono::seconds(10));
    impl_->context.stop();
    for (auto& thread : impl_->threads) {
        thread.join();
    }
}

std::uint16_t H2TestServer::port() const {
    return impl_->acceptor.local_endpoint().port();
}

Probe& H2TestServer::probe() {
    return impl_->probe;
}

std::size_t H2TestServer::open_connections() const {
    return impl_->open;
}

void H2TestServer::drain_all() {
    impl_->for_each_connection([](const Impl::Connection& c) { c.control->begin_drain(); });
}

void H2TestServer::cancel_all() {
    impl_->for_each_connection(
        [](const Impl::Connection& c) { c.cancel->emit(asio::cancellation_type::terminal); });
}

bool H2TestServer::wait_open_connections(std::size_t count,
                                         std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (impl_->open != count) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace pm::rpc::test
