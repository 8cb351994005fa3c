#include "agent_fleet.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <powermanage/common/ulid.hpp>

#include "agent_session.hpp"
#include "agent_sync.hpp"
#include "fleet_context.hpp"
#include "identity_store.hpp"
#include "registration.hpp"

namespace pm::agentsim {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

void check(const FleetOptions& o) {
    if (o.count == 0 || o.count > 1000000) {
        throw std::invalid_argument("count must be 1..1000000");
    }
    if (o.failure_rate < 0 || o.failure_rate > 1) {
        throw std::invalid_argument("failure_rate must be within 0..1");
    }
    if (o.result_delay_min.count() < 0 || o.result_delay_max < o.result_delay_min) {
        throw std::invalid_argument("result delay: need 0 <= min <= max");
    }
    if (o.backoff_min.count() <= 0 || o.backoff_max < o.backoff_min) {
        throw std::invalid_argument("backoff: need 0 < min <= max");
    }
    if (o.registration_concurrency == 0) {
        throw std::invalid_argument("registration_concurrency must be at least 1");
    }
}

}  // namespace

struct AgentFleet::Impl {
    explicit Impl(FleetOptions options) {
        check(options);
        if (options.state_dir.empty()) {
            temporary_dir = fs::temp_directory_path() / ("pm-agent-sim-" + new_ulid());
            options.state_dir = temporary_dir;
        }
        context.options = std::move(options);
        store.emplace(context.options.state_dir);
        const auto& o = context.options;
        for (std::size_t i = 0; i < o.count; ++i) {
            auto& agent = agents.emplace_back(io, static_cast<std::uint32_t>(i), o);
            if (const auto identity = store->load(i)) {
                adopt(agent, *identity);
            }
        }
        const auto threads = o.threads > 0
                                 ? o.threads
                                 : std::max<std::size_t>(1, std::thread::hardware_concurrency());
        alive = threads;
        for (std::size_t t = 0; t < threads; ++t) {
            workers.emplace_back([this] { run_io(); });
        }
    }

    ~Impl() {
        stop();
        if (!temporary_dir.empty()) {
            std::error_code ignored;
            fs::remove_all(temporary_dir, ignored);
        }
    }

    void run_io() {
        for (;;) {
            try {
                io.run();
                break;
            } catch (const std::exception&) {  // a task's failure must not end the thread
            }
        }
        std::lock_guard lock(mutex);
        --alive;
        changed.notify_all();
    }

    // Gives `agent` its identity (from the store or from Register).
    void adopt(Agent& agent, const StoredIdentity& identity) {
        agent.device_id = identity.device_id;
        agent.hostname = identity.hostname;
        agent.gateway_url = context.options.gateway_url.empty() ? identity.gateway_url
                                                                : context.options.gateway_url;
        agent.verifier = verifier_for(read_text_file(store->ca_file(agent.index)));
        agent.has_identity = true;
        ++context.counters.registered;
    }

    // One verifier per distinct CA (normally one for the whole fleet).
    std::shared_ptr<const ActionVerifier> verifier_for(const std::string& ca_pem) {
        std::lock_guard lock(mutex);
        auto& slot = verifiers[ca_pem];
        if (!slot) {
            slot = std::make_shared<const ActionVerifier>(ca_pem);
        }
        return slot;
    }

    RegistrationReport register_all(const RegistrationProgress& progress) {
        RegistrationReport report;
        std::vector<std::size_t> missing;
        for (auto& agent : agents) {
            if (agent.has_identity) {
                ++report.loaded;
            } else {
                missing.push_back(agent.index);
            }
        }
        if (missing.empty()) {
            return report;
        }
        RegistrationJob job;
        job.missing = std::move(missing);
        const auto workers_wanted =
            std::min(context.options.registration_concurrency, job.missing.size());
        job.active = workers_wanted;
        for (std::size_t w = 0; w < workers_wanted; ++w) {
            auto strand = asio::make_strand(io);
            asio::co_spawn(strand, registration_worker(strand, job),
                           [this, &job](const std::exception_ptr& failure) {
                               std::lock_guard lock(mutex);
                               if (failure && job.first_error.empty()) {
                                   try {
                                       std::rethrow_exception(failure);
                                   } catch (const std::exception& e) {
                                       job.first_error = e.what();
                                   }
                               }
                               --job.active;
                               changed.notify_all();
                           });
        }
        std::unique_lock lock(mutex);
        while (job.active > 0) {
            changed.wait_for(lock, milliseconds(200));
            if (progress) {
                const auto done = job.done.load();
                lock.unlock();
                const bool go_on = progress(done, job.missing.size());
                lock.lock();
                if (!go_on) {
                    job.abandoned = true;
                }
            }
        }
        report.registered = job.registered;
        report.failed = job.failed;
        report.first_error = job.first_error;
        if (progress) {
            lock.unlock();
            progress(job.done.load(), job.missing.size());
        }
        return report;
    }

    // Shared by the registration workers; fields other than the atomics under `mutex`.
    struct RegistrationJob {
        std::vector<std::size_t> missing;
        std::atomic<std::size_t> next{0};
        std::atomic<std::size_t> done{0};
        std::atomic<bool> abandoned{false};
        std::size_t active = 0;
        std::size_t registered = 0;
        std::size_t failed = 0;
        std::string first_error;
    };

    asio::awaitable<void> registration_worker(AgentStrand strand, RegistrationJob& job) {
        const auto& o = context.options;
        Registrar registrar(strand, o);
        for (;;) {
            const auto i = job.next++;
            if (i >= job.missing.size() || job.abandoned) {
                break;
            }
            auto& agent = agents[job.missing[i]];
            const auto hostname = fmt::format("{}{:05}", o.hostname_prefix, agent.index);
            auto outcome = co_await registrar.register_agent(hostname);
            bool saved = false;
            std::string error = outcome.error;
            if (error.empty()) {
                try {
                    store->save(agent.index, outcome.identity, outcome.files);
                    adopt(agent, outcome.identity);
                    saved = true;
                } catch (const std::exception& e) {
                    error = e.what();
                }
            }
            {
                std::lock_guard lock(mutex);
                if (saved) {
                    ++job.registered;
                } else {
                    ++job.failed;
                    if (job.first_error.empty()) {
                        job.first_error = hostname + ": " + error;
                    }
                }
            }
            ++job.done;
        }
    }

    void start() {
        std::lock_guard lock(mutex);
        if (started || stopped) {
            return;
        }
        started = true;
        for (auto& agent : agents) {
            if (!agent.has_identity) {
                continue;
            }
            ++running;
            asio::co_spawn(agent.strand, run_agent(context, *store, agent),
                           [this](const std::exception_ptr&) {
                               std::lock_guard guard(mutex);
                               --running;
                               changed.notify_all();
                           });
        }
    }

    void stop() {
        {
            std::lock_guard lock(mutex);
            if (stopped) {
                return;
            }
            stopped = true;
        }
        for (auto& agent : agents) {
            asio::post(agent.strand, [&agent] { stop_agent(agent); });
        }
        std::unique_lock lock(mutex);
        const auto grace = context.options.connect_timeout + std::chrono::seconds(5);
        changed.wait_for(lock, grace, [this] { return running == 0; });
        work.reset();
        // Connections closing after their clients went need a moment to finish.
        if (!changed.wait_for(lock, std::chrono::seconds(5), [this] { return alive == 0; })) {
            io.stop();
        }
        lock.unlock();
        for (auto& worker : workers) {
            if (worker.joinable()) {
                worker.join();
            }
        }
    }

    FleetStats stats() const {
        const auto& c = context.counters;
        FleetStats s;
        s.agents = agents.size();
        s.registered = c.registered.load();
        s.connected = c.connected.load();
        s.welcomes = c.welcomes.load();
        s.dispatches = c.dispatches.load();
        s.results_sent = c.results_sent.load();
        s.chunks_sent = c.chunks_sent.load();
        s.heartbeats_sent = c.heartbeats_sent.load();
        s.errors_received = c.errors_received.load();
        s.reconnects = c.reconnects.load();
        s.failed_attempts = c.failed_attempts.load();
        return s;
    }

    FleetContext context;
    fs::path temporary_dir;
    std::optional<IdentityStore> store;
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, std::shared_ptr<const ActionVerifier>> verifiers;
    // Declared before the agents: their strands and timers must go before the io_context.
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::deque<Agent> agents;  // a deque: agents never move
    std::vector<std::thread> workers;
    std::size_t alive = 0;    // threads still in io.run()
    std::size_t running = 0;  // agent coroutines not yet finished
    bool started = false;
    bool stopped = false;
};

SyncOutcome AgentFleet::sync_actions(std::size_t index) {
    if (index >= impl_->agents.size() || !impl_->agents[index].has_identity) {
        throw std::out_of_range("agent " + std::to_string(index) + " has no identity");
    }
    const auto& agent = impl_->agents[index];
    return asio::co_spawn(agent.strand, sync_agent(impl_->context, *impl_->store, agent),
                          asio::use_future)
        .get();
}

AgentFleet::AgentFleet(FleetOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

AgentFleet::~AgentFleet() = default;

RegistrationReport AgentFleet::register_all(const RegistrationProgress& progress) {
    return impl_->register_all(progress);
}

void AgentFleet::on_dispatch(DispatchHook hook) {
    impl_->context.on_dispatch = std::move(hook);
}

void AgentFleet::on_error(ErrorHook hook) {
    impl_->context.on_error = std::move(hook);
}

void AgentFleet::start() {
    impl_->start();
}

void AgentFleet::stop() {
    impl_->stop();
}

FleetStats AgentFleet::stats() const {
    return impl_->stats();
}

std::string AgentFleet::device_id(std::size_t index) const {
    return index < impl_->agents.size() ? impl_->agents[index].device_id : std::string();
}

const fs::path& AgentFleet::state_dir() const {
    return impl_->context.options.state_dir;
}

}  // namespace pm::agentsim
