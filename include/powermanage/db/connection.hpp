#pragma once

/// @file
/// @brief A PostgreSQL connection on libpq: text parameters, typed errors with SQLSTATE and
/// constraint name, and LISTEN/NOTIFY. Blocking; run it on database threads, never on I/O
/// threads.

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <powermanage/db/errors.hpp>

struct pg_conn;
struct pg_result;

namespace pm::db {

/// The rows of one statement. Values are text; NULL is reported separately.
class Result {
public:
    Result() = default;
    /// Takes ownership of libpq's result (cleared when this goes away).
    explicit Result(pg_result* result) : result_(result) {}
    /// Takes `other`'s rows, leaving it empty.
    Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
    /// Takes `other`'s rows, leaving it empty.
    Result& operator=(Result&& other) noexcept;
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    ~Result();

    /// Number of rows.
    int rows() const;
    /// Number of columns.
    int columns() const;
    /// Whether the value at (row, column) is NULL.
    bool is_null(int row, int column) const;
    /// The text of the value at (row, column); empty for NULL.
    std::string_view text(int row, int column) const;
    /// The value as a 64-bit integer; throws std::runtime_error if it is not one.
    std::int64_t int64(int row, int column) const;
    /// The value as a boolean (PostgreSQL's `t`/`f`).
    bool boolean(int row, int column) const;
    /// Column index by name; throws std::out_of_range if there is none.
    int column(const char* name) const;
    /// The libpq result, for what this class does not wrap.
    pg_result* raw() const { return result_; }

private:
    pg_result* result_ = nullptr;
};

/// A statement parameter: text, or NULL.
using Param = std::optional<std::string>;

/// A notification received on a LISTENed channel.
struct Notification {
    std::string channel;  ///< the channel name
    std::string payload;  ///< the payload (may be empty)
};

/// One libpq connection. Not thread-safe: one thread uses it at a time.
class Connection {
public:
    /// Connects to `url` (a postgresql:// URL or a key=value string). Throws DatabaseError
    /// with a message saying which server could not be reached and why.
    explicit Connection(const std::string& url);
    /// Begins connecting to `url` without blocking (libpq's PQconnectStart), for an event
    /// loop: the connection is usable once connect_poll() returns ConnectPoll::ready. Throws
    /// DatabaseError if the URL is invalid or the attempt fails at once. Resolving a host name
    /// still blocks; give an IP address (or `hostaddr`) where that matters.
    static Connection start_connect(const std::string& url);
    /// Takes `other`'s connection, leaving it closed.
    Connection(Connection&& other) noexcept
        : conn_(other.conn_), prepared_(std::move(other.prepared_)) {
        other.conn_ = nullptr;
    }
    Connection& operator=(Connection&&) = delete;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    /// Runs SQL with no parameters (may hold several statements). Throws DatabaseError.
    Result exec(const std::string& sql);
    /// Runs one statement with `$1..$n` text parameters. Throws DatabaseError.
    Result exec(const std::string& sql, const std::vector<Param>& params);
    /// exec() of a statement prepared once per connection (on its first use here): PostgreSQL
    /// plans it once instead of on every call, which is most of the cost of a complex read
    /// run often (the resolution of a device's configuration plans in ~10 ms and runs in ~1).
    /// Throws DatabaseError.
    Result exec_prepared(const std::string& sql, const std::vector<Param>& params);

    /// One statement of exec_pipeline(): SQL prepared once per connection, and its parameters.
    struct PreparedCall {
        const std::string* sql = nullptr;  ///< the statement (borrowed; outlives the call)
        const std::vector<Param>* params = nullptr;  ///< its `$1..$n` (borrowed)
    };
    /// Runs `calls` in order in ONE round trip (libpq pipeline mode, one Sync at the end), so
    /// in one implicit transaction: transaction-local settings one call makes (set_config with
    /// is_local) hold for the calls after it and end with the last. Each statement is prepared
    /// as in exec_prepared(). Returns one Result per call; throws DatabaseError for the first
    /// that failed (the ones after it did not run), after reading every answer, so the
    /// connection stays usable.
    std::vector<Result> exec_pipeline(const std::vector<PreparedCall>& calls);
    /// Runs `copy_sql` (a `COPY ... FROM STDIN` statement) feeding it `data` in COPY's text
    /// format. Returns the number of rows copied. Throws DatabaseError.
    std::int64_t copy_in(const std::string& copy_sql, std::string_view data);

    /// True while the connection is usable.
    bool is_open() const;
    /// The socket, for waiting on notifications with poll() or an event loop.
    int socket() const;
    /// Whether the connection is still usable: open, and the server has not closed it while it
    /// sat idle (reads only what already arrived; never blocks). Use before reusing an idle one.
    bool is_alive();
    /// Reads whatever the server has sent; returns false if the connection broke.
    bool consume_input();
    /// The next notification already received, if any (call consume_input() first).
    std::optional<Notification> next_notification();
    /// Waits up to `timeout` for a notification; returns it, or nullopt on timeout. Throws
    /// DatabaseError if the connection breaks.
    std::optional<Notification> wait_notification(std::chrono::milliseconds timeout);

    /// Quotes an identifier (a channel or table name) for use in SQL.
    std::string quote_identifier(std::string_view name) const;
    /// `text` as an SQL string literal, escaped for this connection ('it''s').
    std::string quote_literal(std::string_view text) const;

    /// The server's version number, e.g. 150020.
    int server_version() const;
    /// The process id of the server backend serving this connection (`pg_backend_pid()`), or
    /// 0 when there is none.
    int backend_pid() const;

    /// What a connection begun with start_connect() needs next.
    enum class ConnectPoll {
        wait_read,   ///< wait until socket() is readable, then call connect_poll() again
        wait_write,  ///< wait until socket() is writable, then call connect_poll() again
        ready,       ///< connected
    };
    /// Advances a connection begun with start_connect(); socket() may change between calls.
    /// Throws DatabaseError saying why when the attempt fails.
    ConnectPoll connect_poll();

    /// The libpq connection, for what this class does not wrap.
    pg_conn* raw() const { return conn_; }

private:
    explicit Connection(pg_conn* conn) : conn_(conn) {}

    Result check(pg_result* result, const std::string& sql);
    /// The name of `sql` prepared on this connection, preparing it on first use.
    const std::string& prepared_name(const std::string& sql);

    pg_conn* conn_ = nullptr;
    std::unordered_map<std::string, std::string> prepared_;  ///< SQL text -> statement name
};

}  // namespace pm::db
