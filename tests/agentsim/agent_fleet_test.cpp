// The simulated agent fleet against a real control plane (Register over HTTP) and a fake
// AgentService gateway (rpc::Server with required client certificates, identity = CN):
// registration and reload, Hello with the certificate's device id, results for dispatched
// actions, signature refusals, failure rate, Error messages, reconnects, clean stop, and what
// one agent costs in memory.

#include "agent_fleet.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/ca/request.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/rpc/server.hpp>

#include "action_verifier.hpp"
#include "control_fixture.hpp"
#include "identity_store.hpp"
#include "pm/v1/agent.pb.h"

namespace pm::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using agentsim::AgentFleet;
using agentsim::FleetOptions;

// Polls `done` every 10 ms for up to `timeout`.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout = 20s) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > give_up) {
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// A stand-in for the gateway: Hello (device id must equal the certificate CN), Welcome, then
// whatever the test pushes; it records what the agents send. One strand per connection: the
// handler writes, a reader task it spawns reads (and stops after the next message once the
// stream is to end, which the agents' heartbeats make prompt).
class FakeGateway {
public:
    struct Hello {
        std::string device_id;
        std::string certificate_cn;
    };

    FakeGateway(const ca::CertificateAuthority& authority, const std::filesystem::path& dir,
                std::chrono::milliseconds heartbeat)
        : heartbeat_(heartbeat) {
        const auto credentials =
            authority.issue_server_certificate({"localhost"}, {"127.0.0.1"}, std::chrono::hours(1));
        write(dir / "gateway.crt", credentials.certificate.pem);
        write(dir / "gateway.key", credentials.private_key_pem);
        write(dir / "gateway-ca.crt", authority.certificate_pem());
        rpc::ServerOptions options;
        options.listen_address = "127.0.0.1:0";
        options.io_threads = 2;
        options.limits.shutdown_grace = 5s;
        rpc::TlsOptions tls;
        tls.certificate_file = (dir / "gateway.crt").string();
        tls.private_key_file = (dir / "gateway.key").string();
        tls.client_ca_file = (dir / "gateway-ca.crt").string();
        tls.client_auth = rpc::TlsOptions::ClientAuth::required;
        tls.identity_mapper = [](const rpc::PeerCertificate& cert) { return cert.subject_cn; };
        options.tls = std::move(tls);
        server_ = std::make_unique<rpc::Server>(std::move(options));
        server_->add_stream("pm.v1.AgentService.Stream",
                            [this](rpc::CallContext& ctx, rpc::ServerStream& stream) {
                                return handle(ctx, stream);
                            });
        server_->start();
    }

    ~FakeGateway() { stop(); }

    void stop() {
        {
            std::lock_guard lock(mutex_);
            closing_ = true;
        }
        server_->stop();
    }

    std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }

    void set_send_welcome(bool send) {
        std::lock_guard lock(mutex_);
        send_welcome_ = send;
    }

    // Queues `message` to the device's live stream; false if it has none.
    bool push(const std::string& device_id, pm::v1::ServerMessage message) {
        std::lock_guard lock(mutex_);
        const auto it = live_.find(device_id);
        if (it == live_.end()) {
            return false;
        }
        it->second->outbox.push_back(std::move(message));
        return true;
    }

    bool dispatch(const std::string& device_id, const pm::v1::Action& action) {
        pm::v1::ServerMessage message;
        message.set_id(new_ulid());
        *message.mutable_action()->mutable_action() = action;
        return push(device_id, std::move(message));
    }

    // Ends every live stream with `status`.
    void end_all(const rpc::Status& status) {
        std::lock_guard lock(mutex_);
        for (auto& [id, connection] : live_) {
            connection->end = true;
            connection->end_status = status;
        }
    }

    std::size_t live_count() const {
        std::lock_guard lock(mutex_);
        return live_.size();
    }
    std::vector<Hello> hellos() const {
        std::lock_guard lock(mutex_);
        return hellos_;
    }
    std::size_t hello_count() const {
        std::lock_guard lock(mutex_);
        return hellos_.size();
    }
    std::map<std::string, pm::v1::ActionResult> results() const {
        std::lock_guard lock(mutex_);
        return results_;
    }
    std::size_t result_count() const {
        std::lock_guard lock(mutex_);
        return results_.size();
    }
    std::vector<pm::v1::OutputChunk> chunks() const {
        std::lock_guard lock(mutex_);
        return chunks_;
    }
    std::size_t heartbeats_from(const std::string& device_id) const {
        std::lock_guard lock(mutex_);
        const auto it = heartbeats_.find(device_id);
        return it == heartbeats_.end() ? 0 : it->second;
    }
    std::size_t devices_heartbeating() const {
        std::lock_guard lock(mutex_);
        return heartbeats_.size();
    }

private:
    struct Connection {
        std::deque<pm::v1::ServerMessage> outbox;
        bool end = false;
        rpc::Status end_status;
        bool reader_done = false;
    };

    static void write(const std::filesystem::path& file, const std::string& text) {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << text;
    }

    void record(const std::string& device_id, const pm::v1::AgentMessage& message) {
        std::lock_guard lock(mutex_);
        switch (message.payload_case()) {
            case pm::v1::AgentMessage::kHeartbeat:
                ++heartbeats_[device_id];
                break;
            case pm::v1::AgentMessage::kActionResult:
                results_[message.action_result().action_id().value()] = message.action_result();
                break;
            case pm::v1::AgentMessage::kOutputChunk:
                chunks_.push_back(message.output_chunk());
                break;
            default:
                break;
        }
    }

    rpc::Task<void> reader(rpc::ServerStream& stream, std::string device_id,
                           std::shared_ptr<Connection> connection) {
        try {
            for (;;) {
                auto message = co_await stream.read();
                if (!message) {
                    break;
                }
                record(device_id, static_cast<const pm::v1::AgentMessage&>(*message));
                std::lock_guard lock(mutex_);
                if (connection->end || closing_) {
                    break;
                }
            }
        } catch (const std::exception&) {  // the agent went away
        }
        std::lock_guard lock(mutex_);
        connection->reader_done = true;
    }

    rpc::Task<rpc::Status> handle(rpc::CallContext& ctx, rpc::ServerStream& stream) {
        rpc::Status status;
        auto first = co_await stream.read();
        if (!first) {
            status = rpc::Status{rpc::Code::invalid_argument, "no Hello"};
            co_return status;
        }
        const auto& hello_message = static_cast<const pm::v1::AgentMessage&>(*first);
        if (!hello_message.has_hello()) {
            status = rpc::Status{rpc::Code::invalid_argument, "the first message must be Hello"};
            co_return status;
        }
        const std::string device_id = hello_message.hello().device_id().value();
        auto connection = std::make_shared<Connection>();
        bool welcome = true;
        {
            std::lock_guard lock(mutex_);
            hellos_.push_back({device_id, ctx.peer_identity});
            live_[device_id] = connection;  // the last stream of a device wins
            welcome = send_welcome_;
        }
        if (device_id != ctx.peer_identity) {
            std::lock_guard lock(mutex_);
            live_.erase(device_id);
            status = rpc::Status{rpc::Code::permission_denied, "device id is not the CN"};
            co_return status;
        }
        if (welcome) {
            pm::v1::ServerMessage message;
            message.set_id(new_ulid());
            message.mutable_welcome()->set_server_version("fake-gateway");
            message.mutable_welcome()->mutable_heartbeat_interval()->set_seconds(
                heartbeat_.count() / 1000);
            message.mutable_welcome()->mutable_heartbeat_interval()->set_nanos(
                static_cast<std::int32_t>((heartbeat_.count() % 1000) * 1000000));
            co_await stream.write(message);
        }
        const auto executor = co_await asio::this_coro::executor;
        asio::co_spawn(executor, reader(stream, device_id, connection), asio::detached);
        asio::steady_timer timer(executor);
        for (;;) {
            std::deque<pm::v1::ServerMessage> outgoing;
            bool finished = false;
            {
                std::lock_guard lock(mutex_);
                outgoing.swap(connection->outbox);
                finished = connection->reader_done;
                if (connection->end || closing_) {
                    status = connection->end_status;
                    finished = true;
                }
            }
            for (const auto& message : outgoing) {
                co_await stream.write(message);
            }
            if (finished) {
                break;
            }
            timer.expires_after(5ms);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        // The reader holds the stream: wait for it before the call ends.
        for (;;) {
            bool done = false;
            {
                std::lock_guard lock(mutex_);
                done = connection->reader_done;
                if (done) {
                    const auto it = live_.find(device_id);
                    if (it != live_.end() && it->second == connection) {
                        live_.erase(it);
                    }
                }
            }
            if (done) {
                break;
            }
            timer.expires_after(5ms);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        co_return status;
    }

    std::chrono::milliseconds heartbeat_;
    std::unique_ptr<rpc::Server> server_;
    mutable std::mutex mutex_;
    bool closing_ = false;
    bool send_welcome_ = true;
    std::map<std::string, std::shared_ptr<Connection>> live_;
    std::vector<Hello> hellos_;
    std::map<std::string, pm::v1::ActionResult> results_;
    std::vector<pm::v1::OutputChunk> chunks_;
    std::map<std::string, std::size_t> heartbeats_;
};

class AgentFleetTest : public ControlTest {
protected:
    void SetUp() override {
        ControlTest::SetUp();
        token_ = create_token(admin_token()).second;
        state_dir_ = dir_ / "fleet";
    }

    void TearDown() override {
        fleet_.reset();  // before the gateway: its calls end when the agents go
        gateway_.reset();
        ControlTest::TearDown();
    }

    FleetOptions options(std::size_t count) const {
        FleetOptions o;
        o.control_url = "http://127.0.0.1:" + std::to_string(host_->port());
        o.registration_token = token_;
        o.count = count;
        o.state_dir = state_dir_;
        o.threads = 2;
        o.registration_concurrency = 4;
        o.backoff_min = 20ms;
        o.backoff_max = 200ms;
        o.connect_timeout = 5s;
        o.welcome_timeout = 5s;
        if (gateway_) {
            o.gateway_url = gateway_->url();
        }
        return o;
    }

    void start_gateway(std::chrono::milliseconds heartbeat = 50ms) {
        gateway_ = std::make_unique<FakeGateway>(host_->authority(), dir_, heartbeat);
    }

    // Registers `count` agents (must all succeed) and starts them against the gateway.
    void start_fleet(FleetOptions o) {
        const auto count = o.count;
        fleet_ = std::make_unique<AgentFleet>(std::move(o));
        const auto report = fleet_->register_all();
        ASSERT_EQ(report.failed, 0u) << report.first_error;
        ASSERT_EQ(fleet_->stats().registered, count);
        fleet_->start();
        ASSERT_TRUE(wait_until([&] { return fleet_->stats().connected == count; }))
            << "connected " << fleet_->stats().connected << " of " << count;
    }

    std::int64_t device_count() {
        pm::v1::ListDevicesRequest list;
        return call<pm::v1::ListDevicesResponse>("ListDevices", list, admin_token())
            .response.total_count();
    }

    pm::v1::Action action(pm::v1::ActionType type, bool sign, const std::string& params = "{}") {
        pm::v1::Action a;
        a.mutable_id()->set_value(new_ulid());
        a.set_type(type);
        a.set_params_canonical(params);
        if (type == pm::v1::ACTION_TYPE_SHELL) {
            a.mutable_shell()->set_script("echo hello");
        }
        if (sign) {
            a.set_signature(
                host_->authority().sign_action(a.id().value(), static_cast<int>(type), params));
        }
        return a;
    }

    std::string token_;
    std::filesystem::path state_dir_;
    std::unique_ptr<FakeGateway> gateway_;
    std::unique_ptr<AgentFleet> fleet_;
};

TEST_F(AgentFleetTest, RegistersThroughRegisterAndReloadsWithoutRegisteringAgain) {
    std::vector<std::string> ids;
    {
        AgentFleet fleet(options(20));
        EXPECT_EQ(fleet.stats().registered, 0u);
        std::size_t last_total = 0;
        const auto report = fleet.register_all([&](std::size_t, std::size_t total) {
            last_total = total;
            return true;
        });
        EXPECT_EQ(report.loaded, 0u);
        EXPECT_EQ(report.registered, 20u);
        EXPECT_EQ(report.failed, 0u) << report.first_error;
        EXPECT_EQ(last_total, 20u);
        EXPECT_EQ(fleet.stats().registered, 20u);
        for (std::size_t i = 0; i < 20; ++i) {
            ids.push_back(fleet.device_id(i));
            EXPECT_TRUE(Ulid::is_valid(ids.back())) << ids.back();
        }
    }
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 20u);
    EXPECT_EQ(device_count(), 20);

    // A restart: all 20 come from the state dir, nothing is registered.
    AgentFleet again(options(20));
    EXPECT_EQ(again.stats().registered, 20u);
    const auto report = again.register_all();
    EXPECT_EQ(report.loaded, 20u);
    EXPECT_EQ(report.registered, 0u);
    for (std::size_t i = 0; i < 20; ++i) {
        EXPECT_EQ(again.device_id(i), ids[i]);
    }
    EXPECT_EQ(device_count(), 20);

    // A bigger fleet registers only the missing ones.
    AgentFleet bigger(options(23));
    const auto grown = bigger.register_all();
    EXPECT_EQ(grown.loaded, 20u);
    EXPECT_EQ(grown.registered, 3u);
    EXPECT_EQ(device_count(), 23);
}

TEST_F(AgentFleetTest, BadTokenFailsRegistration) {
    auto o = options(2);
    o.registration_token = "not-a-token-at-all-00000000000000000000000000=";
    AgentFleet fleet(o);
    const auto report = fleet.register_all();
    EXPECT_EQ(report.failed, 2u);
    EXPECT_NE(report.first_error.find("permission_denied"), std::string::npos)
        << report.first_error;
    EXPECT_EQ(fleet.stats().registered, 0u);
}

TEST_F(AgentFleetTest, TwentyAgentsSayHelloWithTheirCertificateAndAnswerDispatches) {
    start_gateway();
    auto o = options(20);
    o.send_output_chunks = true;
    o.result_delay_min = 1ms;
    o.result_delay_max = 20ms;
    std::mutex hook_mutex;
    std::map<std::string, std::string> dispatched_to;  // execution id -> device id
    fleet_ = std::make_unique<AgentFleet>(o);
    fleet_->on_dispatch([&](const std::string& device, const std::string& execution,
                            std::chrono::steady_clock::time_point) {
        std::lock_guard lock(hook_mutex);
        dispatched_to[execution] = device;
    });
    ASSERT_EQ(fleet_->register_all().registered, 20u);
    fleet_->start();
    ASSERT_TRUE(wait_until([&] { return fleet_->stats().connected == 20; }));
    ASSERT_TRUE(wait_until([&] { return gateway_->live_count() == 20; }));

    std::set<std::string> fleet_ids;
    for (std::size_t i = 0; i < 20; ++i) {
        fleet_ids.insert(fleet_->device_id(i));
    }
    std::set<std::string> hello_ids;
    for (const auto& hello : gateway_->hellos()) {
        EXPECT_EQ(hello.device_id, hello.certificate_cn);
        hello_ids.insert(hello.device_id);
    }
    EXPECT_EQ(hello_ids, fleet_ids);
    EXPECT_EQ(gateway_->hello_count(), 20u);
    // Heartbeats at the Welcome's 50 ms.
    EXPECT_TRUE(wait_until([&] { return gateway_->devices_heartbeating() == 20; }));

    std::map<std::string, std::string> expected;  // action id -> device id
    for (const auto& device : fleet_ids) {
        const auto a = action(pm::v1::ACTION_TYPE_SHELL, true);
        expected[a.id().value()] = device;
        ASSERT_TRUE(gateway_->dispatch(device, a));
    }
    ASSERT_TRUE(wait_until([&] { return gateway_->result_count() == 20; }))
        << gateway_->result_count() << " results";
    const auto results = gateway_->results();
    for (const auto& [id, device] : expected) {
        const auto it = results.find(id);
        ASSERT_NE(it, results.end()) << id;
        EXPECT_EQ(it->second.status(), pm::v1::EXECUTION_STATUS_SUCCESS) << it->second.error();
        EXPECT_TRUE(it->second.has_completed_at());
        EXPECT_EQ(it->second.output().exit_code(), 0);
    }
    const auto chunks = gateway_->chunks();
    EXPECT_EQ(chunks.size(), 40u);
    for (const auto& chunk : chunks) {
        EXPECT_TRUE(expected.contains(chunk.execution_id()));
        EXPECT_EQ(chunk.stream(), pm::v1::OUTPUT_STREAM_TYPE_STDOUT);
    }
    {
        std::lock_guard lock(hook_mutex);
        EXPECT_EQ(dispatched_to, expected);
    }
    const auto stats = fleet_->stats();
    EXPECT_EQ(stats.dispatches, 20u);
    EXPECT_EQ(stats.results_sent, 20u);
    EXPECT_EQ(stats.chunks_sent, 40u);
    EXPECT_EQ(stats.welcomes, 20u);
    EXPECT_EQ(stats.reconnects, 0u);

    fleet_->stop();
    EXPECT_EQ(fleet_->stats().connected, 0u);
    EXPECT_TRUE(wait_until([&] { return gateway_->live_count() == 0; }));
}

TEST_F(AgentFleetTest, ShellWithoutAValidSignatureIsRefusedOtherTypesRun) {
    start_gateway();
    start_fleet(options(1));
    const auto device = fleet_->device_id(0);
    const auto unsigned_shell = action(pm::v1::ACTION_TYPE_SHELL, false);
    auto tampered = action(pm::v1::ACTION_TYPE_SHELL, true, R"({"script":"echo hello"})");
    tampered.set_params_canonical(R"({"script":"rm -rf /"})");
    const auto signed_shell = action(pm::v1::ACTION_TYPE_SHELL, true);
    const auto unsigned_package = action(pm::v1::ACTION_TYPE_PACKAGE, false);
    for (const pm::v1::Action* a : std::vector<const pm::v1::Action*>{
             &unsigned_shell, &tampered, &signed_shell, &unsigned_package}) {
        ASSERT_TRUE(gateway_->dispatch(device, *a));
    }
    ASSERT_TRUE(wait_until([&] { return gateway_->result_count() == 4; }));
    const auto results = gateway_->results();
    for (const pm::v1::Action* refused :
         std::vector<const pm::v1::Action*>{&unsigned_shell, &tampered}) {
        const auto& result = results.at(refused->id().value());
        EXPECT_EQ(result.status(), pm::v1::EXECUTION_STATUS_FAILED);
        EXPECT_EQ(result.error(), agentsim::kUnsignedShellError);
    }
    EXPECT_EQ(results.at(signed_shell.id().value()).status(), pm::v1::EXECUTION_STATUS_SUCCESS);
    EXPECT_EQ(results.at(unsigned_package.id().value()).status(), pm::v1::EXECUTION_STATUS_SUCCESS);
}

TEST_F(AgentFleetTest, FailureRateOneReportsFailedAndCompletedAtCanBeOmitted) {
    start_gateway();
    auto o = options(3);
    o.failure_rate = 1.0;
    o.omit_completed_at = true;
    start_fleet(o);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto a = action(pm::v1::ACTION_TYPE_PACKAGE, true);
        ids.push_back(a.id().value());
        ASSERT_TRUE(gateway_->dispatch(fleet_->device_id(i), a));
    }
    ASSERT_TRUE(wait_until([&] { return gateway_->result_count() == 3; }));
    const auto results = gateway_->results();
    for (const auto& id : ids) {
        const auto& result = results.at(id);
        EXPECT_EQ(result.status(), pm::v1::EXECUTION_STATUS_FAILED);
        EXPECT_FALSE(result.error().empty());
        EXPECT_NE(result.output().exit_code(), 0);
        EXPECT_FALSE(result.has_completed_at());
    }
}

TEST_F(AgentFleetTest, ErrorsAreRecordedAndAnEndedStreamIsReconnected) {
    start_gateway();
    std::mutex hook_mutex;
    std::vector<std::string> errors;
    auto o = options(5);
    fleet_ = std::make_unique<AgentFleet>(o);
    fleet_->on_error(
        [&](const std::string& device, const std::string& code, const std::string& message) {
            std::lock_guard lock(hook_mutex);
            errors.push_back(device + "|" + code + "|" + message);
        });
    ASSERT_EQ(fleet_->register_all().registered, 5u);
    fleet_->start();
    ASSERT_TRUE(wait_until([&] { return fleet_->stats().connected == 5; }));
    ASSERT_TRUE(wait_until([&] { return gateway_->live_count() == 5; }));

    const auto device = fleet_->device_id(0);
    pm::v1::ServerMessage error;
    error.set_id(new_ulid());
    error.mutable_error()->set_code("rate_limited");
    error.mutable_error()->set_message("slow down");
    ASSERT_TRUE(gateway_->push(device, error));
    ASSERT_TRUE(wait_until([&] { return fleet_->stats().errors_received == 1; }));
    {
        std::lock_guard lock(hook_mutex);
        ASSERT_EQ(errors.size(), 1u);
        EXPECT_EQ(errors[0], device + "|rate_limited|slow down");
    }
    // An Error does not end the stream.
    EXPECT_EQ(fleet_->stats().reconnects, 0u);

    // A gateway restart: every stream ends; every agent comes back with a new Hello.
    gateway_->end_all(rpc::Status{rpc::Code::unavailable, "gateway restarting"});
    ASSERT_TRUE(wait_until([&] { return gateway_->hello_count() == 10; }))
        << gateway_->hello_count() << " hellos";
    ASSERT_TRUE(wait_until([&] { return fleet_->stats().connected == 5; }));
    EXPECT_EQ(fleet_->stats().reconnects, 5u);
    EXPECT_EQ(fleet_->stats().welcomes, 10u);

    // And they still answer.
    const auto a = action(pm::v1::ACTION_TYPE_PACKAGE, true);
    ASSERT_TRUE(wait_until([&] { return gateway_->dispatch(device, a); }));
    ASSERT_TRUE(wait_until([&] { return gateway_->result_count() == 1; }));
}

TEST_F(AgentFleetTest, NoWelcomeMeansReconnectAfterTheTimeout) {
    start_gateway();
    gateway_->set_send_welcome(false);
    auto o = options(2);
    o.welcome_timeout = 150ms;
    o.heartbeat_interval = 50ms;
    fleet_ = std::make_unique<AgentFleet>(o);
    ASSERT_EQ(fleet_->register_all().registered, 2u);
    fleet_->start();
    ASSERT_TRUE(wait_until([&] { return fleet_->stats().reconnects >= 4; }));
    EXPECT_GE(fleet_->stats().failed_attempts, 4u);
    EXPECT_EQ(fleet_->stats().welcomes, 0u);
    EXPECT_EQ(fleet_->stats().connected, 0u);
    // Welcome back on: they settle.
    gateway_->set_send_welcome(true);
    ASSERT_TRUE(wait_until([&] { return fleet_->stats().connected == 2; }));
}

TEST_F(AgentFleetTest, AnUnreachableGatewayIsRetriedAndStopIsPrompt) {
    auto o = options(3);
    o.gateway_url = "https://127.0.0.1:1";  // nothing listens
    fleet_ = std::make_unique<AgentFleet>(o);
    ASSERT_EQ(fleet_->register_all().registered, 3u);
    fleet_->start();
    ASSERT_TRUE(wait_until([&] { return fleet_->stats().reconnects >= 6; }));
    const auto began = std::chrono::steady_clock::now();
    fleet_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    EXPECT_EQ(fleet_->stats().connected, 0u);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Heap bytes in use (glibc), in KiB: unlike RSS, not hidden by reused freed memory.
std::int64_t heap_kib() {
    const auto info = mallinfo2();
    return static_cast<std::int64_t>((info.uordblks + info.hblkhd) / 1024);
}

std::int64_t rss_kib() {
    std::ifstream statm("/proc/self/statm");
    std::int64_t size = 0;
    std::int64_t resident = 0;
    statm >> size >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Identities straight from the CA (Register would dominate the run time), then N agents
// connected to a fake gateway in a child process (this binary, running the test below), so
// that the RSS delta is the simulator's alone.
TEST_F(AgentFleetTest, MemoryPerThousandConnectedAgents) {
    // Under the sanitizers (whose allocator glibc's counters do not see) the numbers mean
    // nothing and 1000 TLS handshakes take minutes: a smaller fleet still checks start/stop.
    constexpr std::size_t kAgents = kSanitized ? 100 : 1000;
    namespace fs = std::filesystem;
    const auto serve_dir = dir_ / "serve";
    fs::create_directories(serve_dir);
    fs::copy_file(dir_ / "ca.crt", serve_dir / "ca.crt");
    fs::copy_file(dir_ / "ca.key", serve_dir / "ca.key");
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) {
        env_text.emplace_back(*e);
    }
    env_text.push_back("PM_AGENTSIM_SERVE_DIR=" + serve_dir.string());
    std::vector<char*> envp;
    for (auto& text : env_text) {
        envp.push_back(text.data());
    }
    envp.push_back(nullptr);
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=FakeGatewayProcess.Serve";
    std::vector<char*> argv{exe.data(), filter.data(), nullptr};
    pid_t child = 0;
    ASSERT_EQ(posix_spawn(&child, exe.c_str(), nullptr, nullptr, argv.data(), envp.data()), 0);
    const auto finish_child = [&] {
        std::ofstream(serve_dir / "stop") << "stop";
        int status = 0;
        waitpid(child, &status, 0);
    };
    if (!wait_until([&] { return fs::exists(serve_dir / "port"); }, 20s)) {
        finish_child();
        FAIL() << "the fake gateway process did not start";
    }
    const auto gateway_url = "https://127.0.0.1:" + agentsim::read_text_file(serve_dir / "port");
    {
        agentsim::IdentityStore store(state_dir_);
        for (std::size_t i = 0; i < kAgents; ++i) {
            const auto hostname = "mem-" + std::to_string(i);
            const auto request = ca::make_agent_request(hostname);
            const auto device = new_ulid();
            const auto issued = host_->authority().sign_agent_request(request.csr_pem, device, 24h);
            store.save(i, {device, hostname, gateway_url},
                       {request.private_key_pem, issued.pem, host_->authority().certificate_pem()});
        }
    }
    // What the rpc::Clients alone cost before connecting (each loads its key, certificate and
    // CA into two SSL_CTXs, HTTP/1.1 and HTTP/2).
    {
        agentsim::IdentityStore store(state_dir_);
        asio::io_context io;
        std::vector<std::unique_ptr<rpc::Client>> clients;
        const auto clients_before = heap_kib();
        for (std::size_t i = 0; i < kAgents; ++i) {
            rpc::ClientOptions client;
            client.base_url = gateway_url;
            client.ca_file = store.ca_file(i).string();
            client.certificate_file = store.cert_file(i).string();
            client.private_key_file = store.key_file(i).string();
            clients.push_back(std::make_unique<rpc::Client>(io.get_executor(), client));
        }
        std::printf("[ memory ] %zu unconnected rpc::Clients: heap %+lld KiB\n", kAgents,
                    static_cast<long long>(heap_kib() - clients_before));
    }
    const auto before = rss_kib();
    const auto heap_before = heap_kib();
    auto o = options(kAgents);
    o.gateway_url = gateway_url;
    o.start_spread = 500ms;
    fleet_ = std::make_unique<AgentFleet>(o);
    EXPECT_EQ(fleet_->stats().registered, kAgents);
    const auto loaded = heap_kib();
    fleet_->start();
    const bool all = wait_until([&] { return fleet_->stats().connected == kAgents; }, 90s);
    std::this_thread::sleep_for(200ms);
    const auto connected = rss_kib();
    const auto heap_connected = heap_kib();
    std::printf(
        "[ memory ] %zu agents (simulator only): loaded and idle: heap %+lld KiB; "
        "connected: heap %+lld KiB, RSS %+lld KiB => %.1f KiB heap per connected agent\n",
        kAgents, static_cast<long long>(loaded - heap_before),
        static_cast<long long>(heap_connected - heap_before),
        static_cast<long long>(connected - before),
        static_cast<double>(heap_connected - heap_before) / static_cast<double>(kAgents));
    fleet_->stop();
    finish_child();
    EXPECT_TRUE(all) << fleet_->stats().connected << " connected";
    EXPECT_EQ(fleet_->stats().connected, 0u);
}

// The memory test's fake gateway, in a process of its own; skipped unless it started it.
TEST(FakeGatewayProcess, Serve) {
    const char* dir_text = std::getenv("PM_AGENTSIM_SERVE_DIR");
    if (dir_text == nullptr) {
        GTEST_SKIP() << "runs only as the child of MemoryPerThousandConnectedAgents";
    }
    const std::filesystem::path dir(dir_text);
    const auto authority =
        ca::CertificateAuthority::from_files((dir / "ca.crt").string(), (dir / "ca.key").string());
    FakeGateway gateway(authority, dir, 30s);
    {
        std::ofstream port(dir / "port.tmp");
        port << gateway.url().substr(gateway.url().rfind(':') + 1);
    }
    std::filesystem::rename(dir / "port.tmp", dir / "port");
    wait_until([&] { return std::filesystem::exists(dir / "stop"); }, 300s);
    std::printf("[ gateway ] %zu streams live at the end\n", gateway.live_count());
}

}  // namespace
}  // namespace pm::testing
