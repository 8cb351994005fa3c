#pragma once

// An HTTP/2 server for the transport's tests: serve_http2() on real loopback TCP connections,
// with a stand-in exchange handler instead of the protocol layer, so the tests exercise the
// transport alone. The interface has no Asio in it, so tests that only drive external tools
// compile quickly.
//
// Paths the stand-in serves (request headers parameterize them):
//   /unary         reads the whole body, answers "size=<bytes>"
//   /echo          full duplex: sends each body chunk back as it arrives, trailer x-result: ok
//   /download      sends x-bytes bytes in 64 KiB pieces (Probe::download_sent counts them)
//   /slow-read     waits x-delay-ms before reading, then answers "size=<bytes>"
//   /wait-reset    reads until the client resets (Probe::saw_cancel)
//   /hang          answers headers, then waits an hour (Probe::hang_cancelled when cut off)
//   /delayed       answers "late" after 300 ms (Probe::delayed_started when it began)
//   /abandon       returns without answering
//   /connect-echo  Connect streaming: echoes every envelope, then an OK end-of-stream
//   /connect-fail  Connect streaming: reads everything, ends with permission_denied

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include <powermanage/rpc/server.hpp>

namespace pm::rpc::test {

/// What the stand-in handler observed; written on the server's threads.
struct Probe {
    std::atomic<std::size_t> download_sent{0};  ///< /download: bytes send_data() accepted
    std::atomic<bool> download_done{false};     ///< /download: all sent
    std::atomic<bool> saw_cancel{false};        ///< /wait-reset: read_body threw canceled
    std::atomic<bool> hang_cancelled{false};    ///< /hang: its wait was cut off
    std::atomic<bool> delayed_started{false};   ///< /delayed: the handler is running
    std::atomic<int> handlers_running{0};       ///< exchanges in the handler now
};

/// The server; see the file comment. Runs on two I/O threads of its own.
class H2TestServer {
public:
    /// Listens on 127.0.0.1 with a free port. With `sniff_initial_bytes` it reads the first
    /// bytes of each connection itself and hands them to serve_http2 as initial_bytes, as the
    /// listener does after checking the client preface.
    /// With `tls`, connections are TLS (ALPN must pick "h2").
    explicit H2TestServer(Limits limits = {}, bool sniff_initial_bytes = false,
                          std::optional<TlsOptions> tls = std::nullopt);
    /// Closes every connection and joins the threads.
    ~H2TestServer();
    H2TestServer(const H2TestServer&) = delete;
    H2TestServer& operator=(const H2TestServer&) = delete;

    /// The bound port.
    std::uint16_t port() const;
    /// What the handler observed.
    Probe& probe();
    /// Connections being served now.
    std::size_t open_connections() const;
    /// Graceful shutdown of every connection (ConnectionControl::begin_drain).
    void drain_all();
    /// Terminal cancellation of every connection's serve_http2 coroutine.
    void cancel_all();
    /// Waits until exactly `count` connections are open; false on timeout.
    bool wait_open_connections(std::size_t count, std::chrono::milliseconds timeout) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pm::rpc::test
