#include <powermanage/db/pool.hpp>

namespace pm::db {

ConnectionPool::ConnectionPool(std::string url, std::size_t max_size)
    : url_(std::move(url)), max_size_(max_size == 0 ? 1 : max_size) {}

ConnectionPool::Lease ConnectionPool::acquire(std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    const bool got =
        available_.wait_for(lock, wait, [&] { return !idle_.empty() || open_ < max_size_; });
    if (!got) {
        throw DatabaseError("no database connection free after " + std::to_string(wait.count()) +
                                " ms (pool of " + std::to_string(max_size_) +
                                "); the database is slow or the pool is too small",
                            "57014");
    }
    while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        // An idle connection the server closed meanwhile (a restart, an idle timeout) would
        // fail the caller's first statement: replace it instead.
        if (conn->is_alive()) {
            return Lease(*this, std::move(conn));
        }
        --open_;
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(*this, std::make_unique<Connection>(url_));
    } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
    }
}

void ConnectionPool::give_back(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mutex_);
    if (conn && conn->is_open()) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;  // broken: forget it, the next acquire() opens a fresh one
    }
    available_.notify_one();
}

ConnectionPool::Lease::~Lease() {
    if (pool_ != nullptr && conn_) {
        pool_->give_back(std::move(conn_));
    }
}

}  // namespace pm::db
