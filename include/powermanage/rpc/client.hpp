#pragma once

/// @file
/// @brief A Connect client: unary calls over HTTP/1.1 or HTTP/2, bidi streams over HTTP/2,
/// cleartext (h2c by prior knowledge) or TLS with an optional client certificate. It serves
/// the agent simulator, the CLI and the tests.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <powermanage/rpc/context.hpp>
#include <powermanage/rpc/service.hpp>
#include <powermanage/rpc/status.hpp>

namespace pm::rpc {

/// How a client reaches its server.
struct ClientOptions {
    /// "http://host:port" or "https://host:port", optionally with a path prefix.
    std::string base_url;
    /// HTTP/2 (ALPN h2 on TLS, prior knowledge on cleartext) or HTTP/1.1.
    bool http2 = true;
    Codec codec = Codec::proto;    ///< the message encoding: binary protobuf or JSON
    std::string ca_file;           ///< trust these CAs for the server (PEM); empty = system
    std::string certificate_file;  ///< client certificate (PEM), for mTLS
    std::string private_key_file;  ///< its key
    std::string server_name;       ///< SNI and verification name; default: the URL's host
    std::chrono::milliseconds timeout{30000};  ///< per unary call (sent as Connect-Timeout-Ms)
    Headers headers;                           ///< added to every call (e.g. authorization)
};

/// The client side of a bidi stream.
class ClientStream {
public:
    virtual ~ClientStream() = default;
    /// Sends a message.
    virtual Task<Status> write(const google::protobuf::Message& message) = 0;
    /// Closes the sending side.
    virtual Task<void> close_send() = 0;
    /// Reads the next message into `into`; false at the end of the stream (see finish()).
    virtual Task<bool> read(google::protobuf::Message& into) = 0;
    /// The call's final status, after read() returned false.
    virtual Status finish() const = 0;
    /// Ends the call now.
    virtual void cancel() = 0;
};

/// One connection to a server (reconnected on demand). Use from the executor it was made on.
class Client {
public:
    /// A client for `options.base_url` whose connections and calls run on `executor`.
    Client(boost::asio::any_io_executor executor, ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Calls a unary method ("pm.v1.ControlService.Login") and fills `response`.
    Task<Status> unary(std::string_view full_method, const google::protobuf::Message& request,
                       google::protobuf::Message& response, const Headers& extra = {});
    /// Opens a bidi stream.
    Task<std::unique_ptr<ClientStream>> stream(std::string_view full_method,
                                               const Headers& extra = {});
    /// Response headers of the last unary call (e.g. set-cookie).
    const Headers& last_response_headers() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pm::rpc
