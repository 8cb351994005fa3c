// The HTTP/2 server engine: one H2Connection per client connection, one H2Exchange and one
// coroutine per request stream. See h2_server.hpp.

#include "rpc/h2_server.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "rpc/h2_session.hpp"

namespace pm::rpc::detail {

namespace asio = boost::asio;

namespace {

H2Settings settings_from(const Limits& limits) {
    H2Settings settings;
    settings.max_concurrent_streams = limits.max_concurrent_streams;
    settings.max_header_list = static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max()));
    settings.send_timeout = limits.send_timeout;
    settings.idle_timeout = limits.idle_timeout;
    settings.shutdown_grace = limits.shutdown_grace;
    return settings;
}

class H2ServerConnection;

// One request stream as the protocol layer sees it.
class H2Exchange final : public Exchange {
public:
    H2Exchange(std::shared_ptr<H2ServerConnection> connection, std::shared_ptr<H2Stream> stream,
               const ConnectionInfo& info);
    ~H2Exchange() override;
    H2Exchange(const H2Exchange&) = delete;
    H2Exchange& operator=(const H2Exchange&) = delete;

    const RequestHead& head() const override { return head_; }
    RequestHead& head_to_take() override { return head_; }
    Task<std::optional<std::string>> read_body() override;
    Task<void> send_headers(int status, const Headers& headers, bool end) override;
    Task<bool> send_data(std::string data, bool end) override;
    Task<void> send_trailers(const Headers& trailers) override;
    bool http2() const override { return true; }

private:
    std::shared_ptr<H2ServerConnection> connection_;
    std::shared_ptr<H2Stream> stream_;
    RequestHead head_;
};

class H2ServerConnection final : public H2Connection {
public:
    H2ServerConnection(asio::any_io_executor executor, AnyStream stream, ConnectionInfo info,
                       ExchangeHandler handler, const Limits& limits)
        : H2Connection(Role::server, std::move(executor), std::move(stream), settings_from(limits)),
          info_(std::move(info)),
          handler_(std::move(handler)) {}

    const ConnectionInfo& info() const { return info_; }

private:
    void on_request(std::shared_ptr<H2Stream> stream) override {
        pending_.push_back(std::move(stream));
    }

    void start_requests() override {
        auto pending = std::move(pending_);
        pending_.clear();
        for (auto& stream : pending) {
            if (stream->closed || stream->reset_sent) {
                continue;  // reset before it could start
            }
            if (stream->headers_too_large) {
                submit_response(*stream, 431, Headers{}, true);
                detach(*stream);
                continue;
            }
            start_exchange(std::move(stream));
        }
    }

    void start_exchange(std::shared_ptr<H2Stream> stream) {
        auto self = std::static_pointer_cast<H2ServerConnection>(shared_from_this());
        exchanges_.emplace(stream.get(), stream);
        exchange_started();
        task_started();
        auto& slot_owner = stream->cancel;
        asio::co_spawn(
            executor(), serve(self, stream),
            asio::bind_cancellation_slot(slot_owner.slot(), [self, stream](std::exception_ptr) {
                self->exchanges_.erase(stream.get());
                self->exchange_finished();
                self->task_finished();
            }));
    }

    static Task<void> serve(std::shared_ptr<H2ServerConnection> self,
                            std::shared_ptr<H2Stream> stream) {
        H2Exchange exchange(self, stream, self->info_);
        try {
            co_await self->handler_(exchange);
        } catch (...) {
            // serve_exchange never throws; anything else ends this stream only (the
            // exchange's destructor resets an unfinished response).
        }
    }

    void cancel_exchanges() override {
        std::vector<std::shared_ptr<H2Stream>> running;
        running.reserve(exchanges_.size());
        for (auto& [key, stream] : exchanges_) {
            running.push_back(stream);
        }
        for (auto& stream : running) {
            stream->cancel.emit(asio::cancellation_type::terminal);
        }
    }

    ConnectionInfo info_;
    ExchangeHandler handler_;
    std::vector<std::shared_ptr<H2Stream>> pending_;
    std::unordered_map<H2Stream*, std::shared_ptr<H2Stream>> exchanges_;
};

H2Exchange::H2Exchange(std::shared_ptr<H2ServerConnection> connection,
                       std::shared_ptr<H2Stream> stream, const ConnectionInfo& info)
    : connection_(std::move(connection)), stream_(std::move(stream)) {
    head_.method = stream_->method;
    const auto query = stream_->path.find('?');
    head_.path = stream_->path.substr(0, query);
    head_.headers = std::move(stream_->headers);  // the stream keeps no use for them
    head_.http_version = 20;
    head_.secure = info.secure;
    head_.remote_address = info.remote_address;
    head_.peer_certificate = info.peer_certificate;
    head_.peer_identity = info.peer_identity;
}

H2Exchange::~H2Exchange() {
    connection_->detach(*stream_);
}

Task<std::optional<std::string>> H2Exchange::read_body() {
    std::optional<std::string> chunk;
    try {
        chunk = co_await connection_->read_data(*stream_);
    } catch (const RpcError&) {
        // Reset by the client, or the connection went: the seam reports both as canceled.
        throw RpcError(Code::canceled, "the client reset the request");
    }
    co_return chunk;
}

Task<void> H2Exchange::send_headers(int status, const Headers& headers, bool end) {
    connection_->submit_response(*stream_, status, headers, end);
    co_return;
}

Task<bool> H2Exchange::send_data(std::string data, bool end) {
    co_return co_await connection_->send_data(*stream_, std::move(data), end);
}

Task<void> H2Exchange::send_trailers(const Headers& trailers) {
    connection_->submit_trailers(*stream_, trailers);
    co_return;
}

}  // namespace

Task<void> serve_http2(AnyStream stream, std::string initial_bytes, ConnectionInfo info,
                       ExchangeHandler handler, const Limits& limits) {
    try {
        auto executor = co_await asio::this_coro::executor;
        auto control = info.control;
        auto connection = std::make_shared<H2ServerConnection>(
            executor, std::move(stream), std::move(info), std::move(handler), limits);
        if (control) {
            // Posted rather than run inline: on_drain() calls back at once when draining has
            // already begun, and begin_drain() may run from inside the listener's own code.
            control->on_drain([executor, weak = std::weak_ptr<H2ServerConnection>(connection)] {
                asio::post(executor, [weak] {
                    if (auto alive = weak.lock()) {
                        alive->begin_shutdown();
                    }
                });
            });
        }
        // A coroutine of its own, so run()'s cancellation settings stay out of the caller's;
        // the caller's terminal cancellation still reaches it through co_spawn.
        co_await asio::co_spawn(executor, connection->run(std::move(initial_bytes)),
                                asio::use_awaitable);
    } catch (...) {
        // run() does not throw; this only guards the set-up (out of memory).
    }
}

}  // namespace pm::rpc::detail
