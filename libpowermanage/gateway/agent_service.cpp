#include <powermanage/eventstore/events.hpp>
#include <powermanage/gateway/agent_service.hpp>

#include "gateway/agent_service_impl.hpp"

namespace pm::gateway {

AgentService::Impl::Impl(db::ConnectionPool& pool, eventstore::EventStore& store,
                         ConnectionManager& connections, AgentServiceOptions options,
                         Logger& logger, const Clock& clock)
    : pool_(pool),
      store_(store),
      connections_(connections),
      options_(std::move(options)),
      logger_(logger),
      clock_(clock),
      ids_(clock),
      workers_(options_.database_workers != 0 ? options_.database_workers : pool.max_size()) {}

void AgentService::Impl::housekeeping_loop() {
    auto next_flush = std::chrono::steady_clock::now() + options_.presence_flush_interval;
    auto next_sweep = std::chrono::steady_clock::now() + options_.sweep_interval;
    std::unique_lock lock(stop_mutex_);
    while (!stopping_) {
        stop_wake_.wait_until(lock, std::min(next_flush, next_sweep), [this] { return stopping_; });
        if (stopping_) {
            break;
        }
        lock.unlock();
        const auto now = std::chrono::steady_clock::now();
        try {
            if (now >= next_flush) {
                next_flush = now + options_.presence_flush_interval;
                flush_presence();
            }
            if (now >= next_sweep) {
                next_sweep = now + options_.sweep_interval;
                sweep();
            }
        } catch (const std::exception& error) {
            // The database is away; the next round tries again and /ready says so meanwhile.
            logger_.warn("gateway housekeeping failed", {{"error", error.what()}});
        }
        lock.lock();
    }
}

AgentService::AgentService(db::ConnectionPool& pool, eventstore::EventStore& store,
                           ConnectionManager& connections, AgentServiceOptions options,
                           Logger& logger, const Clock& clock)
    : impl_(std::make_shared<Impl>(pool, store, connections, std::move(options), logger, clock)) {}

AgentService::~AgentService() {
    finish();
}

void AgentService::install(rpc::Server& server) {
    server.add_stream("pm.v1.AgentService.Stream",
                      [impl = impl_](rpc::CallContext& ctx, rpc::ServerStream& stream) {
                          return impl->serve_stream(ctx, stream);
                      });
    std::function<rpc::Task<rpc::Result<pm::v1::SyncActionsResponse>>(
        rpc::CallContext&, const pm::v1::SyncActionsRequest&)>
        sync = [impl = impl_](rpc::CallContext& ctx, const pm::v1::SyncActionsRequest& request)
        -> rpc::Task<rpc::Result<pm::v1::SyncActionsResponse>> {
        rpc::Result<pm::v1::SyncActionsResponse> result{
            rpc::Status{rpc::Code::unauthenticated, "a client certificate is required"}};
        std::string device_id = ctx.peer_identity;
        if (device_id.empty() && impl->options_.trust_hello_device_id) {
            device_id = request.device_id().value();
        }
        if (device_id.empty()) {
            co_return result;
        }
        if (request.device_id().value() != device_id) {
            result = rpc::Status{rpc::Code::permission_denied,
                                 "device_id does not match the client certificate's device"};
            co_return result;
        }
        pm::v1::SyncActionsResponse response;
        co_await impl->workers_.run([&] { response = impl->sync_actions(device_id); });
        result = std::move(response);
        co_return result;
    };
    server.add_unary<pm::v1::SyncActionsRequest, pm::v1::SyncActionsResponse>(
        "pm.v1.AgentService.SyncActions", std::move(sync));
}

void AgentService::start(boost::asio::any_io_executor executor, const std::string& database_url) {
    auto impl = impl_;
    db::ListenerOptions listen;
    listen.channels = {std::string(eventstore::kDispatchChannel)};
    listen.logger = &impl->logger_;
    impl->listener_ = std::make_unique<db::Listener>(
        executor, database_url, listen,
        // Weak: the listener belongs to the service, which must not keep itself alive.
        [weak = std::weak_ptr<Impl>(impl)](const db::Notification& n) {
            if (auto alive = weak.lock()) {
                alive->on_hint(n.payload);
            }
        },
        [weak = std::weak_ptr<Impl>(impl)](bool connected) {
            auto alive = weak.lock();
            if (alive && connected) {
                // Hints sent while we were not listening are lost: look for pending work.
                alive->workers_.post([alive] { alive->sweep(); });
            }
        });
    impl->listener_->start();
    impl->housekeeper_ = std::thread([impl] { impl->housekeeping_loop(); });
}

void AgentService::stop() {
    auto& impl = *impl_;
    {
        std::lock_guard lock(impl.stop_mutex_);
        if (impl.stopping_) {
            return;
        }
        impl.stopping_ = true;
    }
    impl.stop_wake_.notify_all();
    if (impl.listener_) {
        impl.listener_->stop();
    }
    if (impl.housekeeper_.joinable()) {
        impl.housekeeper_.join();
    }
    impl.connections_.close_all("shutdown", "the gateway is shutting down; reconnect");
}

void AgentService::finish() {
    auto& impl = *impl_;
    stop();
    // Streams have ended (the server stopped): finish what they queued, then write presence.
    impl.workers_.join();
    impl.listener_.reset();
    try {
        impl.flush_presence();
    } catch (const std::exception& error) {
        impl.logger_.warn("cannot write presence at shutdown", {{"error", error.what()}});
    }
}

bool AgentService::listening() const {
    return impl_->listener_ && impl_->listener_->connected();
}

AgentServiceStats AgentService::stats() const {
    AgentServiceStats s;
    s.connected = impl_->connections_.size();
    s.hellos_refused = impl_->hellos_refused_.load();
    s.dispatched = impl_->dispatched_.load();
    s.results = impl_->results_.load();
    s.output_chunks_dropped = impl_->chunks_dropped_.load();
    s.hints = impl_->hints_.load();
    s.streams_closed_unavailable = impl_->streams_closed_unavailable_.load();
    return s;
}

}  // namespace pm::gateway
