#include "agent.hpp"

#include <fstream>
#include <random>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <signal.h>
#include <sys/sysinfo.h>

#include <powermanage/rpc/client.hpp>

#include "messages.hpp"

namespace pm::agent {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Host uptime (Heartbeat.uptime); 0 if unknown. Not in a coroutine frame: struct sysinfo
// ends in a zero-size array, which a frame may not hold.
std::int64_t host_uptime_seconds() {
    struct sysinfo info {};
    return ::sysinfo(&info) == 0 ? info.uptime : 0;
}

milliseconds jittered(milliseconds step) {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> pick(step.count() / 2, step.count());
    return milliseconds(pick(engine));
}

}  // namespace

/// One stream to the gateway and what is waiting to be written on it.
struct Agent::Connection {
    explicit Connection(asio::any_io_executor executor) : closed(executor) {
        closed.expires_at(Clock::time_point::max());
    }
    std::unique_ptr<rpc::Client> client;  // declared first: the stream dies before its client
    std::unique_ptr<rpc::ClientStream> stream;
    std::deque<pm::v1::AgentMessage> outbox;
    asio::steady_timer closed;  // moved to the past by close(), which wakes every wait on it
    milliseconds heartbeat{30000};
    bool is_closed = false;
    bool writing = false;

    void close() {
        if (!is_closed) {
            is_closed = true;
            closed.expires_at(Clock::time_point::min());
            if (stream) {
                stream->cancel();
            }
        }
    }
};

Agent::Agent(asio::io_context& io, AgentOptions options)
    : io_(io), options_(std::move(options)), pause_timer_(io) {}

Agent::~Agent() = default;

asio::awaitable<int> Agent::run() {
    if (!co_await ensure_identity()) {
        co_return stopping_ ? 0 : 1;
    }
    try {
        std::ifstream in(identity_->ca_file);
        std::stringstream ca;
        ca << in.rdbuf();
        check_ = std::make_unique<ca::ActionVerifier>(ca.str());
    } catch (const std::exception& e) {
        note(std::string(e.what()) + " (" + identity_->ca_file.string() +
             "): remove the state folder and enrol again");
        co_return 1;
    }
    note("device " + identity_->device_id + ", gateway " + identity_->gateway_url);
    backoff_step_ = options_.backoff_min;
    while (!stopping_) {
        const auto began = Clock::now();
        const bool established = co_await connect_once();
        if (established && Clock::now() - began > backoff_step_) {
            backoff_step_ = options_.backoff_min;  // it was a working connection, not a flap
        }
        const auto wait = jittered(backoff_step_);
        backoff_step_ = std::min(backoff_step_ * 2, options_.backoff_max);
        if (!stopping_) {
            note("reconnecting in " + std::to_string(wait.count()) + " ms");
            co_await pause(wait);
        }
    }
    co_return 0;
}

void Agent::stop() {
    stopping_ = true;
    pause_timer_.cancel();
    if (connection_) {
        connection_->close();
    }
    for (int pid : running_pids_) {
        ::kill(-pid, SIGKILL);  // the whole process group of each running script
    }
}

asio::awaitable<bool> Agent::pause(milliseconds wait) {
    pause_timer_.expires_after(wait);
    co_await pause_timer_.async_wait(kTuple);
    co_return !stopping_;
}

asio::awaitable<bool> Agent::ensure_identity() {
    try {
        identity_ = load_identity(options_.state_dir);
    } catch (const std::exception& e) {
        note(e.what());
        co_return false;
    }
    if (!identity_) {
        const auto& request = options_.enrolment;
        if (request.token.empty() || request.control_url.empty()) {
            note(options_.state_dir.string() +
                 " holds no identity yet: give --control-url and --token (a registration token "
                 "from CreateToken) to enrol");
            co_return false;
        }
        auto step = options_.backoff_min;
        while (!identity_ && !stopping_) {
            try {
                identity_ = co_await enrol(io_.get_executor(), request, options_.state_dir);
                note("enrolled as device " + identity_->device_id);
            } catch (const EnrolmentRefused& e) {
                note(e.what());
                co_return false;
            } catch (const std::exception& e) {
                note(std::string(e.what()) + "; retrying");
            }
            if (!identity_) {
                co_await pause(jittered(step));
                step = std::min(step * 2, options_.backoff_max);
            }
        }
    }
    if (identity_ && !options_.gateway_url.empty()) {
        identity_->gateway_url = options_.gateway_url;
    }
    co_return identity_.has_value();
}

asio::awaitable<bool> Agent::connect_once() {
    auto connection = std::make_shared<Connection>(io_.get_executor());
    connection->heartbeat = options_.heartbeat;
    rpc::ClientOptions client;
    client.base_url = identity_->gateway_url;
    client.http2 = true;  // the agent stream is an HTTP/2 bidi stream
    client.ca_file = identity_->ca_file.string();
    client.certificate_file = identity_->cert_file.string();
    client.private_key_file = identity_->key_file.string();
    client.timeout = options_.connect_timeout;  // bounds TCP + TLS + HTTP/2 set-up
    try {
        connection->client = std::make_unique<rpc::Client>(io_.get_executor(), std::move(client));
    } catch (const std::exception& e) {
        note(std::string("cannot use the identity files: ") + e.what());
        co_return false;
    }
    connection->stream = co_await connection->client->stream("pm.v1.AgentService.Stream");
    if (stopping_) {
        connection->close();
        co_return false;
    }
    connection_ = connection;
    auto hello = message_with_id();
    hello.mutable_hello()->mutable_device_id()->set_value(identity_->device_id);
    hello.mutable_hello()->set_agent_version(options_.enrolment.agent_version);
    hello.mutable_hello()->set_hostname(options_.enrolment.hostname);
    send(std::move(hello));
    // Results that finished while no stream was open go first.
    while (!unsent_results_.empty()) {
        send(std::move(unsent_results_.front()));
        unsent_results_.pop_front();
    }
    asio::co_spawn(io_, heartbeats(connection), asio::detached);
    bool established = false;
    for (;;) {
        pm::v1::ServerMessage message;
        if (!co_await connection->stream->read(message)) {
            break;
        }
        if (!established) {
            established = true;
            note("connected");
        }
        switch (message.payload_case()) {
            case pm::v1::ServerMessage::kWelcome: {
                const auto& interval = message.welcome().heartbeat_interval();
                const milliseconds wanted(interval.seconds() * 1000 + interval.nanos() / 1000000);
                if (wanted.count() > 0) {  // bounded like the Power Manage SDK does
                    connection->heartbeat =
                        std::clamp(wanted, milliseconds(5000), milliseconds(300000));
                }
                break;
            }
            case pm::v1::ServerMessage::kAction:
                on_action(std::move(*message.mutable_action()->mutable_action()));
                break;
            case pm::v1::ServerMessage::kQuery: {
                auto answer = message_with_id();
                answer.mutable_query_result()->set_query_id(message.query().query_id());
                answer.mutable_query_result()->set_error("this example agent has no osquery");
                send(std::move(answer));
                break;
            }
            case pm::v1::ServerMessage::kError:
                note("the gateway reports " + message.error().code() + ": " +
                     message.error().message());
                break;
            default:
                break;  // unknown payloads are ignored, as Power Manage agents do
        }
    }
    const auto status = connection->stream->finish();
    if (!stopping_) {
        note("the stream ended: " + std::string(rpc::code_name(status.code)) +
             (status.message.empty() ? "" : ": " + status.message));
    }
    connection->close();
    if (connection_ == connection) {
        connection_.reset();
    }
    co_return established;
}

void Agent::send(pm::v1::AgentMessage message) {
    if (!connection_ || connection_->is_closed) {
        if (message.has_action_result()) {
            unsent_results_.push_back(std::move(message));
        }
        return;  // chunks and heartbeats of a lost stream are not worth keeping
    }
    connection_->outbox.push_back(std::move(message));
    if (!connection_->writing) {
        connection_->writing = true;
        asio::co_spawn(io_, write_queue(connection_), asio::detached);
    }
}

asio::awaitable<void> Agent::write_queue(std::shared_ptr<Connection> connection) {
    // One writer per stream: messages go out one at a time, in order (A.2.6: unserialized sends
    // corrupt the stream).
    while (!connection->outbox.empty() && !connection->is_closed) {
        auto message = std::move(connection->outbox.front());
        connection->outbox.pop_front();
        asio::steady_timer watchdog(io_, options_.write_timeout);
        watchdog.async_wait([connection](boost::system::error_code error) {
            if (!error) {
                note("a write took longer than --write-timeout; dropping the stream");
                connection->close();
            }
        });
        const auto status = co_await connection->stream->write(message);
        watchdog.cancel();
        if (!status.ok()) {
            connection->outbox.push_front(std::move(message));
            connection->close();
        }
    }
    // Results this stream could not take go to the next one (send() keeps them until then).
    auto left = std::move(connection->outbox);
    connection->outbox.clear();
    connection->writing = false;
    for (auto& message : left) {
        if (message.has_action_result()) {
            send(std::move(message));
        }
    }
}

asio::awaitable<void> Agent::heartbeats(std::shared_ptr<Connection> connection) {
    while (!connection->is_closed) {
        asio::steady_timer tick(io_, connection->heartbeat);
        co_await (tick.async_wait(kTuple) || connection->closed.async_wait(kTuple));
        if (connection->is_closed) {
            break;
        }
        auto message = message_with_id();
        message.mutable_heartbeat()->mutable_uptime()->set_seconds(host_uptime_seconds());
        send(std::move(message));
    }
}

}  // namespace pm::agent
