#pragma once

// The server's table of what to serve and how: RPC handlers keyed by method, interceptors
// (server-wide, and per service), observers, plain HTTP routes, and the HTTP policy (CORS, security
// headers, limits). Filled before start(), read-only afterwards, so every I/O thread reads it
// without locks.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <powermanage/rpc/server.hpp>
#include <powermanage/rpc/service.hpp>

namespace google::protobuf {
class MethodDescriptor;
}  // namespace google::protobuf

namespace pm::rpc::detail {

/// One servable RPC.
struct Route {
    const google::protobuf::MethodDescriptor* method = nullptr;  ///< never null
    UnaryHandler unary;                                          ///< set for unary methods
    StreamHandler stream;                                        ///< set for streaming methods
};

/// What to serve; see the file comment.
class Router {
public:
    /// Takes the HTTP policy and limits from the server's options.
    explicit Router(const ServerOptions& options);

    /// Serves a unary method; throws std::invalid_argument if it is not in the generated pool or
    /// is streaming.
    void add_unary(std::string_view full_method, UnaryHandler handler);
    /// Serves a streaming method; throws std::invalid_argument if it is not in the generated
    /// pool or is unary.
    void add_stream(std::string_view full_method, StreamHandler handler);
    /// Runs before every handler, in the order added.
    void add_interceptor(Interceptor interceptor) {
        interceptors_.push_back(std::move(interceptor));
    }
    /// Runs before the handlers of `service`'s methods only, after the server-wide ones; throws
    /// std::invalid_argument if the generated pool has no such service.
    void add_service_interceptor(std::string_view service, Interceptor interceptor);
    /// Told about every finished call.
    void add_observer(CallObserver observer) { observers_.push_back(std::move(observer)); }
    /// Serves GET and HEAD `path`.
    void add_plain_route(std::string path, std::function<PlainResponse()> handler);
    /// Answers GET and HEAD for paths nothing else serves (Server::set_plain_fallback).
    void set_plain_fallback(PlainFallback fallback) { plain_fallback_ = std::move(fallback); }
    /// Refuse the calls of a connection whose client certificate the identity mapper rejected.
    void set_identity_required(bool required) { identity_required_ = required; }

    /// The RPC served at an HTTP path ("/pm.v1.ControlService/Login"), or nullptr.
    const Route* find(std::string_view path) const;
    /// The plain route at an HTTP path, or nullptr.
    const std::function<PlainResponse()>* find_plain(std::string_view path) const;
    /// The fallback for unserved GET and HEAD paths; empty if none.
    const PlainFallback& plain_fallback() const { return plain_fallback_; }

    const std::vector<Interceptor>& interceptors() const { return interceptors_; }  ///< in order
    /// The interceptors scoped to `method`'s service, in order; nullptr if none.
    const std::vector<Interceptor>* service_interceptors(
        const google::protobuf::MethodDescriptor* method) const;
    const std::vector<CallObserver>& observers() const { return observers_; }  ///< all
    const Limits& limits() const { return limits_; }                           ///< the server's
    const CorsOptions& cors() const { return cors_; }                          ///< the server's
    bool security_headers() const { return security_headers_; }  ///< add them to responses
    /// Whether JSON requests may carry fields the schema does not know.
    bool json_ignore_unknown_fields() const { return json_ignore_unknown_fields_; }
    /// Whether a connection with a certificate but no mapped identity is refused.
    bool identity_required() const { return identity_required_; }

private:
    Route& add_route(std::string_view full_method, bool streaming);

    std::map<std::string, Route, std::less<>> routes_;
    std::map<std::string, std::function<PlainResponse()>, std::less<>> plain_;
    PlainFallback plain_fallback_;
    std::vector<Interceptor> interceptors_;
    std::map<std::string, std::vector<Interceptor>, std::less<>> service_interceptors_;
    std::vector<CallObserver> observers_;
    Limits limits_;
    CorsOptions cors_;
    bool security_headers_ = true;
    bool json_ignore_unknown_fields_ = true;
    bool identity_required_ = false;
};

}  // namespace pm::rpc::detail
