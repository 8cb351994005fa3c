// Server: the public face of the listener, the router and the I/O threads.

#include <algorithm>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <powermanage/rpc/server.hpp>

#include "rpc/listener.hpp"
#include "rpc/router.hpp"

namespace pm::rpc {

namespace asio = boost::asio;

namespace {

// What the connections read while they run: with a shared io_context, a connection the
// grace period could not end may outlive the Server, so they keep these alive themselves.
struct Tables {
    explicit Tables(ServerOptions server_options)
        : options(std::move(server_options)), router(options) {}
    ServerOptions options;
    detail::Router router;
};

}  // namespace

struct Server::Impl {
    Impl(ServerOptions server_options, std::shared_ptr<asio::io_context> shared)
        : tables(std::make_shared<Tables>(std::move(server_options))),
          options(tables->options),
          router(tables->router),
          io(std::move(shared)),
          external(io != nullptr) {}

    // Destroyed bottom-up: the listener before the io_context (its acceptor and strands need
    // the io_context's services), our own io_context (and the coroutine frames it may still
    // hold) before the tables those frames refer to.
    std::shared_ptr<Tables> tables;
    ServerOptions& options;
    detail::Router& router;
    std::shared_ptr<asio::io_context> io;
    const bool external;  // io is the caller's: no threads, no work guard, never stopped here
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::unique_ptr<detail::Listener> listener;
    std::vector<std::thread> threads;
    std::mutex mutex;  // start() and stop()
    bool started = false;
    bool stopped = false;
};

Server::Server(ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options), nullptr)) {}

Server::Server(ServerOptions options, std::shared_ptr<asio::io_context> io) {
    if (!io) {
        throw std::invalid_argument(
            "rpc::Server: the shared io_context is null; pass one, or use Server(options) for a "
            "server with its own threads");
    }
    impl_ = std::make_unique<Impl>(std::move(options), std::move(io));
}

Server::~Server() {
    stop();
    impl_->listener.reset();
    impl_->work.reset();
    impl_->io.reset();
}

void Server::add_unary(std::string_view full_method, UnaryHandler handler) {
    impl_->router.add_unary(full_method, std::move(handler));
}

void Server::add_stream(std::string_view full_method, StreamHandler handler) {
    impl_->router.add_stream(full_method, std::move(handler));
}

void Server::add_interceptor(Interceptor interceptor) {
    impl_->router.add_interceptor(std::move(interceptor));
}

void Server::add_service_interceptor(std::string_view service, Interceptor interceptor) {
    impl_->router.add_service_interceptor(service, std::move(interceptor));
}

void Server::add_observer(CallObserver observer) {
    impl_->router.add_observer(std::move(observer));
}

void Server::add_plain_route(std::string path, std::function<PlainResponse()> handler) {
    impl_->router.add_plain_route(std::move(path), std::move(handler));
}

void Server::set_plain_fallback(PlainFallback fallback) {
    impl_->router.set_plain_fallback(std::move(fallback));
}

void Server::start() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->started) {
        throw std::logic_error("Server::start() called twice");
    }
    auto& impl = *impl_;
    const auto& tls = impl.options.tls;
    impl.router.set_identity_required(tls && static_cast<bool>(tls->identity_mapper));
    if (impl.external) {
        impl.listener =
            std::make_unique<detail::Listener>(*impl.io, impl.options, impl.router, impl.tables);
        impl.listener->start();
        impl.started = true;
        return;
    }
    const auto threads = impl.options.io_threads != 0
                             ? impl.options.io_threads
                             : std::max<std::size_t>(1, std::thread::hardware_concurrency());
    impl.io = std::make_shared<asio::io_context>(static_cast<int>(threads));
    impl.listener =
        std::make_unique<detail::Listener>(*impl.io, impl.options, impl.router, impl.tables);
    impl.work.emplace(impl.io->get_executor());
    impl.listener->start();
    for (std::size_t i = 0; i < threads; ++i) {
        impl.threads.emplace_back([&io = *impl.io] { io.run(); });
    }
    impl.started = true;
}

std::uint16_t Server::port() const {
    return impl_->listener ? impl_->listener->port() : 0;
}

void Server::stop() {
    std::lock_guard lock(impl_->mutex);
    auto& impl = *impl_;
    if (!impl.started || impl.stopped) {
        return;
    }
    impl.stopped = true;
    impl.listener->shutdown(impl.options.limits.shutdown_grace);
    if (impl.external) {
        return;  // the io_context and its threads are the caller's
    }
    impl.work.reset();
    impl.io->stop();
    for (auto& thread : impl.threads) {
        thread.join();
    }
    impl.threads.clear();
}

std::size_t Server::connection_count() const {
    return impl_->listener ? impl_->listener->connection_count() : 0;
}

}  // namespace pm::rpc
