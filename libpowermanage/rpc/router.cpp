#include "rpc/router.hpp"

#include <stdexcept>

#include <google/protobuf/descriptor.h>

#include <powermanage/contract/contract.hpp>

namespace pm::rpc::detail {

namespace gp = google::protobuf;

Router::Router(const ServerOptions& options)
    : limits_(options.limits),
      cors_(options.cors),
      security_headers_(options.security_headers),
      json_ignore_unknown_fields_(options.json_ignore_unknown_fields) {}

Route& Router::add_route(std::string_view full_method, bool streaming) {
    // Any package in the generated pool, not only pm.v1 (contract::find_method's scope), so
    // that tests and integrators can serve their own services; pool() links pm.v1 in.
    const auto* method = contract::pool().FindMethodByName(std::string(full_method));
    if (method == nullptr) {
        throw std::invalid_argument("no method " + std::string(full_method) +
                                    " in the generated descriptor pool; link its .pb.cc");
    }
    const bool is_streaming = method->client_streaming() || method->server_streaming();
    if (is_streaming != streaming) {
        throw std::invalid_argument(
            std::string(full_method) + " is " +
            (is_streaming ? "streaming: use add_stream" : "unary: use add_unary"));
    }
    std::string path = "/" + method->service()->full_name() + "/" + method->name();
    auto& route = routes_[std::move(path)];
    route = Route{};
    route.method = method;
    return route;
}

void Router::add_unary(std::string_view full_method, UnaryHandler handler) {
    if (!handler) {
        throw std::invalid_argument("empty handler for " + std::string(full_method));
    }
    add_route(full_method, false).unary = std::move(handler);
}

void Router::add_stream(std::string_view full_method, StreamHandler handler) {
    if (!handler) {
        throw std::invalid_argument("empty handler for " + std::string(full_method));
    }
    add_route(full_method, true).stream = std::move(handler);
}

void Router::add_service_interceptor(std::string_view service, Interceptor interceptor) {
    if (contract::pool().FindServiceByName(std::string(service)) == nullptr) {
        throw std::invalid_argument("no service " + std::string(service) +
                                    " in the generated descriptor pool: give its full name, "
                                    "e.g. pm.v1.ControlService, and link its .pb.cc");
    }
    if (!interceptor) {
        throw std::invalid_argument("empty interceptor for " + std::string(service));
    }
    service_interceptors_[std::string(service)].push_back(std::move(interceptor));
}

const std::vector<Interceptor>* Router::service_interceptors(
    const gp::MethodDescriptor* method) const {
    if (method == nullptr || service_interceptors_.empty()) {
        return nullptr;
    }
    const auto it = service_interceptors_.find(method->service()->full_name());
    return it == service_interceptors_.end() ? nullptr : &it->second;
}

void Router::add_plain_route(std::string path, std::function<PlainResponse()> handler) {
    if (path.empty() || path.front() != '/' || !handler) {
        throw std::invalid_argument("a plain route needs a path starting with '/' and a handler");
    }
    plain_[std::move(path)] = std::move(handler);
}

const Route* Router::find(std::string_view path) const {
    const auto it = routes_.find(path);
    return it == routes_.end() ? nullptr : &it->second;
}

const std::function<PlainResponse()>* Router::find_plain(std::string_view path) const {
    const auto it = plain_.find(path);
    return it == plain_.end() ? nullptr : &it->second;
}

}  // namespace pm::rpc::detail
