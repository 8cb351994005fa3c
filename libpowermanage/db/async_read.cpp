// AsyncReadPool: read_as() on libpq's non-blocking API, the socket watched by Asio. All of the
// pool's Asio templates live in this file (build-notes.md: heavy instantiation in few TUs).
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>
#include <poll.h>
#include <sys/socket.h>

#include <powermanage/db/async_read.hpp>

#include "db/pipeline_answers.hpp"

namespace pm::db {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// The same settings Transaction's BEGIN sets (actor_read.cpp sends the same text).
const std::string kActorSettings =
    "SELECT set_config('pm.actor_type', $1, true), set_config('pm.actor_id', $2, true)";

std::string one_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

std::string field(const PGresult* result, int code) {
    const char* value = PQresultErrorField(result, code);
    return value != nullptr ? value : "";
}

DatabaseError lost(PGconn* conn) {
    return DatabaseError("lost the connection to PostgreSQL: " + one_line(PQerrorMessage(conn)),
                         "");
}

// The error of a failed statement, worded as Connection reports it (no DETAIL: it may quote
// row contents).
DatabaseError statement_error(PGconn* conn, const PGresult* result) {
    if (PQstatus(conn) != CONNECTION_OK) {
        return lost(conn);
    }
    std::string message = field(result, PG_DIAG_MESSAGE_PRIMARY);
    const std::string hint = field(result, PG_DIAG_MESSAGE_HINT);
    if (!hint.empty()) {
        message += ". " + hint;
    }
    if (message.empty()) {
        message = one_line(PQresultErrorMessage(result));
    }
    return DatabaseError(message, field(result, PG_DIAG_SQLSTATE),
                         field(result, PG_DIAG_CONSTRAINT_NAME));
}

// One pooled connection. The socket object only watches libpq's descriptor; libpq closes it.
struct Pooled {
    explicit Pooled(Connection c) : conn(std::move(c)) {}
    Pooled(const Pooled&) = delete;
    Pooled& operator=(const Pooled&) = delete;
    ~Pooled() {
        if (socket) {
            boost::system::error_code ignored;
            (void)socket->release(ignored);
        }
    }
    Connection conn;
    std::optional<asio::generic::stream_protocol::socket> socket;
    std::unordered_map<std::string, std::string> prepared;  // SQL text -> statement name
    std::size_t names = 0;                                  // statement names handed out
};

// A read waiting for a connection: woken by cancelling its timer, usually with a connection
// handed to it directly (so that a read arriving meanwhile cannot take it and send the waiter
// to the back of the queue).
struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    std::unique_ptr<Pooled> handed;
};

using Answers = detail::PipelineAnswers;

}  // namespace

namespace detail {

// The pool's shared state; leases keep it alive.
struct AsyncReadState {
    AsyncReadState(std::string url_, AsyncReadOptions options_)
        : url(std::move(url_)), options(options_) {
        if (options.max_connections == 0) {
            options.max_connections = 1;
        }
    }

    // Wakes the longest-waiting read, on its own executor (the timer is not thread-safe),
    // handing it `pooled` if given.
    void wake_one(std::unique_lock<std::mutex>&, std::unique_ptr<Pooled> pooled = nullptr) {
        if (waiters.empty()) {
            return;
        }
        auto waiter = std::move(waiters.front());
        waiters.pop_front();
        waiter->handed = std::move(pooled);
        auto executor = waiter->timer.get_executor();
        asio::post(executor, [waiter = std::move(waiter)] { waiter->timer.cancel(); });
    }

    // A connection back from a read: to the first waiting read, or kept idle, when the read
    // left it idle; else dropped.
    void give_back(std::unique_ptr<Pooled> pooled, bool reusable) {
        std::unique_lock lock(mutex);
        if (reusable && !closed) {
            if (!waiters.empty()) {
                wake_one(lock, std::move(pooled));
                return;
            }
            idle.push_back(std::move(pooled));
        } else {
            --open;
            lock.unlock();
            pooled.reset();  // outside the lock: PQfinish sends a Terminate message
            lock.lock();
        }
        wake_one(lock);
    }

    std::string url;
    AsyncReadOptions options;
    mutable std::mutex mutex;
    std::vector<std::unique_ptr<Pooled>> idle;
    std::size_t open = 0;
    std::deque<std::shared_ptr<Waiter>> waiters;
    bool closed = false;
};

}  // namespace detail

namespace {

using State = detail::AsyncReadState;

// A connection on loan to one read; dropped unless the read marks it reusable.
struct Lease {
    Lease(std::shared_ptr<State> s, std::unique_ptr<Pooled> p, bool was_idle)
        : state(std::move(s)), pooled(std::move(p)), reused(was_idle) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
        if (pooled) {
            state->give_back(std::move(pooled), reusable);
        }
    }
    std::shared_ptr<State> state;
    std::unique_ptr<Pooled> pooled;
    bool reused;            // it sat idle before this read: the server may have closed it
    bool reusable = false;  // the read ended with the connection idle and in order
};

// Waits until `fd` is ready for `what` or `deadline` passes (false). A fresh registration per
// wait, so readiness that came before the wait is seen: only for connecting.
asio::awaitable<bool> wait_fd(int fd, asio::posix::stream_descriptor::wait_type what,
                              Clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    const auto executor = co_await asio::this_coro::executor;
    asio::posix::stream_descriptor descriptor(executor, fd);
    asio::steady_timer timer(executor, deadline);
    boost::system::error_code ec;
    auto outcome =
        co_await (descriptor.async_wait(what, asio::redirect_error(asio::use_awaitable, ec)) ||
                  timer.async_wait(asio::use_awaitable));
    (void)descriptor.release();  // libpq owns the descriptor
    co_return outcome.index() == 0;
}

// Opens a connection without blocking (except name resolution, see the header).
asio::awaitable<std::unique_ptr<Pooled>> open_connection(const State& s) {
    const auto deadline = Clock::now() + s.options.connect_timeout;
    Connection conn = Connection::start_connect(s.url);
    // PQconnectStart has begun the TCP connect: as if PQconnectPoll had said "writing".
    auto next = Connection::ConnectPoll::wait_write;
    while (next != Connection::ConnectPoll::ready) {
        const auto what = next == Connection::ConnectPoll::wait_read
                              ? asio::posix::stream_descriptor::wait_read
                              : asio::posix::stream_descriptor::wait_write;
        if (!co_await wait_fd(conn.socket(), what, deadline)) {
            throw DatabaseError("cannot connect to PostgreSQL: no connection within " +
                                    std::to_string(s.options.connect_timeout.count()) + " ms",
                                "");
        }
        next = conn.connect_poll();
    }
    if (PQsetnonblocking(conn.raw(), 1) != 0) {
        throw DatabaseError("cannot make the PostgreSQL connection non-blocking: " +
                                one_line(PQerrorMessage(conn.raw())),
                            "");
    }
    const int fd = conn.socket();
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw DatabaseError("cannot inspect the PostgreSQL socket", "");
    }
    auto pooled = std::make_unique<Pooled>(std::move(conn));
    pooled->socket.emplace(co_await asio::this_coro::executor,
                           asio::generic::stream_protocol(address.ss_family, SOCK_STREAM), fd);
    co_return pooled;
}

// Lends an idle connection, opens one while fewer than the maximum are open, else waits.
// `fresh`: a new connection, even if that means closing an idle one to stay in bounds.
asio::awaitable<Lease> acquire(std::shared_ptr<State> s, bool fresh) {
    const auto deadline = Clock::now() + s->options.wait;
    const auto executor = co_await asio::this_coro::executor;
    for (;;) {
        std::shared_ptr<Waiter> waiter;
        {
            std::unique_lock lock(s->mutex);
            if (s->closed) {
                throw DatabaseError("the database reads are shut down; retry on another replica",
                                    "57P01");
            }
            if (!s->idle.empty()) {
                auto pooled = std::move(s->idle.back());
                s->idle.pop_back();
                if (!fresh) {
                    co_return Lease(s, std::move(pooled), true);
                }
                --s->open;  // its place goes to the new one
            }
            if (s->open < s->options.max_connections) {
                ++s->open;
                break;
            }
            if (Clock::now() >= deadline) {
                throw DatabaseError("no database connection free after " +
                                        std::to_string(s->options.wait.count()) + " ms (pool of " +
                                        std::to_string(s->options.max_connections) +
                                        "); the database is slow or the pool is too small",
                                    "57014");
            }
            waiter = std::make_shared<Waiter>(executor);
            waiter->timer.expires_at(deadline);
            s->waiters.push_back(waiter);
        }
        boost::system::error_code ec;
        co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        std::unique_lock lock(s->mutex);
        if (waiter->handed) {
            co_return Lease(s, std::move(waiter->handed), true);
        }
        std::erase(s->waiters, waiter);  // still queued when its deadline passed
    }
    std::unique_ptr<Pooled> pooled;
    std::optional<DatabaseError> failed;
    try {
        pooled = co_await open_connection(*s);
    } catch (const DatabaseError& error) {
        failed = error;
    }
    if (failed) {
        std::unique_lock lock(s->mutex);
        --s->open;
        s->wake_one(lock);
        throw *failed;
    }
    co_return Lease(s, std::move(pooled), false);
}

// Waits until the server sent something (or closed), then hands it to libpq. A receive with
// MSG_PEEK, not async_wait: Asio tries it at once and under the descriptor's lock, so data
// that arrived before the wait began (its edge already taken by another thread's epoll_wait)
// is not missed.
asio::awaitable<bool> read_more(Pooled& p) {
    char byte = 0;
    boost::system::error_code ec;
    co_await p.socket->async_receive(asio::buffer(&byte, 1), asio::socket_base::message_peek,
                                     asio::redirect_error(asio::use_awaitable, ec));
    // Errors and the end of the stream included: libpq reads and says what happened.
    co_return PQconsumeInput(p.conn.raw()) == 1;
}

// Sends everything libpq buffered. Blocking, but only when the socket's send buffer is full,
// which a few hundred bytes of reads do not fill.
bool flush(PGconn* conn) {
    for (;;) {
        const int left = PQflush(conn);
        if (left <= 0) {
            return left == 0;
        }
        pollfd fd{PQsocket(conn), POLLOUT, 0};
        if (::poll(&fd, 1, 1000) < 0 && errno != EINTR) {
            return false;
        }
    }
}

// One pipeline on `lease`: every statement after the settings of its actor, one Sync.
asio::awaitable<std::vector<Result>> run(Lease& lease,
                                         const std::vector<ActorStatement>& statements) {
    Pooled& p = *lease.pooled;
    PGconn* conn = p.conn.raw();
    std::vector<std::vector<Param>> settings;
    settings.reserve(statements.size());
    struct Call {
        const std::string* sql;
        const std::vector<Param>* params;
    };
    std::vector<Call> calls;
    calls.reserve(2 * statements.size());
    for (const ActorStatement& statement : statements) {
        settings.push_back({std::string(to_string(statement.actor.type)), statement.actor.id});
        calls.push_back({&kActorSettings, &settings.back()});
        calls.push_back({&statement.sql, &statement.params});
    }
    if (PQenterPipelineMode(conn) != 1) {
        throw lost(conn);
    }
    // Statements met for the first time on this connection are prepared in the same pipeline;
    // each query's answer is awaited in order: (is a Prepare, its statement's SQL).
    std::vector<std::pair<bool, const std::string*>> expected;
    std::unordered_map<std::string_view, std::string> preparing;  // by text, as `prepared`
    std::vector<const char*> values;
    bool sent = true;
    for (const Call& call : calls) {
        const std::string* name = nullptr;
        if (auto found = p.prepared.find(*call.sql); found != p.prepared.end()) {
            name = &found->second;
        } else if (auto pending = preparing.find(*call.sql); pending != preparing.end()) {
            name = &pending->second;
        } else {
            auto& fresh = preparing[*call.sql];
            fresh = "pm_async_" + std::to_string(++p.names);
            name = &fresh;
            if (PQsendPrepare(conn, name->c_str(), call.sql->c_str(), 0, nullptr) != 1) {
                sent = false;
                break;
            }
            expected.emplace_back(true, call.sql);
        }
        values.clear();
        for (const Param& param : *call.params) {
            values.push_back(param ? param->c_str() : nullptr);
        }
        if (PQsendQueryPrepared(conn, name->c_str(), static_cast<int>(values.size()), values.data(),
                                nullptr, nullptr, 0) != 1) {
            sent = false;
            break;
        }
        expected.emplace_back(false, call.sql);
    }
    if (!sent || PQpipelineSync(conn) != 1 || !flush(conn)) {
        throw lost(conn);
    }
    // Each query answers with its result and a null; the Sync with PGRES_PIPELINE_SYNC.
    Answers answers;
    std::size_t index = 0;
    bool after_result = false;
    int stray_nulls = 0;
    for (;;) {
        if (PQisBusy(conn) == 1) {
            if (!co_await read_more(p)) {
                throw lost(conn);
            }
            continue;
        }
        PGresult* result = PQgetResult(conn);
        if (index < expected.size()) {
            if (after_result) {
                if (result == nullptr) {
                    after_result = false;
                    ++index;
                } else {
                    PQclear(result);
                }
            } else if (result == nullptr) {
                throw lost(conn);
            } else {
                answers.results.push_back(result);
                after_result = true;
            }
            continue;
        }
        if (result == nullptr) {
            // Only end-of-statement nulls can come before the Sync; more than a few mean the
            // protocol went astray.
            if (PQstatus(conn) != CONNECTION_OK || ++stray_nulls > 2) {
                throw lost(conn);
            }
            continue;
        }
        const bool end = PQresultStatus(result) == PGRES_PIPELINE_SYNC;
        PQclear(result);
        if (end) {
            break;
        }
    }
    if (PQexitPipelineMode(conn) != 1) {
        throw lost(conn);
    }
    lease.reusable = PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
    std::vector<Result> reads;
    reads.reserve(statements.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        PGresult* result = answers.results[i];
        const auto status = PQresultStatus(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            throw statement_error(conn, result);
        }
        const auto& [is_prepare, sql] = expected[i];
        if (is_prepare) {
            p.prepared.emplace(*sql, preparing.at(*sql));
        } else if (sql != &kActorSettings) {
            answers.results[i] = nullptr;
            reads.emplace_back(result);
        }
    }
    co_return reads;
}

}  // namespace

AsyncReadPool::AsyncReadPool(std::string url, AsyncReadOptions options)
    : state_(std::make_shared<detail::AsyncReadState>(std::move(url), options)) {}

AsyncReadPool::~AsyncReadPool() {
    close();
}

asio::awaitable<std::vector<Result>> AsyncReadPool::read_as(
    std::vector<ActorStatement> statements) {
    for (int attempt = 0;; ++attempt) {
        Lease lease = co_await acquire(state_, attempt > 0);
        std::optional<DatabaseError> failed;
        try {
            co_return co_await run(lease, statements);
        } catch (const DatabaseError& error) {
            failed = error;
        }
        // A connection that broke while idle is replaced once, the read sent again (reads
        // change nothing, so a second sending is harmless).
        const bool stale = lease.reused && PQstatus(lease.pooled->conn.raw()) != CONNECTION_OK;
        if (!stale || attempt > 0) {
            throw *failed;
        }
    }
}

void AsyncReadPool::close() {
    std::vector<std::unique_ptr<Pooled>> idle;
    {
        std::unique_lock lock(state_->mutex);
        state_->closed = true;
        idle.swap(state_->idle);
        state_->open -= idle.size();
        while (!state_->waiters.empty()) {
            state_->wake_one(lock);
        }
    }
}

std::size_t AsyncReadPool::open_connections() const {
    std::lock_guard lock(state_->mutex);
    return state_->open;
}

}  // namespace pm::db
