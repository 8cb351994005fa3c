#pragma once
/// @file
/// @brief A fleet of simulated Power Manage agents in one process: registration through the
/// real ControlService.Register, persisted identities, and one mutual-TLS AgentService.Stream
/// per agent that behaves like a Feb-2026 agent (Hello, Welcome, heartbeats, results, output
/// chunks, signature checks, jittered reconnects). Used by the end-to-end tests, the main job
/// and the load benchmark.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pm/v1/actions.pb.h"

namespace pm::agentsim {

/// How the fleet registers and how its agents behave.
struct FleetOptions {
    /// Base URL of the control plane's ControlService ("https://host:port" or "http://...").
    std::string control_url;
    /// CA bundle to trust for an https control_url (PEM); empty: the system's roots.
    std::string control_ca_file;
    /// Gateway base URL every agent connects to; empty: the gateway_url Register returned.
    std::string gateway_url;
    /// Secret value of the registration token Register is called with.
    std::string registration_token;
    /// Number of agents.
    std::size_t count = 1;
    /// Where each agent's device id, key, certificate and CA are kept (one folder per agent),
    /// so that a restarted fleet reconnects the same devices. Empty: a temporary folder that
    /// is removed with the fleet.
    std::filesystem::path state_dir;
    /// Agent i is called `<hostname_prefix><i, five digits>`.
    std::string hostname_prefix = "sim-agent-";
    /// Reported in Register and Hello.
    std::string agent_version = "2026.02.12-sim";
    /// Register calls in flight at once (each worker has its own connection).
    std::size_t registration_concurrency = 8;
    /// Attempts per agent when Register fails with unavailable, resource_exhausted or
    /// deadline_exceeded (waiting with the reconnect backoff in between).
    int registration_attempts = 5;
    /// Threads running the agents' I/O; 0: one per core.
    std::size_t threads = 0;
    /// A dispatched action "runs" for a uniformly drawn time in [min, max].
    std::chrono::milliseconds result_delay_min{0};
    /// See result_delay_min.
    std::chrono::milliseconds result_delay_max{0};
    /// Probability (0..1) that an action's result is FAILED instead of SUCCESS.
    double failure_rate = 0.0;
    /// Leave ActionResult.completed_at unset, as Feb agents do for replayed results.
    bool omit_completed_at = false;
    /// Send two OutputChunks (stdout) before each result, as a running SHELL action does.
    bool send_output_chunks = false;
    /// Reconnect backoff: the first wait, doubled after every failed attempt up to
    /// backoff_max; each wait is drawn uniformly from [half, all] of the current step, and the
    /// step is reset once a connection outlived it (A.2.8).
    std::chrono::milliseconds backoff_min{1000};
    /// See backoff_min.
    std::chrono::milliseconds backoff_max{300000};
    /// Agents start their first connection at a uniformly drawn moment within this window
    /// (0: all at once), to spread the TLS handshakes of a large fleet.
    std::chrono::milliseconds start_spread{0};
    /// Longest wait for TCP + TLS when opening the stream.
    std::chrono::milliseconds connect_timeout{10000};
    /// Longest wait for Welcome after Hello before giving the stream up and reconnecting;
    /// 0: do not wait for it (Feb-6 servers never sent Welcome; heartbeats then start at once).
    std::chrono::milliseconds welcome_timeout{10000};
    /// Heartbeat period; 0: what Welcome says (30 s when it says nothing).
    std::chrono::milliseconds heartbeat_interval{0};
    /// Refuse a SHELL action whose signature does not verify against the stored CA, reporting
    /// FAILED "refusing to execute unsigned/tampered shell script" (A.2.7).
    bool verify_signatures = true;
};

/// Counters of the whole fleet; a consistent-enough snapshot, read while agents run.
struct FleetStats {
    std::size_t agents = 0;             ///< agents in the fleet (FleetOptions::count)
    std::size_t registered = 0;         ///< agents with an identity (loaded or just registered)
    std::size_t connected = 0;          ///< streams open now that got Welcome (or Hello accepted)
    std::uint64_t welcomes = 0;         ///< Welcome messages received
    std::uint64_t dispatches = 0;       ///< ActionDispatch messages received
    std::uint64_t results_sent = 0;     ///< ActionResult messages written
    std::uint64_t chunks_sent = 0;      ///< OutputChunk messages written
    std::uint64_t heartbeats_sent = 0;  ///< Heartbeat messages written
    std::uint64_t errors_received = 0;  ///< Error messages received
    std::uint64_t reconnects = 0;       ///< connection attempts after an agent's first
    std::uint64_t failed_attempts = 0;  ///< attempts that ended without a Welcome
};

/// What register_all() did.
struct RegistrationReport {
    std::size_t loaded = 0;      ///< identities found in state_dir (not registered again)
    std::size_t registered = 0;  ///< agents registered now
    std::size_t failed = 0;      ///< agents that could not be registered
    std::string first_error;     ///< why the first failure failed
};

/// What one SyncActions call of an agent returned, and what the agent's checks made of it.
struct SyncOutcome {
    /// Empty on success; otherwise "<connect code>: <message>" of the failed call.
    std::string error;
    /// The actions, in the order received (the agent replaces its local store with them).
    std::vector<pm::v1::Action> actions;
    /// Per action: its signature verified against the agent's CA, as a Feb-2026 agent checks
    /// it (`<Action.id>:<type>:<base64(params_canonical)>`; a missing signature fails).
    std::vector<bool> verified;
    /// The interval the gateway asked for (0: the agent's 30-minute default).
    std::int32_t sync_interval_minutes = 0;
};

/// Called for every ActionDispatch as it arrives (on an I/O thread; must be thread-safe).
using DispatchHook =
    std::function<void(const std::string& device_id, const std::string& execution_id,
                       std::chrono::steady_clock::time_point received)>;
/// Called for every Error message from the server (on an I/O thread; must be thread-safe).
using ErrorHook = std::function<void(const std::string& device_id, const std::string& code,
                                     const std::string& message)>;
/// Told (done, total) about every 200 ms while register_all() runs, on the caller's thread;
/// returning false abandons the registrations not yet started (e.g. on SIGINT).
using RegistrationProgress = std::function<bool(std::size_t done, std::size_t total)>;

/// N simulated agents on one io_context run by a few threads; each agent's work runs on its
/// own strand, with its own rpc::Client (its certificate, one TLS connection). Construct,
/// register_all(), start(), and stop() (or destroy) when done.
class AgentFleet {
public:
    /// Loads the identities already in state_dir and starts the I/O threads. Throws
    /// std::invalid_argument for unusable options, std::runtime_error for an unusable
    /// state_dir.
    explicit AgentFleet(FleetOptions options);
    /// stop()s.
    ~AgentFleet();
    AgentFleet(const AgentFleet&) = delete;
    AgentFleet& operator=(const AgentFleet&) = delete;

    /// Registers every agent that has no identity yet through ControlService.Register
    /// (registration_concurrency at a time) and persists what it gets; blocks until done.
    /// Call before start().
    RegistrationReport register_all(const RegistrationProgress& progress = {});
    /// Sets the dispatch hook; call before start().
    void on_dispatch(DispatchHook hook);
    /// Sets the error hook; call before start().
    void on_error(ErrorHook hook);
    /// Starts one session coroutine per registered agent; returns at once.
    void start();
    /// Cancels every stream and timer, waits for the agents to finish and joins the threads.
    /// Safe to call twice.
    void stop();
    /// The counters now.
    FleetStats stats() const;
    /// Agent `index` calls SyncActions now, on a connection of its own, and verifies what it
    /// gets; blocks until the answer. Call from outside the fleet's I/O threads, after
    /// register_all(). Throws std::out_of_range for an agent without an identity.
    SyncOutcome sync_actions(std::size_t index);
    /// The device id of agent `index` (empty if it has none).
    std::string device_id(std::size_t index) const;
    /// The folder the agents' identities are kept in.
    const std::filesystem::path& state_dir() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pm::agentsim
