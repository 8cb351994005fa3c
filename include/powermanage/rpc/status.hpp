#pragma once

/// @file
/// @brief RPC status codes as the Connect protocol names them (the same numbers as gRPC), and
/// the HTTP status each maps to for Connect unary calls.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pm::rpc {

/// The Connect / gRPC status codes.
enum class Code {
    ok = 0,
    canceled = 1,
    unknown = 2,
    invalid_argument = 3,
    deadline_exceeded = 4,
    not_found = 5,
    already_exists = 6,
    permission_denied = 7,
    resource_exhausted = 8,
    failed_precondition = 9,
    aborted = 10,
    out_of_range = 11,
    unimplemented = 12,
    internal = 13,
    unavailable = 14,
    data_loss = 15,
    unauthenticated = 16,
};

/// The Connect name of a code: "invalid_argument", ... ("ok" for ok).
std::string_view code_name(Code code);
/// The code with that Connect name; nullopt for an unknown name.
std::optional<Code> code_from_name(std::string_view name);
/// The HTTP status a Connect unary error answers with (invalid_argument 400, not_found 404,
/// unauthenticated 401, ..., as connect-go does).
int http_status_for(Code code);
/// The code a client infers from an HTTP status when the body carries none (Connect's table).
Code code_for_http_status(int http_status);

/// The outcome of a call: ok, or a code with a message for the caller.
struct Status {
    Code code = Code::ok;  ///< the code
    std::string message;   ///< human text; says what was wrong and what to do

    /// True for Code::ok.
    bool ok() const { return code == Code::ok; }
    /// The ok status.
    static Status success() { return {}; }
    /// Same code and message.
    friend bool operator==(const Status&, const Status&) = default;
};

/// Thrown by control-plane handlers to answer with `status`; the server catches it at the call
/// boundary. Any other exception answers `internal` without leaking its text.
class RpcError : public std::runtime_error {
public:
    /// An error answering `code` with `message`.
    RpcError(Code code, std::string message)
        : std::runtime_error(message), status_{code, std::move(message)} {}
    /// The status to answer with.
    const Status& status() const { return status_; }

private:
    Status status_;
};

}  // namespace pm::rpc
