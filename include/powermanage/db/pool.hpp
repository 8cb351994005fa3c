#pragma once

/// @file
/// @brief A bounded pool of database connections, opened on demand and shared by threads.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <powermanage/db/connection.hpp>

namespace pm::db {

/// Up to `max_size` connections to one database. acquire() lends one out; the lease gives
/// it back, or drops it if it broke, so the next acquire() reconnects. Thread-safe.
class ConnectionPool {
public:
    /// A connection on loan; returned to the pool when the lease goes away.
    class Lease {
    public:
        /// Takes over `other`'s loan.
        Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

        /// The connection.
        Connection& operator*() const { return *conn_; }
        /// The connection.
        Connection* operator->() const { return conn_.get(); }

    private:
        friend class ConnectionPool;
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> conn)
            : pool_(&pool), conn_(std::move(conn)) {}

        ConnectionPool* pool_;
        std::unique_ptr<Connection> conn_;
    };

    /// A pool for `url`; no connection is opened until the first acquire().
    ConnectionPool(std::string url, std::size_t max_size);

    /// Lends a connection, opening one if none is idle and the pool is not full, otherwise
    /// waiting up to `wait`. Throws DatabaseError if connecting fails or the wait runs out.
    Lease acquire(std::chrono::milliseconds wait = std::chrono::seconds(10));

    /// The database URL.
    const std::string& url() const { return url_; }
    /// The most connections this pool opens.
    std::size_t max_size() const { return max_size_; }

private:
    void give_back(std::unique_ptr<Connection> conn);

    std::string url_;
    std::size_t max_size_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
};

}  // namespace pm::db
