// The control plane end to end: a ControlHost started in-process on a fresh database (with the
// default Argon2id parameters, the real cost, and no rate limits), called through
// pm::rpc::Client over h2c on loopback, every call authenticated, authorized and answered from
// PostgreSQL as in production:
//   - Login latency (sequential), beside one Argon2id verification measured in the same run;
//   - authorized GetDevice calls/s as the admin and as a user for a device assigned to them
//     (the policy's assigned_device check and a read under row-level security), with 1, 16
//     and 64 calls in flight on one HTTP/2 connection;
//   - Register calls/s, all callers on one unlimited token (its uses are counted through the
//     token stream's expected version, so concurrent registrations conflict and retry) and
//     with one token per caller; the CSRs are made in advance, so only the server works;
//   - CertificateAuthority::sign_agent_request of a P-256 CA on 1 and 2 threads, the CPU part
//     of a registration; scripts/bench prints `openssl speed ecdsap256` beside it;
//   - GetDeviceAssignments latency (p50/p99) for a device with 50 resolved actions reached
//     through a definition on a group, a set and single actions assigned directly.
//
// PM_BENCH_DATABASE_URL: a URL of a role that may create databases (scripts/bench sets it);
// without it the benchmarks that need the host are skipped with a message.
// PM_BENCH_SERVER_THREADS: I/O threads of the host (default 1; the client runs on the
// benchmark thread). PM_BENCH_WORKER_THREADS: threads of the service's blocking work (database,
// hashing, signing; default ControlOptions' 8).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <powermanage/auth/password.hpp>
#include <powermanage/ca/authority.hpp>
#include <powermanage/ca/request.hpp>
#include <powermanage/common/log.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/control/control_host.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/eventstore/events.hpp>
#include <powermanage/rpc/client.hpp>

#include "pm/v1/control.pb.h"
#include "support/drive.hpp"

namespace {

namespace asio = boost::asio;
namespace rpc = pm::rpc;
using namespace std::chrono_literals;

constexpr auto kBatchLimit = std::chrono::seconds(60);
constexpr const char* kAdminEmail = "admin@example.com";
constexpr const char* kAdminPassword = "correct horse battery staple";
constexpr const char* kUserEmail = "user@example.com";
constexpr const char* kUserPassword = "another horse battery staple";
constexpr int kDevices = 64;         // registered at start; GetDevice cycles through them
constexpr int kCsrs = 256;           // made in advance, reused by the Register benchmarks
constexpr int kGetBatch = 256;       // GetDevice calls per iteration
constexpr int kRegisterBatch = 64;   // Register calls per iteration
constexpr int kMaxConcurrency = 64;  // callers in flight, at most (one token each)

const char* admin_url() {
    return std::getenv("PM_BENCH_DATABASE_URL");
}

std::string with_database(const std::string& url, const std::string& db) {
    const auto slash = url.rfind('/');
    return url.substr(0, slash + 1) + db;
}

// A positive count from the environment, or `otherwise`.
std::size_t threads_from(const char* variable, std::size_t otherwise) {
    const char* text = std::getenv(variable);
    const long threads = text != nullptr ? std::strtol(text, nullptr, 10) : 0;
    return threads > 0 ? static_cast<std::size_t>(threads) : otherwise;
}

void drive(asio::io_context& io, std::vector<rpc::Task<void>> tasks) {
    pm::bench::drive(io, std::move(tasks), kBatchLimit);
}

void drive(asio::io_context& io, rpc::Task<void> task) {
    pm::bench::drive(io, std::move(task), kBatchLimit);
}

rpc::Headers bearer(const std::string& token) {
    rpc::Headers headers;
    headers.add("authorization", "Bearer " + token);
    return headers;
}

// One call of ControlService; throws with the method and the status if it fails.
rpc::Task<void> call(rpc::Client& client, const std::string& method,
                     const google::protobuf::Message& request, google::protobuf::Message& response,
                     const rpc::Headers& headers = {}) {
    const auto status =
        co_await client.unary("pm.v1.ControlService." + method, request, response, headers);
    if (!status.ok()) {
        throw std::runtime_error(
            fmt::format("{} failed: {} {}", method, rpc::code_name(status.code), status.message));
    }
}

rpc::Task<void> call_status(rpc::Client& client, const std::string& method,
                            const google::protobuf::Message& request,
                            google::protobuf::Message& response, rpc::Status& status) {
    status = co_await client.unary("pm.v1.ControlService." + method, request, response);
}

// A client on the benchmark thread, connected to the host over h2c.
struct Session {
    asio::io_context io;
    std::unique_ptr<rpc::Client> connection;
    rpc::Client& client;

    explicit Session(std::uint16_t port)
        : connection(std::make_unique<rpc::Client>(io.get_executor(),
                                                   [port] {
                                                       rpc::ClientOptions options;
                                                       options.base_url = "http://127.0.0.1:" +
                                                                          std::to_string(port);
                                                       options.http2 = true;
                                                       options.timeout = std::chrono::seconds(60);
                                                       return options;
                                                   }())),
          client(*connection) {}
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() {
        connection.reset();
        io.restart();
        io.run_for(std::chrono::milliseconds(100));  // let the connection say GOAWAY
    }

    std::string login(const std::string& email, const std::string& password) {
        pm::v1::LoginRequest request;
        request.set_email(email);
        request.set_password(password);
        pm::v1::LoginResponse response;
        drive(io, call(client, "Login", request, response));
        return response.access_token();
    }
};

// The running control plane on its own database, made on first use and kept for the run:
// the bootstrap admin, a user, an unlimited token, kDevices devices of which every other one
// is assigned to the user, kMaxConcurrency more tokens, and kCsrs requests made in advance.
class Plane {
public:
    // nullptr (and the reason in `why`) without PM_BENCH_DATABASE_URL or if the start failed.
    static Plane* get(std::string& why) {
        static std::string failure;
        static std::unique_ptr<Plane> plane = []() -> std::unique_ptr<Plane> {
            if (admin_url() == nullptr) {
                failure =
                    "PM_BENCH_DATABASE_URL is not set: it must name a PostgreSQL role that may "
                    "create databases (scripts/bench sets it)";
                return nullptr;
            }
            try {
                return std::unique_ptr<Plane>(new Plane());
            } catch (const std::exception& error) {
                failure = std::string("the control plane did not start: ") + error.what();
                return nullptr;
            }
        }();
        why = failure;
        return plane.get();
    }

    std::uint16_t port() const { return host_->port(); }
    std::string database_url() const { return with_database(admin_url(), name_); }
    const std::vector<std::string>& all_devices() const { return devices_; }
    const std::vector<std::string>& user_devices() const { return user_devices_; }
    const std::string& shared_token() const { return shared_token_; }
    const std::vector<std::string>& caller_tokens() const { return caller_tokens_; }
    const std::vector<pm::ca::AgentRequest>& csrs() const { return csrs_; }

    ~Plane() {
        if (host_) {
            host_->stop();
            host_.reset();
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        try {
            pm::db::Connection admin(admin_url());
            admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        } catch (const std::exception& error) {
            std::fprintf(stderr, "could not drop %s: %s\n", name_.c_str(), error.what());
        }
    }

private:
    Plane()
        : name_(fmt::format("pm_control_bench_{}", ::getpid())),
          dir_(std::filesystem::temp_directory_path() / name_),
          logger_(std::cerr, pm::LogLevel::error) {
        {
            pm::db::Connection admin(admin_url());
            admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
            admin.exec("CREATE DATABASE " + name_);
        }
        std::filesystem::create_directories(dir_);

        pm::control::ControlHostOptions o;
        o.listen_address = "127.0.0.1:0";
        o.database_url = with_database(admin_url(), name_);
        o.migrate = true;
        o.jwt_secret = "0123456789abcdef0123456789abcdef-bench";
        o.ca_certificate_file = (dir_ / "ca.crt").string();
        o.ca_key_file = (dir_ / "ca.key").string();
        o.development = true;  // creates the P-256 CA
        o.admin_email = kAdminEmail;
        o.admin_password = kAdminPassword;
        o.password_params = pm::auth::PasswordParams{};  // the default, real cost
        o.rate_limits = rpc::RateLimitOptions{};         // nothing limited
        o.io_threads = threads_from("PM_BENCH_SERVER_THREADS", 1);
        o.control.worker_threads =
            threads_from("PM_BENCH_WORKER_THREADS", o.control.worker_threads);
        o.shutdown_grace = std::chrono::seconds(5);
        o.control.gateway_url = "https://gateway.bench:8080";
        host_ = std::make_unique<pm::control::ControlHost>(std::move(o), logger_);
        host_->start();

        Session session(port());
        const auto admin = bearer(session.login(kAdminEmail, kAdminPassword));
        std::string user_id;
        {
            pm::v1::CreateUserRequest request;
            request.set_email(kUserEmail);
            request.set_password(kUserPassword);
            request.set_role("user");
            pm::v1::CreateUserResponse response;
            drive(session.io, call(session.client, "CreateUser", request, response, admin));
            user_id = response.user().id();
        }
        auto create_token = [&](const std::string& name) {
            pm::v1::CreateTokenRequest request;
            request.set_name(name);
            request.set_one_time(false);
            request.set_max_uses(0);
            pm::v1::CreateTokenResponse response;
            drive(session.io, call(session.client, "CreateToken", request, response, admin));
            return response.token().value();
        };
        shared_token_ = create_token("bench shared");
        for (int i = 0; i < kMaxConcurrency; ++i) {
            caller_tokens_.push_back(create_token(fmt::format("bench caller {}", i)));
        }
        for (int i = 0; i < kCsrs; ++i) {
            csrs_.push_back(pm::ca::make_agent_request(fmt::format("bench-{}.example.lan", i)));
        }
        for (int i = 0; i < kDevices; ++i) {
            pm::v1::RegisterRequest request;
            request.set_token(shared_token_);
            request.set_hostname(fmt::format("device-{}", i));
            request.set_agent_version("2026.02.0");
            request.set_csr(csrs_[static_cast<std::size_t>(i)].csr_pem);
            pm::v1::RegisterResponse response;
            drive(session.io, call(session.client, "Register", request, response));
            devices_.push_back(response.device_id().value());
            if (i % 2 == 0) {
                pm::v1::AssignDeviceRequest assign;
                assign.set_device_id(devices_.back());
                assign.set_user_id(user_id);
                pm::v1::AssignDeviceResponse assigned;
                drive(session.io, call(session.client, "AssignDevice", assign, assigned, admin));
                user_devices_.push_back(devices_.back());
            }
        }
    }

    std::string name_;
    std::filesystem::path dir_;
    pm::Logger logger_;
    std::unique_ptr<pm::control::ControlHost> host_;
    std::vector<std::string> devices_;
    std::vector<std::string> user_devices_;
    std::string shared_token_;
    std::vector<std::string> caller_tokens_;
    std::vector<pm::ca::AgentRequest> csrs_;
};

Plane* plane_or_skip(benchmark::State& state) {
    std::string why;
    Plane* plane = Plane::get(why);
    if (plane == nullptr) {
        state.SkipWithError(why.c_str());
    }
    return plane;
}

// One call whose failure is expected: its status.
rpc::Status run_call(Session& session, const std::string& method,
                     const google::protobuf::Message& request,
                     google::protobuf::Message& response) {
    rpc::Status status;
    drive(session.io, call_status(session.client, method, request, response, status));
    return status;
}

// ---- limits -----------------------------------------------------------------------------------

// What a login cannot go below: one Argon2id verification at the default parameters.
void BM_Limit_PasswordVerify(benchmark::State& state) {
    const pm::auth::PasswordHasher hasher;
    const std::string hash = hasher.hash(kAdminPassword);
    for (auto _ : state) {
        if (!hasher.verify(kAdminPassword, hash)) {
            state.SkipWithError("the password did not verify");
            break;
        }
    }
}
BENCHMARK(BM_Limit_PasswordVerify)->UseRealTime()->Unit(benchmark::kMillisecond);

// The CPU part of a registration: verify an agent's P-256 request and issue its certificate
// with a P-256 CA (one ECDSA verification and one signature). Both threads share one CA, as
// the server's workers do; items_per_second is the throughput of all threads together.
void BM_SignAgentRequest(benchmark::State& state) {
    static const pm::ca::CertificateAuthority ca =
        pm::ca::CertificateAuthority::create("Bench P-256 CA", pm::ca::KeyType::ecdsa_p256, 24h);
    const pm::ca::AgentRequest request = pm::ca::make_agent_request("agent-1.example.lan");
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            ca.sign_agent_request(request.csr_pem, "01JQ3Z8Y7X6W5V4T3S2R1Q0P9N", 24h));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignAgentRequest)->ThreadRange(1, 2)->UseRealTime();

// ---- the control plane over h2c ---------------------------------------------------------------

// One Login per iteration, as the admin: find the user, verify the Argon2id hash, append
// UserLoggedIn, record the refresh family, sign two JWTs.
void BM_LoginLatency(benchmark::State& state) {
    Plane* plane = plane_or_skip(state);
    if (plane == nullptr) {
        return;
    }
    try {
        Session session(plane->port());
        session.login(kAdminEmail, kAdminPassword);  // connect outside the measurement
        for (auto _ : state) {
            session.login(kAdminEmail, kAdminPassword);
        }
        state.SetItemsProcessed(state.iterations());
    } catch (const std::exception& error) {
        state.SkipWithError(error.what());
    }
}
BENCHMARK(BM_LoginLatency)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3);

// A login for an unknown email: the same lookup and one Argon2id evaluation (against a dummy
// hash, so that it takes as long), but nothing written. Each call uses a new email, so the
// per-account throttle never refuses it outright. The difference to BM_LoginLatency is the
// writes of a successful login (UserLoggedIn, the refresh family).
void BM_LoginRefusedLatency(benchmark::State& state) {
    Plane* plane = plane_or_skip(state);
    if (plane == nullptr) {
        return;
    }
    try {
        Session session(plane->port());
        session.login(kAdminEmail, kAdminPassword);  // connect outside the measurement
        pm::v1::LoginRequest request;
        request.set_password(kAdminPassword);
        pm::v1::LoginResponse response;
        std::int64_t n = 0;
        for (auto _ : state) {
            request.set_email(fmt::format("nobody-{}@example.com", n++));
            const auto status = run_call(session, "Login", request, response);
            if (status.code != rpc::Code::unauthenticated) {
                state.SkipWithError("a login for an unknown email was not refused");
                break;
            }
        }
        state.SetItemsProcessed(state.iterations());
    } catch (const std::exception& error) {
        state.SkipWithError(error.what());
    }
}
BENCHMARK(BM_LoginRefusedLatency)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3);

// A caller that takes calls from the batch's `left` until none are left.
rpc::Task<void> get_devices(rpc::Client& client, const rpc::Headers& headers,
                            const std::vector<std::string>& ids, int& left, std::size_t& next) {
    pm::v1::GetDeviceRequest request;
    pm::v1::GetDeviceResponse response;
    while (left > 0) {
        --left;
        request.set_id(ids[next++ % ids.size()]);
        co_await call(client, "GetDevice", request, response, headers);
    }
}

enum class As { admin, user };

// GetDevice with state.range(0) calls in flight on one connection. As the admin the policy
// allows it outright; as the user it checks that the device is assigned to them, and the read
// runs under row-level security either way.
void BM_GetDeviceAuthorized(benchmark::State& state, As as) {
    Plane* plane = plane_or_skip(state);
    if (plane == nullptr) {
        return;
    }
    const int callers = static_cast<int>(state.range(0));
    try {
        Session session(plane->port());
        const auto headers = bearer(as == As::admin ? session.login(kAdminEmail, kAdminPassword)
                                                    : session.login(kUserEmail, kUserPassword));
        const auto& ids = as == As::admin ? plane->all_devices() : plane->user_devices();
        std::size_t next = 0;
        int left = 1;
        drive(session.io, get_devices(session.client, headers, ids, left, next));  // warm up
        for (auto _ : state) {
            left = kGetBatch;
            std::vector<rpc::Task<void>> batch;
            for (int i = 0; i < callers; ++i) {
                batch.push_back(get_devices(session.client, headers, ids, left, next));
            }
            drive(session.io, std::move(batch));
        }
        state.SetItemsProcessed(state.iterations() * kGetBatch);
    } catch (const std::exception& error) {
        state.SkipWithError(error.what());
    }
}
BENCHMARK_CAPTURE(BM_GetDeviceAuthorized, Admin, As::admin)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime()
    ->MinTime(2);
BENCHMARK_CAPTURE(BM_GetDeviceAuthorized, User, As::user)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime()
    ->MinTime(2);

struct RegisterTally {
    int left = 0;
    std::size_t next = 0;
    std::int64_t done = 0;
    std::int64_t aborted = 0;  // gave up after the server's retries on a contended token
};

rpc::Task<void> register_devices(rpc::Client& client, const std::string& token,
                                 const std::vector<pm::ca::AgentRequest>& csrs,
                                 RegisterTally& tally) {
    pm::v1::RegisterRequest request;
    request.set_token(token);
    request.set_agent_version("2026.02.0");
    pm::v1::RegisterResponse response;
    while (tally.left > 0) {
        --tally.left;
        const std::size_t n = tally.next++;
        request.set_hostname(fmt::format("bench-{}.example.lan", n % csrs.size()));
        request.set_csr(csrs[n % csrs.size()].csr_pem);
        const auto status =
            co_await client.unary("pm.v1.ControlService.Register", request, response);
        if (status.ok()) {
            ++tally.done;
        } else if (status.code == rpc::Code::aborted) {
            ++tally.aborted;
        } else {
            throw std::runtime_error(
                fmt::format("Register failed: {} {}", rpc::code_name(status.code), status.message));
        }
    }
}

enum class Tokens { shared, per_caller };

// Register with state.range(0) calls in flight on one connection: the token is read, the CSR
// verified and signed, TokenUsed appended at the token stream's version read (a conflict
// re-reads and retries, up to 32 rounds, then the call fails with `aborted`), DeviceRegistered
// appended. items_per_second counts successful registrations.
void BM_Register(benchmark::State& state, Tokens tokens) {
    Plane* plane = plane_or_skip(state);
    if (plane == nullptr) {
        return;
    }
    const int callers = static_cast<int>(state.range(0));
    try {
        Session session(plane->port());
        RegisterTally tally;
        tally.left = 1;
        drive(session.io, register_devices(session.client, plane->shared_token(), plane->csrs(),
                                           tally));  // connect outside the measurement
        tally = RegisterTally{};
        for (auto _ : state) {
            tally.left = kRegisterBatch;
            std::vector<rpc::Task<void>> batch;
            for (int i = 0; i < callers; ++i) {
                const std::string& token =
                    tokens == Tokens::shared ? plane->shared_token()
                                             : plane->caller_tokens()[static_cast<std::size_t>(i)];
                batch.push_back(register_devices(session.client, token, plane->csrs(), tally));
            }
            drive(session.io, std::move(batch));
        }
        state.SetItemsProcessed(tally.done);
        // Calls refused with `aborted` over the whole run (not counted in items_per_second).
        state.counters["aborted"] = static_cast<double>(tally.aborted);
    } catch (const std::exception& error) {
        state.SkipWithError(error.what());
    }
}
BENCHMARK_CAPTURE(BM_Register, SharedToken, Tokens::shared)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime()
    ->MinTime(2);
BENCHMARK_CAPTURE(BM_Register, TokenPerCaller, Tokens::per_caller)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime()
    ->MinTime(2);

// ---- GetDeviceAssignments --------------------------------------------------------------------

// Gives the plane's first device 50 resolved actions, appended to the event store directly
// (the projectors build the rows): a definition of 3 sets of 10 actions assigned to a group the
// device is in, a set of 10 assigned to the device, and 10 single actions assigned to it; every
// action signed. Returns the device id.
std::string catalogue_for_assignments(Plane& plane) {
    namespace es = pm::eventstore;
    pm::db::ConnectionPool pool(plane.database_url(), 2);
    es::EventStore store(pool);
    const auto actor = pm::db::Actor::system("bench");
    auto append = [&](const std::string& id, auto payload) {
        std::vector<es::NewEvent> events;
        events.push_back(es::NewEvent::of(payload));
        store.append({std::string(decltype(payload)::kStream), id}, es::ExpectedVersion::any(),
                     std::move(events), actor);
    };
    int n = 0;
    auto action = [&] {
        const auto id = pm::new_ulid();
        const auto name = fmt::format("bench-package-{}", n++);
        append(id, es::ActionCreated{.name = name,
                                     .description = "a package",
                                     .action_type = 1,
                                     .desired_state = 0,
                                     .params = boost::json::object{{"name", name}},
                                     .timeout_seconds = 300});
        append(id, es::ActionSigned{"c2lnbmF0dXJlIGJ5dGVz", "Y2Fub25pY2FsIHBhcmFtcw=="});
        return id;
    };
    auto set = [&](int size) {
        const auto id = pm::new_ulid();
        append(id, es::ActionSetCreated{"bench-set-" + id, ""});
        for (int i = 0; i < size; ++i) {
            append(id, es::ActionSetMemberAdded{action(), i});
        }
        return id;
    };
    auto assign = [&](const std::string& type, const std::string& source,
                      const std::string& target_type, const std::string& target) {
        append(pm::new_ulid(), es::AssignmentCreated{type, source, target_type, target, 0, 0});
    };
    const std::string device = plane.all_devices().front();
    const auto definition = pm::new_ulid();
    append(definition, es::DefinitionCreated{"bench-definition", ""});
    for (int i = 0; i < 3; ++i) {
        append(definition, es::DefinitionMemberAdded{set(10), i});
    }
    const auto group = pm::new_ulid();
    append(group, es::DeviceGroupCreated{"bench-group", "", false, ""});
    append(group, es::DeviceGroupMemberAdded{device});
    assign("definition", definition, "device_group", group);
    assign("action_set", set(10), "device", device);
    for (int i = 0; i < 10; ++i) {
        assign("action", action(), "device", device);
    }
    return device;
}

// One GetDeviceAssignments per iteration, as the admin, sequentially: the policy check, the
// resolution (three statements), two reads of the sets and definitions, 50 ManagedActions
// built. Counters p50_us and p99_us are the latency percentiles over the run.
void BM_GetDeviceAssignmentsLatency(benchmark::State& state) {
    Plane* plane = plane_or_skip(state);
    if (plane == nullptr) {
        return;
    }
    try {
        static const std::string device = catalogue_for_assignments(*plane);
        Session session(plane->port());
        const auto headers = bearer(session.login(kAdminEmail, kAdminPassword));
        pm::v1::GetDeviceAssignmentsRequest request;
        request.set_device_id(device);
        pm::v1::GetDeviceAssignmentsResponse response;
        drive(session.io, call(session.client, "GetDeviceAssignments", request, response,
                               headers));  // connect outside the measurement
        if (response.actions_size() != 50) {
            state.SkipWithError(
                fmt::format("expected 50 resolved actions, got {}", response.actions_size())
                    .c_str());
            return;
        }
        std::vector<double> micros;
        for (auto _ : state) {
            const auto start = std::chrono::steady_clock::now();
            drive(session.io,
                  call(session.client, "GetDeviceAssignments", request, response, headers));
            micros.push_back(
                std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                    .count());
        }
        std::sort(micros.begin(), micros.end());
        auto percentile = [&](double p) {
            return micros[std::min(micros.size() - 1, static_cast<std::size_t>(
                                                          p * static_cast<double>(micros.size())))];
        };
        state.counters["p50_us"] = percentile(0.50);
        state.counters["p99_us"] = percentile(0.99);
        state.SetItemsProcessed(state.iterations());
    } catch (const std::exception& error) {
        state.SkipWithError(error.what());
    }
}
BENCHMARK(BM_GetDeviceAssignmentsLatency)->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(3);

}  // namespace
