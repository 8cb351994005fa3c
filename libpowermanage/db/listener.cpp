// The listener's coroutine: connect without blocking (PQconnectStart/PQconnectPoll on the
// socket), LISTEN, then wait for the socket to become readable, deliver what arrived, and ping
// after a quiet spell; on any failure drop the connection, report it, back off and start over.
//
// libpq owns the socket. Asio only borrows it for one wait at a time: each wait assigns it to a
// stream_descriptor and release()s it afterwards (never close()s it), so libpq may replace or
// close it between waits (PQconnectPoll does while trying addresses) without Asio noticing.

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>

#include <powermanage/common/log.hpp>
#include <powermanage/db/listener.hpp>

namespace pm::db {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using WaitType = asio::posix::descriptor_base::wait_type;

namespace detail {

struct ListenerState {
    using NotificationHandler = Listener::NotificationHandler;
    using StateHandler = Listener::StateHandler;

    ListenerState(asio::any_io_executor executor, std::string url_, ListenerOptions options_,
                  NotificationHandler on_notification_, StateHandler on_state_)
        : strand(asio::make_strand(std::move(executor))),
          url(std::move(url_)),
          options(std::move(options_)),
          on_notification(std::move(on_notification_)),
          on_state(std::move(on_state_)) {}

    asio::strand<asio::any_io_executor> strand;
    const std::string url;
    const ListenerOptions options;
    const NotificationHandler on_notification;
    const StateHandler on_state;

    std::atomic<bool> started{false};
    std::atomic<bool> stopped{false};
    std::atomic<bool> up{false};
    std::atomic<int> pid{0};
    std::atomic<std::uint64_t> reconnects{0};
    std::atomic<std::uint64_t> handler_errors{0};

    mutable std::mutex error_mutex;
    std::string error;  // guarded by error_mutex

    // Held while a handler runs; stop() takes it to wait for a running handler. Recursive so
    // that a handler may call stop().
    std::recursive_mutex handler_mutex;

    // Strand only: the running coroutine's I/O objects (null once it has ended), for stop()
    // to cancel; the generation of the socket wait in progress (0: none), for its deadline.
    asio::steady_timer* timer = nullptr;
    asio::posix::stream_descriptor* descriptor = nullptr;
    std::uint64_t active_wait = 0;
    std::uint64_t wait_generation = 0;
    bool timed_out = false;

    // Strand only: the FATAL message the server sent before closing the connection (say,
    // "terminating connection due to administrator command"), which libpq hands to the notice
    // processor rather than to PQerrorMessage.
    std::string fatal_notice;

    void set_error(std::string text) {
        const std::lock_guard lock(error_mutex);
        error = std::move(text);
    }

    // Runs `call` unless stopped; false if stopped. Exceptions are counted and logged.
    template <typename F>
    bool call_handler(std::string_view which, F&& call) {
        const std::lock_guard lock(handler_mutex);
        if (stopped.load()) {
            return false;
        }
        try {
            call();
        } catch (const std::exception& e) {
            handler_errors.fetch_add(1);
            if (options.logger != nullptr) {
                options.logger->error("database listener handler threw",
                                      {{"handler", which}, {"error", e.what()}});
            }
        } catch (...) {
            handler_errors.fetch_add(1);
            if (options.logger != nullptr) {
                options.logger->error("database listener handler threw",
                                      {{"handler", which}, {"error", "unknown exception"}});
            }
        }
        return true;
    }
};

}  // namespace detail

namespace {

using State = detail::ListenerState;

enum class Wait { ready, timeout, stopped, failed };

// `text` on one line: libpq's messages end in a newline and may span lines ("...\n\tIs the
// server running").
std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            space = !out.empty();
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        out += c;
    }
    return out;
}

std::string libpq_error(PGconn* conn) {
    return one_line(PQerrorMessage(conn));
}

std::string millis(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

// Waits until `fd` is ready for `what`, the deadline passes, or stop() cancels the wait.
// Describes a failure in `error`.
asio::awaitable<void> wait_socket(const std::shared_ptr<State>& s, int fd, WaitType what,
                                  SteadyClock::time_point deadline, Wait& out, std::string& error) {
    if (s->stopped.load()) {
        out = Wait::stopped;
        co_return;
    }
    boost::system::error_code ec;
    s->descriptor->assign(fd, ec);
    if (ec) {
        out = Wait::failed;
        error = "cannot watch the PostgreSQL socket: " + ec.message();
        co_return;
    }
    const std::uint64_t generation = ++s->wait_generation;
    s->active_wait = generation;
    s->timed_out = false;
    s->timer->expires_at(deadline);
    s->timer->async_wait([s, generation](const boost::system::error_code& timer_ec) {
        // A deadline that fired just as the wait completed must not cancel the next wait.
        if (!timer_ec && s->active_wait == generation && s->descriptor != nullptr) {
            s->timed_out = true;
            s->descriptor->cancel();
        }
    });
    co_await s->descriptor->async_wait(what, asio::redirect_error(asio::use_awaitable, ec));
    s->active_wait = 0;
    s->timer->cancel();
    // Hand the descriptor back to libpq: deregisters it from the reactor without closing it.
    (void)s->descriptor->release();
    if (s->stopped.load()) {
        out = Wait::stopped;
    } else if (ec == asio::error::operation_aborted && s->timed_out) {
        out = Wait::timeout;
    } else if (ec) {
        out = Wait::failed;
        error = "waiting on the PostgreSQL socket failed: " + ec.message();
    } else {
        out = Wait::ready;
    }
}

// Runs `sql` on `conn` (in non-blocking mode) without blocking, discarding its rows. `ok`
// says whether every statement succeeded by the deadline; `error` says why not.
asio::awaitable<void> command(const std::shared_ptr<State>& s, Connection& conn,
                              const std::string& sql, SteadyClock::time_point deadline, bool& ok,
                              std::string& error) {
    ok = false;
    PGconn* pg = conn.raw();
    if (PQsendQuery(pg, sql.c_str()) != 1) {
        error = "lost the connection to PostgreSQL: " + libpq_error(pg);
        co_return;
    }
    Wait wait = Wait::ready;
    // Our statements are a few hundred bytes at most, so waiting for write readiness alone
    // (not also reading, as libpq allows for large sends) cannot deadlock with the server.
    for (;;) {
        const int flushed = PQflush(pg);
        if (flushed == 0) {
            break;
        }
        if (flushed < 0) {
            error = "lost the connection to PostgreSQL: " + libpq_error(pg);
            co_return;
        }
        co_await wait_socket(s, PQsocket(pg), WaitType::wait_write, deadline, wait, error);
        if (wait == Wait::timeout) {
            error = "PostgreSQL did not accept a statement within the time allowed";
        }
        if (wait != Wait::ready) {
            co_return;
        }
    }
    std::string failure;
    for (;;) {
        while (PQisBusy(pg) != 0) {
            co_await wait_socket(s, PQsocket(pg), WaitType::wait_read, deadline, wait, error);
            if (wait == Wait::timeout) {
                error = "PostgreSQL did not answer within the time allowed";
            }
            if (wait != Wait::ready) {
                co_return;
            }
            if (PQconsumeInput(pg) != 1) {
                error = "lost the connection to PostgreSQL: " + libpq_error(pg);
                co_return;
            }
        }
        PGresult* result = PQgetResult(pg);
        if (result == nullptr) {
            break;
        }
        const auto status = PQresultStatus(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && failure.empty()) {
            failure = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) != nullptr
                          ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                          : libpq_error(pg);
        }
        PQclear(result);
    }
    if (!failure.empty()) {
        error = failure;
        co_return;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        error = "lost the connection to PostgreSQL: " + libpq_error(pg);
        co_return;
    }
    ok = true;
}

// Polls a connection begun with start_connect(); nullopt (and `error`) when it failed.
std::optional<Connection::ConnectPoll> poll_connect(Connection& conn, std::string& error) {
    try {
        return conn.connect_poll();
    } catch (const std::exception& e) {
        error = e.what();
        return std::nullopt;
    }
}

// Begins a non-blocking connect into `conn`; false (and `error`) if it failed at once.
bool begin_connect(const std::string& url, std::optional<Connection>& conn, std::string& error) {
    try {
        conn.emplace(Connection::start_connect(url));
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        conn.reset();
        return false;
    }
}

// The LISTEN statements for `channels`; empty (and `error`) if one cannot be quoted.
std::string listen_sql(const Connection& conn, const std::vector<std::string>& channels,
                       std::string& error) {
    std::string sql;
    try {
        for (const auto& channel : channels) {
            sql += "LISTEN " + conn.quote_identifier(channel) + ";";
        }
    } catch (const std::exception& e) {
        error = e.what();
        sql.clear();
    }
    return sql;
}

// A libpq notice processor keeping the server's last FATAL message in `*target`.
void record_fatal(void* target, const char* message) {
    if (std::string_view(message).starts_with("FATAL")) {
        *static_cast<std::string*>(target) = one_line(message);
    }
}

// Connects and LISTENs; `conn` is empty afterwards (and `error` says why) unless it worked.
asio::awaitable<void> connect_and_listen(const std::shared_ptr<State>& s,
                                         std::optional<Connection>& conn, std::string& error) {
    const auto deadline = SteadyClock::now() + s->options.connect_timeout;
    if (!begin_connect(s->url, conn, error)) {
        co_return;
    }
    // PQconnectStart has begun the TCP connect: as if PQconnectPoll had said "writing".
    auto next = Connection::ConnectPoll::wait_write;
    Wait wait = Wait::ready;
    while (next != Connection::ConnectPoll::ready) {
        const auto what =
            next == Connection::ConnectPoll::wait_read ? WaitType::wait_read : WaitType::wait_write;
        co_await wait_socket(s, conn->socket(), what, deadline, wait, error);
        if (wait == Wait::timeout) {
            error = "cannot connect to PostgreSQL: no connection within " +
                    millis(s->options.connect_timeout);
        }
        if (wait != Wait::ready) {
            conn.reset();
            co_return;
        }
        const auto step = poll_connect(*conn, error);
        if (!step) {
            conn.reset();
            co_return;
        }
        next = *step;
    }
    s->fatal_notice.clear();
    PQsetNoticeProcessor(conn->raw(), record_fatal, &s->fatal_notice);
    if (PQsetnonblocking(conn->raw(), 1) != 0) {
        error = "cannot make the PostgreSQL connection non-blocking: " + libpq_error(conn->raw());
        conn.reset();
        co_return;
    }
    const std::string sql = listen_sql(*conn, s->options.channels, error);
    if (sql.empty() && !s->options.channels.empty()) {
        conn.reset();
        co_return;
    }
    if (!sql.empty()) {
        bool ok = false;
        co_await command(s, *conn, sql, deadline, ok, error);
        if (!ok) {
            error = "cannot LISTEN: " + error;
            conn.reset();
            co_return;
        }
    }
}

// Hands every notification libpq has buffered to the handler, in order.
void deliver(State& s, Connection& conn) {
    while (auto notification = conn.next_notification()) {
        const bool delivered = s.call_handler("notification", [&] {
            if (s.on_notification) {
                s.on_notification(*notification);
            }
        });
        if (!delivered) {
            return;
        }
    }
}

// Delivers notifications until the connection is lost (`error` says why) or stop().
asio::awaitable<void> watch(const std::shared_ptr<State>& s, Connection& conn, std::string& error) {
    const auto keepalive = s->options.keepalive;
    Wait wait = Wait::ready;
    for (;;) {
        // libpq may have read notifications along with an earlier reply: deliver them before
        // waiting, since the socket will not signal them again.
        deliver(*s, conn);
        co_await wait_socket(s, conn.socket(), WaitType::wait_read, SteadyClock::now() + keepalive,
                             wait, error);
        if (wait == Wait::stopped || wait == Wait::failed) {
            co_return;
        }
        if (wait == Wait::timeout) {
            bool ok = false;
            co_await command(s, conn, "SELECT 1", SteadyClock::now() + keepalive, ok, error);
            if (!ok) {
                error = "keepalive failed: " + error;
                co_return;
            }
            continue;
        }
        if (!conn.consume_input() || PQstatus(conn.raw()) != CONNECTION_OK) {
            // The server's reason, when it gave one, says more than libpq's "server closed the
            // connection unexpectedly".
            error = "lost the connection to PostgreSQL: " +
                    (s->fatal_notice.empty() ? libpq_error(conn.raw()) : s->fatal_notice);
            co_return;
        }
    }
}

asio::awaitable<void> run(std::shared_ptr<State> s) {
    // Declared first so it is destroyed last: the descriptor is released before PQfinish.
    std::optional<Connection> conn;
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    asio::posix::stream_descriptor descriptor(executor);
    struct Detach {
        State& state;
        asio::posix::stream_descriptor& descriptor;
        ~Detach() {
            state.timer = nullptr;
            state.descriptor = nullptr;
            state.active_wait = 0;
            if (descriptor.is_open()) {
                (void)descriptor.release();  // libpq's socket: PQfinish closes it
            }
        }
    } detach{*s, descriptor};
    s->timer = &timer;
    s->descriptor = &descriptor;

    const auto& options = s->options;
    Logger* const log = options.logger;
    std::minstd_rand random(std::random_device{}());
    // At least 1 ms, so that a zero minimum cannot make a busy loop.
    const auto first_delay = std::max(options.reconnect_min, std::chrono::milliseconds(1));
    auto delay = first_delay;
    std::optional<bool> reported;
    bool ever_connected = false;
    const auto report = [&](bool up) {
        if (reported != up) {
            reported = up;
            s->call_handler("state", [&] {
                if (s->on_state) {
                    s->on_state(up);
                }
            });
        }
    };

    while (!s->stopped.load()) {
        std::string error;
        co_await connect_and_listen(s, conn, error);
        if (conn) {
            s->pid.store(conn->backend_pid());
            s->up.store(true);
            if (ever_connected) {
                s->reconnects.fetch_add(1);
            }
            ever_connected = true;
            delay = first_delay;
            if (log != nullptr) {
                log->info("database listener connected", {{"channels", options.channels.size()},
                                                          {"backend_pid", conn->backend_pid()}});
            }
            report(true);
            co_await watch(s, *conn, error);
            s->up.store(false);
            s->pid.store(0);
            conn.reset();
            if (s->stopped.load()) {
                break;
            }
            error = one_line(error);
            s->set_error(error);
            if (log != nullptr) {
                log->warn("database listener lost its connection", {{"error", error}});
            }
            report(false);
        } else {
            if (s->stopped.load()) {
                break;
            }
            error = one_line(error);
            s->set_error(error);
            if (log != nullptr) {
                // Warn once per outage; the retries that follow are debug noise.
                log->log(reported == false ? LogLevel::debug : LogLevel::warn,
                         "database listener cannot connect", {{"error", error}});
            }
            report(false);
        }
        // Jittered exponential backoff: a delay drawn from the upper half of the current step.
        const auto step = delay.count();
        const auto jittered = std::uniform_int_distribution<std::int64_t>(step / 2, step)(random);
        delay = std::min(delay * 2, std::max(options.reconnect_max, first_delay));
        if (s->stopped.load()) {
            break;
        }
        boost::system::error_code ec;
        timer.expires_after(std::chrono::milliseconds(jittered));
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace

Listener::Listener(boost::asio::any_io_executor executor, std::string url, ListenerOptions options,
                   NotificationHandler on_notification, StateHandler on_state)
    : state_(std::make_shared<detail::ListenerState>(std::move(executor), std::move(url),
                                                     std::move(options), std::move(on_notification),
                                                     std::move(on_state))) {}

Listener::~Listener() {
    stop();
}

void Listener::start() {
    if (state_->stopped.load() || state_->started.exchange(true)) {
        return;
    }
    asio::co_spawn(state_->strand, run(state_), asio::detached);
}

void Listener::stop() {
    {
        // Waits for a handler running on another thread; after this, none starts.
        const std::lock_guard lock(state_->handler_mutex);
        if (state_->stopped.exchange(true)) {
            return;
        }
    }
    asio::post(state_->strand, [s = state_] {
        if (s->timer != nullptr) {
            s->timer->cancel();
        }
        if (s->descriptor != nullptr && s->active_wait != 0) {
            s->descriptor->cancel();
        }
    });
}

bool Listener::connected() const {
    return state_->up.load() && !state_->stopped.load();
}

std::string Listener::last_error() const {
    const std::lock_guard lock(state_->error_mutex);
    return state_->error;
}

std::uint64_t Listener::reconnects() const {
    return state_->reconnects.load();
}

std::uint64_t Listener::handler_errors() const {
    return state_->handler_errors.load();
}

int Listener::backend_pid() const {
    return connected() ? state_->pid.load() : 0;
}

}  // namespace pm::db
