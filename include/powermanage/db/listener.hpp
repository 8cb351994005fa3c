#pragma once

/// @file
/// @brief LISTEN on one dedicated connection driven by Asio: notifications are wake-up hints,
/// delivered on an executor without a thread blocking; a lost connection is re-established
/// with jittered exponential backoff and reported to the owner, who then re-reads its pending
/// work (hints sent while disconnected are lost).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <powermanage/db/connection.hpp>

namespace pm {
class Logger;
}  // namespace pm

namespace pm::db {

namespace detail {
struct ListenerState;
}  // namespace detail

/// How a Listener connects, listens and notices trouble.
struct ListenerOptions {
    /// The channels to LISTEN on; each is quoted as an identifier, so any name is safe.
    std::vector<std::string> channels;
    /// The first delay before reconnecting after a failure or loss; it doubles on each
    /// consecutive failure up to reconnect_max, and each delay is drawn uniformly from its upper
    /// half (jitter, so that many gateways do not reconnect in step). Reset by a success.
    std::chrono::milliseconds reconnect_min{100};
    /// The longest delay between reconnection attempts.
    std::chrono::milliseconds reconnect_max{5000};
    /// After this long without traffic the listener sends `SELECT 1`; if the reply does not
    /// arrive within the same time again the connection counts as lost. This notices a
    /// silently dead connection (a vanished host, a dropped NAT entry) that TCP alone would
    /// not report for a long time.
    std::chrono::milliseconds keepalive{10000};
    /// How long one connection attempt (TCP, TLS, authentication, the LISTEN statements) may
    /// take before it counts as failed. libpq's own `connect_timeout` does not apply to the
    /// non-blocking connect the listener uses.
    std::chrono::milliseconds connect_timeout{10000};
    /// Where connection changes (info/warn) and handler exceptions (error) are logged; nullptr
    /// logs nothing. Must outlive the Listener's coroutine, that is, its executor's context.
    Logger* logger = nullptr;
};

/// LISTENs on one dedicated connection whose socket is watched by Asio on `executor`. All of
/// its work, and every handler call, runs on that executor (serialized through a strand, so a
/// multi-threaded io_context is fine); nothing there blocks for long. Connecting is
/// non-blocking (libpq's PQconnectStart/PQconnectPoll on the socket) except for host name
/// resolution, which libpq does synchronously: use an IP address where that matters.
///
/// The public functions are thread-safe. Destroy the Listener before its executor's
/// execution context (the io_context); the coroutine keeps what it needs alive until it ends.
class Listener {
public:
    /// Receives each notification, in the order the server sent them.
    using NotificationHandler = std::function<void(const Notification&)>;
    /// Receives connection changes: true each time LISTEN becomes active (the owner should then
    /// re-read its pending work, since hints sent while disconnected are lost), false when it is
    /// lost, and false once when the first attempt after start() fails. Calls alternate, never
    /// repeating a value; a failed retry while disconnected is not reported again.
    using StateHandler = std::function<void(bool connected)>;

    /// Prepares a listener for the database at `url` (a postgresql:// URL or key=value string);
    /// nothing happens until start(). An exception thrown by a handler is caught, counted in
    /// handler_errors() and logged to `options.logger`; the listener carries on.
    Listener(boost::asio::any_io_executor executor, std::string url, ListenerOptions options,
             NotificationHandler on_notification, StateHandler on_state = {});
    /// Stops (see stop()).
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    /// Starts connecting on the executor and returns at once. Never throws for an unreachable
    /// database: it retries with backoff and reports through the state handler, connected()
    /// and last_error(). Calls after the first, or after stop(), do nothing.
    void start();
    /// Stops listening: no handler runs after this returns (a handler running on another
    /// thread is waited for; stop() may also be called from inside a handler). The connection
    /// is closed on the executor shortly after. Idempotent; does not block on the database.
    void stop();

    /// Whether LISTEN is active right now.
    bool connected() const;
    /// Why the latest connection attempt failed or the latest connection was lost; empty if
    /// neither has happened. Kept after a successful reconnect, for diagnostics.
    std::string last_error() const;
    /// How many times LISTEN became active again after the first time.
    std::uint64_t reconnects() const;
    /// How many handler calls threw.
    std::uint64_t handler_errors() const;
    /// The server process id of the listening connection, 0 while not connected (for
    /// diagnostics and tests that need to terminate it).
    int backend_pid() const;

private:
    std::shared_ptr<detail::ListenerState> state_;
};

}  // namespace pm::db
