#pragma once

// The listening socket and every connection it accepted: TLS handshake (with ALPN and client
// certificates) or the cleartext preface sniff, then the HTTP/1.1 or HTTP/2 engine; the registry
// of open connections that a graceful stop drains.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <powermanage/rpc/server.hpp>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace pm::rpc::detail {

class Router;

/// See the file comment. Constructed and shut down from outside the I/O threads.
class Listener {
public:
    /// Prepares TLS (std::runtime_error naming an unusable file) and binds `options`'
    /// listen_address on `io` (std::system_error). `keep_alive` owns `options` and `router`:
    /// the accept loop and every connection hold it until they end.
    Listener(boost::asio::io_context& io, const ServerOptions& options, const Router& router,
             std::shared_ptr<const void> keep_alive);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    /// The bound port.
    std::uint16_t port() const;
    /// Starts accepting on the I/O threads.
    void start();
    /// Stops accepting (the port refuses connections once this returns) and asks every connection
    /// to drain; waits for them to finish for up to `grace`, then cancels those left and waits a
    /// little for them to unwind. Blocks; call it from a thread that is not running the io_context.
    void shutdown(std::chrono::milliseconds grace);
    /// Open connections (TLS handshakes in progress included).
    std::size_t connection_count() const;

private:
    void close_acceptor();

    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace pm::rpc::detail
