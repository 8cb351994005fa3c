#pragma once
/// @file
/// @brief read_as() for event loops: the pipeline is sent and its answer awaited without
/// blocking the awaiting thread, on a bounded set of connections of its own.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include <powermanage/db/actor_read.hpp>

namespace pm::db {

namespace detail {
struct AsyncReadState;
}  // namespace detail

/// How an AsyncReadPool connects and waits.
struct AsyncReadOptions {
    /// The most connections the pool opens; reads beyond that wait for one to come back.
    std::size_t max_connections = 4;
    /// How long opening one connection may take before it counts as failed.
    std::chrono::milliseconds connect_timeout{10000};
    /// How long a read waits for a connection when all are busy, as ConnectionPool::acquire.
    std::chrono::milliseconds wait{10000};
};

/// Connections whose sockets the awaiting coroutine's event loop watches, for short reads that
/// should not cost a hand-off to a blocking thread (two thread switches and their system calls
/// per read). Connecting is non-blocking too, except host name resolution, which libpq does
/// synchronously: give an IP address where that matters. Thread-safe; a read may be awaited
/// from any thread of an io_context.
class AsyncReadPool {
public:
    /// A pool for the database at `url` (a postgresql:// URL or key=value string); nothing
    /// is opened until the first read.
    AsyncReadPool(std::string url, AsyncReadOptions options = {});
    /// Closes the idle connections (see close()).
    ~AsyncReadPool();
    AsyncReadPool(const AsyncReadPool&) = delete;
    AsyncReadPool& operator=(const AsyncReadPool&) = delete;

    /// db::read_as() (actor_read.hpp) awaited on the caller's executor: the same single round
    /// trip, the same transaction-local settings, the same results. Throws DatabaseError for the
    /// first statement that failed (with its SQLSTATE), or one with an empty SQLSTATE when the
    /// server cannot be reached or the connection broke (DatabaseError::is_connection_failure),
    /// or 57014 when no connection came free within AsyncReadOptions::wait. A connection that
    /// broke while it sat idle (a restarted server, a terminated backend) is replaced and the
    /// read sent again once, as ConnectionPool replaces such connections before lending them.
    boost::asio::awaitable<std::vector<Result>> read_as(std::vector<ActorStatement> statements);

    /// Closes the idle connections and answers later reads with DatabaseError 57P01 (the
    /// server is shutting down, in PostgreSQL's words). Call it before destroying the
    /// io_context that ran the reads; connections still in use close when their read ends.
    void close();

    /// The connections open now (in use or idle), for tests and diagnostics.
    std::size_t open_connections() const;

private:
    std::shared_ptr<detail::AsyncReadState> state_;
};

}  // namespace pm::db
