#include "agent_session.hpp"

#include <deque>
#include <exception>
#include <random>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <powermanage/rpc/client.hpp>

#include "agent_messages.hpp"
#include "pm/v1/agent.pb.h"

namespace pm::agentsim {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kStreamMethod = "pm.v1.AgentService.Stream";
constexpr milliseconds kDefaultHeartbeat{30000};

// Detached tasks report nothing: each one handles its own failures.
constexpr auto kIgnoreOutcome = [](const std::exception_ptr&) {};

milliseconds to_milliseconds(const google::protobuf::Duration& d) {
    return milliseconds(d.seconds() * 1000 + d.nanos() / 1000000);
}

}  // namespace

/// One connection of one agent. Shared by the tasks running on it (reader, writer, heartbeat,
/// executions); everything happens on the agent's strand.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(FleetContext& fleet_context, Agent& owner)
        : fleet(fleet_context), agent(owner), closed(owner.strand) {
        closed.expires_at(Clock::time_point::max());
    }

    FleetContext& fleet;
    Agent& agent;
    // The client first: the stream is destroyed before the connection it runs on.
    std::unique_ptr<rpc::Client> client;
    std::unique_ptr<rpc::ClientStream> stream;
    // Expires never; close() moves it to the past, which wakes every wait on the session.
    asio::steady_timer closed;
    std::deque<pm::v1::AgentMessage> outbox;
    bool is_closed = false;
    bool welcomed = false;
    bool counted_connected = false;
    bool writing = false;
    bool heartbeating = false;

    // Ends the session: the stream is cancelled and every wait returns.
    void close() {
        if (is_closed) {
            return;
        }
        is_closed = true;
        outbox.clear();
        closed.expires_at(Clock::time_point::min());
        if (stream) {
            stream->cancel();
        }
    }

    // Waits `duration`; false if the session closed first.
    asio::awaitable<bool> sleep(milliseconds duration) {
        bool slept = false;
        if (is_closed) {
            co_return slept;
        }
        asio::steady_timer timer(agent.strand, duration);
        const auto outcome = co_await (timer.async_wait(kTuple) || closed.async_wait(kTuple));
        slept = outcome.index() == 0 && !is_closed;
        co_return slept;
    }

    // Queues a message; one writer at a time sends the queue in order (sends are serialized).
    void send(pm::v1::AgentMessage message) {
        if (is_closed) {
            return;
        }
        outbox.push_back(std::move(message));
        if (!writing) {
            writing = true;
            asio::co_spawn(agent.strand, drain(shared_from_this()), kIgnoreOutcome);
        }
    }

    void mark_connected() {
        if (!counted_connected) {
            counted_connected = true;
            ++fleet.counters.connected;
        }
    }

    void start_heartbeats(milliseconds interval) {
        if (heartbeating) {
            return;
        }
        heartbeating = true;
        asio::co_spawn(agent.strand, heartbeats(shared_from_this(), interval), kIgnoreOutcome);
    }

    void handle(pm::v1::ServerMessage& message) {
        const auto& options = fleet.options;
        switch (message.payload_case()) {
            case pm::v1::ServerMessage::kWelcome:
                if (!welcomed) {
                    welcomed = true;
                    ++fleet.counters.welcomes;
                    mark_connected();
                    auto interval = options.heartbeat_interval;
                    if (interval.count() <= 0) {
                        interval = to_milliseconds(message.welcome().heartbeat_interval());
                    }
                    start_heartbeats(interval.count() > 0 ? interval : kDefaultHeartbeat);
                }
                break;
            case pm::v1::ServerMessage::kAction: {
                const auto received = Clock::now();
                ++fleet.counters.dispatches;
                auto action = std::move(*message.mutable_action()->mutable_action());
                if (fleet.on_dispatch) {
                    fleet.on_dispatch(agent.device_id, action.id().value(), received);
                }
                asio::co_spawn(agent.strand,
                               execute(shared_from_this(), std::move(action), received),
                               kIgnoreOutcome);
                break;
            }
            case pm::v1::ServerMessage::kError:
                ++fleet.counters.errors_received;
                if (fleet.on_error) {
                    fleet.on_error(agent.device_id, message.error().code(),
                                   message.error().message());
                }
                break;
            case pm::v1::ServerMessage::kQuery:
                send(make_query_refusal(message.query().query_id()));
                break;
            default:  // unknown payloads are ignored, as agents do
                break;
        }
    }

private:
    static asio::awaitable<void> drain(std::shared_ptr<Session> self) {
        while (!self->outbox.empty() && !self->is_closed) {
            auto message = std::move(self->outbox.front());
            self->outbox.pop_front();
            const auto status = co_await self->stream->write(message);
            if (!status.ok()) {
                self->close();
                break;
            }
            auto& counters = self->fleet.counters;
            switch (message.payload_case()) {
                case pm::v1::AgentMessage::kActionResult:
                    ++counters.results_sent;
                    break;
                case pm::v1::AgentMessage::kOutputChunk:
                    ++counters.chunks_sent;
                    break;
                case pm::v1::AgentMessage::kHeartbeat:
                    ++counters.heartbeats_sent;
                    break;
                default:
                    break;
            }
        }
        self->writing = false;
    }

    static asio::awaitable<void> heartbeats(std::shared_ptr<Session> self, milliseconds interval) {
        for (;;) {
            const bool slept = co_await self->sleep(interval);
            if (!slept) {
                break;
            }
            const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                Clock::now() - self->fleet.started);
            self->send(make_heartbeat(uptime));
        }
    }

    // "Runs" a dispatched action: waits the configured delay, then reports (A.2.6/A.2.7).
    static asio::awaitable<void> execute(std::shared_ptr<Session> self, pm::v1::Action action,
                                         Clock::time_point received) {
        const auto& options = self->fleet.options;
        const auto delay = uniform_duration(options.result_delay_min, options.result_delay_max);
        if (delay.count() > 0) {
            const bool slept = co_await self->sleep(delay);
            if (!slept) {
                co_return;
            }
        }
        const std::string& id = action.id().value();
        Outcome outcome;
        outcome.omit_completed_at = options.omit_completed_at;
        if (options.verify_signatures && self->agent.verifier &&
            self->agent.verifier->refuses(action)) {
            outcome.success = false;
            outcome.error = std::string(kUnsignedShellError);
        } else {
            if (options.failure_rate > 0) {
                std::bernoulli_distribution fails(std::min(options.failure_rate, 1.0));
                if (fails(random_engine())) {
                    outcome.success = false;
                    outcome.error = "simulated failure";
                }
            }
            if (options.send_output_chunks) {
                self->send(make_output_chunk(id, "simulated output, line 1\n", 0));
                self->send(make_output_chunk(id, "simulated output, line 2\n", 1));
            }
        }
        outcome.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - received);
        self->send(make_result(id, outcome));
    }
};

namespace {

// Watches for Welcome: closes the session if it has not come within `timeout`.
asio::awaitable<void> welcome_watchdog(std::shared_ptr<Session> session, milliseconds timeout) {
    const bool slept = co_await session->sleep(timeout);
    if (slept && !session->welcomed) {
        session->close();
    }
}

// One connection attempt, until its stream ends. True if Welcome arrived.
asio::awaitable<bool> run_session(FleetContext& fleet, const IdentityStore& files, Agent& agent) {
    const auto& options = fleet.options;
    auto session = std::make_shared<Session>(fleet, agent);
    agent.session = session;
    rpc::ClientOptions client_options;
    client_options.base_url = agent.gateway_url;
    client_options.http2 = true;
    client_options.ca_file = files.ca_file(agent.index).string();
    client_options.certificate_file = files.cert_file(agent.index).string();
    client_options.private_key_file = files.key_file(agent.index).string();
    client_options.timeout = options.connect_timeout;
    bool welcomed = false;
    try {
        session->client = std::make_unique<rpc::Client>(agent.strand, std::move(client_options));
    } catch (const std::exception&) {  // unreadable key files: count it, retry later
        ++fleet.counters.failed_attempts;
        agent.session.reset();
        co_return welcomed;
    }
    session->stream = co_await session->client->stream(kStreamMethod);
    if (session->is_closed) {  // stopped while connecting
        session->stream->cancel();
    } else {
        const auto hello_status = co_await session->stream->write(
            make_hello(agent.device_id, options.agent_version, agent.hostname));
        if (hello_status.ok() && !session->is_closed) {
            if (options.welcome_timeout.count() > 0) {
                asio::co_spawn(agent.strand, welcome_watchdog(session, options.welcome_timeout),
                               kIgnoreOutcome);
            } else {
                session->mark_connected();
                session->start_heartbeats(options.heartbeat_interval.count() > 0
                                              ? options.heartbeat_interval
                                              : kDefaultHeartbeat);
            }
            for (;;) {
                pm::v1::ServerMessage message;
                const bool got = co_await session->stream->read(message);
                if (!got) {
                    break;
                }
                session->handle(message);
            }
        }
    }
    session->close();
    if (session->counted_connected) {
        --fleet.counters.connected;
    }
    welcomed = session->welcomed;
    if (!welcomed) {
        ++fleet.counters.failed_attempts;
    }
    agent.session.reset();
    co_return welcomed;
}

}  // namespace

asio::awaitable<void> run_agent(FleetContext& fleet, const IdentityStore& files, Agent& agent) {
    const auto& options = fleet.options;
    if (options.start_spread.count() > 0 && !agent.stopping) {
        agent.timer.expires_after(uniform_duration(milliseconds(0), options.start_spread));
        co_await agent.timer.async_wait(kTuple);
    }
    bool first = true;
    while (!agent.stopping) {
        if (!first) {
            ++fleet.counters.reconnects;
        }
        first = false;
        const auto began = Clock::now();
        bool welcomed = false;
        try {
            welcomed = co_await run_session(fleet, files, agent);
        } catch (const std::exception&) {
            agent.session.reset();
        }
        if (agent.stopping) {
            break;
        }
        if (welcomed) {
            agent.backoff.connection_lived(
                std::chrono::duration_cast<milliseconds>(Clock::now() - began),
                options.backoff_min);
        }
        agent.timer.expires_after(agent.backoff.next(options.backoff_min, options.backoff_max));
        co_await agent.timer.async_wait(kTuple);
    }
}

void stop_agent(Agent& agent) {
    agent.stopping = true;
    agent.timer.cancel();
    if (agent.session) {
        agent.session->close();
    }
}

}  // namespace pm::agentsim
