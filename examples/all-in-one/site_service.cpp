#include "site_service.hpp"

#include <chrono>
#include <exception>
#include <functional>
#include <utility>

#include <powermanage/db/pool.hpp>
#include <powermanage/gateway/connection_manager.hpp>
#include <powermanage/rpc/blocking_pool.hpp>

#include "site.pb.h"

namespace allinone {

namespace rpc = pm::rpc;
using example::allinone::v1::StatusRequest;
using example::allinone::v1::StatusResponse;

struct SiteService::Impl {
    Impl(pm::db::ConnectionPool& p, const pm::gateway::ConnectionManager& a, SiteServiceOptions o)
        : pool(p), agents(a), options(std::move(o)) {}

    pm::db::ConnectionPool& pool;
    const pm::gateway::ConnectionManager& agents;
    SiteServiceOptions options;
    // Database reads block: they run here, never on the shared I/O threads.
    rpc::BlockingPool workers{1};

    rpc::Task<rpc::Result<StatusResponse>> status(rpc::CallContext&, const StatusRequest&) {
        StatusResponse response;
        response.set_site_name(options.site_name);
        response.set_agents_connected(static_cast<std::int64_t>(agents.size()));
        std::exception_ptr failure;
        co_await workers.run([&] {
            try {
                auto lease = pool.acquire(std::chrono::seconds(2));
                response.set_events(lease->exec("SELECT count(*) FROM events").int64(0, 0));
            } catch (const std::exception&) {
                failure = std::current_exception();
            }
        });
        if (failure) {
            co_return rpc::Status{
                rpc::Code::unavailable,
                "cannot read the event store: the database is unreachable; retry"};
        }
        co_return response;
    }
};

SiteService::SiteService(pm::db::ConnectionPool& pool, const pm::gateway::ConnectionManager& agents,
                         SiteServiceOptions options)
    : impl_(std::make_unique<Impl>(pool, agents, std::move(options))) {}

SiteService::~SiteService() {
    shutdown();
}

void SiteService::install(rpc::Server& server) {
    constexpr std::string_view kService = "example.allinone.v1.SiteService";
    if (!impl_->options.site_key.empty()) {
        // Scoped to this service: ControlService keeps its sessions, this keeps its key.
        server.add_service_interceptor(
            kService,
            [key = impl_->options.site_key](rpc::CallContext& ctx) -> rpc::Task<rpc::Status> {
                if (ctx.request_headers.get("x-site-key") != key) {
                    co_return rpc::Status{rpc::Code::unauthenticated,
                                          "send the site key in the x-site-key header"};
                }
                co_return rpc::Status::success();
            });
    }
    std::function<rpc::Task<rpc::Result<StatusResponse>>(rpc::CallContext&, const StatusRequest&)>
        handler = [impl = impl_.get()](rpc::CallContext& ctx, const StatusRequest& request) {
            return impl->status(ctx, request);
        };
    server.add_unary<StatusRequest, StatusResponse>("example.allinone.v1.SiteService.Status",
                                                    std::move(handler));
    // A plain route answers on the I/O thread: only what needs no database.
    server.add_plain_route("/site/status", [impl = impl_.get()] {
        return rpc::PlainResponse{200, "text/plain",
                                  "site " + impl->options.site_name + ": " +
                                      std::to_string(impl->agents.size()) + " agents connected\n"};
    });
}

void SiteService::shutdown() {
    impl_->workers.join();
}

}  // namespace allinone
