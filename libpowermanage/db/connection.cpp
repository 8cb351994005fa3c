#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <string>

#include <libpq-fe.h>
#include <poll.h>

#include <powermanage/db/connection.hpp>

namespace pm::db {
namespace {

std::string field(const PGresult* result, int code) {
    const char* value = PQresultErrorField(result, code);
    return value == nullptr ? std::string() : std::string(value);
}

std::string trimmed(const char* message) {
    std::string text = message == nullptr ? "" : message;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

// The URL without its password, for error messages.
std::string redacted(const std::string& url) {
    const auto scheme = url.find("://");
    const auto at = url.find('@');
    if (scheme == std::string::npos || at == std::string::npos || at < scheme) {
        return url.find("password") == std::string::npos ? url : "<connection string>";
    }
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) {
        return url;
    }
    return url.substr(0, colon) + ":***" + url.substr(at);
}

void ignore_notices(PGconn* conn) {
    // NOTICEs (e.g. "already exists, skipping") are for people at psql, not for our stderr.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
}

}  // namespace

Result& Result::operator=(Result&& other) noexcept {
    if (this != &other) {
        PQclear(result_);
        result_ = other.result_;
        other.result_ = nullptr;
    }
    return *this;
}

Result::~Result() {
    PQclear(result_);
}

int Result::rows() const {
    return result_ == nullptr ? 0 : PQntuples(result_);
}

int Result::columns() const {
    return result_ == nullptr ? 0 : PQnfields(result_);
}

bool Result::is_null(int row, int column) const {
    return PQgetisnull(result_, row, column) != 0;
}

std::string_view Result::text(int row, int column) const {
    return {PQgetvalue(result_, row, column),
            static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::int64_t Result::int64(int row, int column) const {
    const auto value = text(row, column);
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc() || end != value.data() + value.size()) {
        throw std::runtime_error("column " + std::string(PQfname(result_, column)) +
                                 " is not an integer: '" + std::string(value) + "'");
    }
    return out;
}

bool Result::boolean(int row, int column) const {
    return text(row, column) == "t";
}

int Result::column(const char* name) const {
    const int index = PQfnumber(result_, name);
    if (index < 0) {
        throw std::out_of_range(std::string("result has no column ") + name);
    }
    return index;
}

Connection::Connection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (conn_ == nullptr) {
        throw DatabaseError("out of memory connecting to PostgreSQL", "");
    }
    ignore_notices(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string reason = trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw DatabaseError("cannot connect to PostgreSQL at " + redacted(url) + ": " + reason +
                                " (check the database URL and that the server is running)",
                            "");
    }
}

Connection Connection::start_connect(const std::string& url) {
    Connection conn(PQconnectStart(url.c_str()));
    if (conn.conn_ == nullptr) {
        throw DatabaseError("out of memory connecting to PostgreSQL", "");
    }
    ignore_notices(conn.conn_);
    if (PQstatus(conn.conn_) == CONNECTION_BAD) {
        throw DatabaseError("cannot connect to PostgreSQL at " + redacted(url) + ": " +
                                trimmed(PQerrorMessage(conn.conn_)),
                            "");
    }
    return conn;
}

Connection::ConnectPoll Connection::connect_poll() {
    switch (PQconnectPoll(conn_)) {
        case PGRES_POLLING_READING:
            return ConnectPoll::wait_read;
        case PGRES_POLLING_WRITING:
            return ConnectPoll::wait_write;
        case PGRES_POLLING_OK:
            return ConnectPoll::ready;
        default:
            // libpq's message names the server (host and port) but never the password.
            throw DatabaseError("cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(conn_)),
                                "");
    }
}

Connection::~Connection() {
    PQfinish(conn_);
}

Result Connection::check(pg_result* result, const std::string& sql) {
    Result owned(result);
    const auto status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        return owned;
    }
    if (result == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        throw DatabaseError("lost the connection to PostgreSQL: " + trimmed(PQerrorMessage(conn_)),
                            "");
    }
    std::string message = field(result, PG_DIAG_MESSAGE_PRIMARY);
    // DETAIL stays out: for constraint failures it quotes the row ("Failing row contains
    // ..."), which may hold a password hash, and messages reach logs and clients.
    const std::string hint = field(result, PG_DIAG_MESSAGE_HINT);
    if (!hint.empty()) {
        message += ". " + hint;
    }
    if (message.empty()) {
        message = trimmed(PQresultErrorMessage(result));
    }
    (void)sql;
    throw DatabaseError(message, field(result, PG_DIAG_SQLSTATE),
                        field(result, PG_DIAG_CONSTRAINT_NAME));
}

Result Connection::exec(const std::string& sql) {
    return check(PQexec(conn_, sql.c_str()), sql);
}

Result Connection::exec(const std::string& sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    return check(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                              values.data(), nullptr, nullptr, 0),
                 sql);
}

const std::string& Connection::prepared_name(const std::string& sql) {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
        std::string name = "pm_stmt_" + std::to_string(prepared_.size() + 1);
        check(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), sql);
        it = prepared_.emplace(sql, std::move(name)).first;
    }
    return it->second;
}

Result Connection::exec_prepared(const std::string& sql, const std::vector<Param>& params) {
    const std::string& name = prepared_name(sql);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    return check(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                                nullptr, nullptr, 0),
                 sql);
}

std::int64_t Connection::copy_in(const std::string& copy_sql, std::string_view data) {
    PGresult* start = PQexec(conn_, copy_sql.c_str());
    if (start == nullptr || PQresultStatus(start) != PGRES_COPY_IN) {
        check(start, copy_sql);  // throws with the server's reason
        throw DatabaseError(copy_sql + " did not start a COPY FROM STDIN", "");
    }
    PQclear(start);
    const bool sent = PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1;
    if (PQputCopyEnd(conn_, sent ? nullptr : "client failed to send the data") != 1) {
        throw DatabaseError(
            "lost the connection to PostgreSQL during COPY: " + trimmed(PQerrorMessage(conn_)), "");
    }
    Result done = check(PQgetResult(conn_), copy_sql);
    // Drain to the final NULL result so the connection is ready for the next command.
    while (PGresult* extra = PQgetResult(conn_)) {
        PQclear(extra);
    }
    const char* tuples = PQcmdTuples(done.raw());
    return tuples == nullptr || *tuples == '\0' ? 0 : std::stoll(tuples);
}

bool Connection::is_open() const {
    return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::is_alive() {
    // libpq's socket is non-blocking, so this only reads what already arrived: a server that
    // closed the connection has left its FATAL message and the end of the stream there.
    // Twice: the first read may return the server's farewell message and stop there; the
    // second then meets the end of the stream, which marks the connection bad.
    for (int read = 0; read < 2; ++read) {
        if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK || PQconsumeInput(conn_) != 1) {
            return false;
        }
    }
    return PQstatus(conn_) == CONNECTION_OK;
}

int Connection::socket() const {
    return PQsocket(conn_);
}

bool Connection::consume_input() {
    return PQconsumeInput(conn_) == 1;
}

std::optional<Notification> Connection::next_notification() {
    PGnotify* notify = PQnotifies(conn_);
    if (notify == nullptr) {
        return std::nullopt;
    }
    Notification out{notify->relname, notify->extra == nullptr ? "" : notify->extra};
    PQfreemem(notify);
    return out;
}

std::optional<Notification> Connection::wait_notification(std::chrono::milliseconds timeout) {
    if (auto ready = next_notification()) {
        return ready;
    }
    pollfd fd{socket(), POLLIN, 0};
    const int n = ::poll(&fd, 1, static_cast<int>(timeout.count()));
    if (n < 0 && errno != EINTR) {
        throw DatabaseError("poll on the PostgreSQL connection failed", "");
    }
    if (n > 0 && !consume_input()) {
        throw DatabaseError("lost the connection to PostgreSQL: " + trimmed(PQerrorMessage(conn_)),
                            "");
    }
    return next_notification();
}

std::string Connection::quote_identifier(std::string_view name) const {
    char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
    if (quoted == nullptr) {
        throw DatabaseError("cannot quote identifier: " + trimmed(PQerrorMessage(conn_)), "");
    }
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

std::string Connection::quote_literal(std::string_view text) const {
    char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
    if (quoted == nullptr) {
        throw DatabaseError("cannot quote literal: " + trimmed(PQerrorMessage(conn_)), "");
    }
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

int Connection::server_version() const {
    return PQserverVersion(conn_);
}

int Connection::backend_pid() const {
    return conn_ == nullptr ? 0 : PQbackendPID(conn_);
}

}  // namespace pm::db
