#pragma once

/// @file
/// @brief The gateway's table of live agent streams: one stream per device, last one wins,
/// and every send bounded in queue length and time so that one stalled agent closes one
/// stream and never wedges the others or grows memory.
///
/// The stream handler of AgentService.Stream creates a QueuedSession, attach()es it under the
/// device id from the client certificate, runs a writer coroutine that loops on
/// QueuedSession::next() and writes to the network with its own send timeout, and detach()es
/// the session when the stream ends. Anyone may route() a message to a device meanwhile, from
/// any thread.
///
///     auto session = gateway::QueuedSession::create();
///     manager.attach(device_id, session);          // closes an older stream of the device
///     while (auto item = co_await session->next()) {
///         if (auto* message = std::get_if<gateway::QueuedSession::Message>(&*item)) { ... }
///         else { /* send Error{code, message}, then end the stream */ }
///     }
///     manager.detach(device_id, *session);         // a no-op if a newer stream took over

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace pm::v1 {
class ServerMessage;
}  // namespace pm::v1

namespace pm::gateway {

/// Error code sent to an agent whose stream was taken over by a newer one of the same device.
inline constexpr std::string_view kReplacedCode = "replaced";
/// Error code sent to an agent that did not read its stream fast enough.
inline constexpr std::string_view kStalledCode = "stalled";
/// Error code sent to an agent whose stream the gateway closes because it cannot record what
/// the agent reports (its database is unreachable); the agent reconnects later.
inline constexpr std::string_view kUnavailableCode = "unavailable";

/// What AgentSession::offer() did with a message.
enum class OfferResult {
    delivered,  ///< handed to the stream's writer, which was idle waiting for one
    queued,     ///< the writer is busy; the message waits in the session's bounded queue
    full,       ///< refused: the queue is full or the writer has been stuck too long (stalled)
    closed,     ///< refused: the session is closing or closed
};

/// The manager's handle on one live agent stream. Implementations must be safe to call from
/// any thread and must not block: route() calls offer() on the caller's thread. (The manager
/// holds none of its locks while it calls them.)
class AgentSession {
public:
    virtual ~AgentSession() = default;
    AgentSession(const AgentSession&) = delete;
    AgentSession& operator=(const AgentSession&) = delete;

    /// Takes a message for the agent without blocking. `full` tells the caller the agent is
    /// stalled; the manager then closes the session.
    virtual OfferResult offer(std::shared_ptr<const v1::ServerMessage> message) = 0;

    /// Asks the stream to send the agent an Error{code, message} and end. Idempotent: only the
    /// first call's code and message are sent.
    virtual void close(std::string code, std::string message) = 0;

    /// Unique per session within the process, never reused; for logs and identity checks.
    std::uint64_t id() const noexcept { return id_; }

protected:
    /// Draws the next id from a process-wide counter.
    AgentSession();

private:
    std::uint64_t id_;
};

/// How much a QueuedSession holds back for a busy writer.
struct QueuedSessionOptions {
    /// Messages that may wait while the writer is busy; one more is refused as `full`. The
    /// queue's storage grows on demand and is released when it drains, so an idle session
    /// costs no queue memory.
    std::uint32_t capacity = 64;
    /// A writer that has not come back for the next message this long while messages wait is
    /// stalled: offer() refuses with `full`. Zero turns the check off, leaving only the
    /// capacity bound (and the writer's own send timeout).
    std::chrono::steady_clock::duration stall_after = std::chrono::seconds(60);
};

/// The AgentSession of the AgentService.Stream handler: a bounded queue that a writer
/// coroutine drains with next().
///
/// Thread-safety: offer(), close() and the observers may be called from any thread. next() is
/// for one coroutine at a time, whose executor must run one handler at a time (a strand, as
/// every connection of rpc::Server has, or an io_context run by one thread): wake-ups from
/// other threads are posted to it and cancel the coroutine's timer there. The writer must
/// keep the session alive (hold its shared_ptr) while it awaits next().
class QueuedSession final : public AgentSession,
                            public std::enable_shared_from_this<QueuedSession> {
    struct Passkey {
        explicit Passkey() = default;  // explicit: `{}` cannot stand in for it outside
    };

public:
    /// A message for the agent.
    using Message = std::shared_ptr<const v1::ServerMessage>;
    /// The close request: send the agent Error{code, message} and end the stream.
    struct Close {
        std::string code;     ///< Error.code
        std::string message;  ///< Error.message
    };
    /// What next() hands the writer.
    using Item = std::variant<Message, Close>;
    /// See QueuedSessionOptions.
    using Options = QueuedSessionOptions;

    /// A new session; it must be owned by a shared_ptr because wake-ups hold a weak one.
    static std::shared_ptr<QueuedSession> create(Options options = {});
    /// Use create().
    QueuedSession(Passkey, Options options);
    ~QueuedSession() override;

    /// Queues the message, waking the writer if it sleeps in next(); see AgentSession.
    OfferResult offer(Message message) override;
    /// Records the close request (the first one wins) and wakes the writer.
    void close(std::string code, std::string message) override;

    /// Waits for the next item: a message, or the close request once close() was called
    /// (messages still queued then are dropped; the agent resyncs on its next stream). After
    /// the close request it returns nullopt at once. Per-operation cancellation of the
    /// awaiting coroutine (e.g. `next() || timeout`) throws boost::system::system_error
    /// (operation_aborted), leaving queued messages in place.
    boost::asio::awaitable<std::optional<Item>> next();

    /// Messages waiting now.
    std::size_t queued() const;
    /// True while the writer waits in next() with nothing to hand it (so offer() would say
    /// `delivered`).
    bool idle() const;
    /// True once close() was called.
    bool closing() const;

private:
    struct Waiter;
    std::optional<Item> take_locked();
    void wake_locked();
    void on_wake();
    void release_storage_locked();

    mutable std::mutex mutex_;
    // A ring buffer that grows by doubling up to capacity_ (a deque would cost ~600 bytes even
    // when empty, times 10,000 agents).
    std::unique_ptr<Message[]> slots_;
    std::uint32_t allocated_ = 0;
    std::uint32_t head_ = 0;
    std::uint32_t count_ = 0;
    std::uint32_t capacity_;
    std::chrono::steady_clock::duration stall_after_;
    // When the writer last took an item, i.e. became busy; the stall clock runs from here.
    std::chrono::steady_clock::time_point busy_since_;
    Waiter* waiter_ = nullptr;      // the writer's timer while it waits in next()
    std::unique_ptr<Close> close_;  // set by the first close(); null keeps idle sessions small
    bool close_taken_ = false;      // next() has handed out the close request
    bool wake_posted_ = false;      // a wake-up is on its way to the writer's executor
};

/// Where route() left a message.
enum class RouteResult {
    delivered,  ///< handed to the idle writer of the device's stream
    queued,     ///< waiting in the bounded queue of the device's stream
    offline,    ///< no stream, or the stream was stalled (and has been closed)
};

/// "delivered", "queued" or "offline"; for logs and metrics labels.
std::string_view to_string(RouteResult result);

/// How a ConnectionManager is laid out.
struct ConnectionManagerOptions {
    /// Independent locks (and maps) the devices are spread over; 0 is taken as 1.
    std::size_t shards = 64;
};

/// Counters since construction; `connected` is a snapshot. At rest,
/// connected == attached - replaced - detached - stalled - evicted.
struct ConnectionStats {
    std::size_t connected = 0;           ///< sessions in the table
    std::uint64_t attached = 0;          ///< attach() calls that installed a session
    std::uint64_t replaced = 0;          ///< sessions closed because their device reconnected
    std::uint64_t detached = 0;          ///< detach() calls that removed the current session
    std::uint64_t stalled = 0;           ///< sessions closed because offer() said `full`
    std::uint64_t evicted = 0;           ///< removed as found closing by route(), or close_all()
    std::uint64_t routed_delivered = 0;  ///< route() results
    std::uint64_t routed_queued = 0;     ///< route() results
    std::uint64_t routed_offline = 0;    ///< route() results
};

/// Which agent stream is live for each device. Safe to use from any thread; the devices are
/// spread over shards, each a mutex and a hash map, so concurrent callers rarely meet.
/// Sessions' offer() and close() are called outside the shard locks.
class ConnectionManager {
public:
    /// See ConnectionManagerOptions.
    using Options = ConnectionManagerOptions;

    /// An empty table.
    explicit ConnectionManager(Options options = {});
    ~ConnectionManager();
    ConnectionManager(const ConnectionManager&) = delete;
    ConnectionManager& operator=(const ConnectionManager&) = delete;

    /// Makes `session` the device's stream. An older stream of the device is closed with
    /// kReplacedCode ("replaced by a newer connection") and returned; null if there was none.
    /// Throws std::invalid_argument for a null session.
    std::shared_ptr<AgentSession> attach(std::string device_id,
                                         std::shared_ptr<AgentSession> session);

    /// Removes the device's stream if it is `session` itself (by identity, not by device id,
    /// so a replaced stream's cleanup can never remove its successor). True if removed.
    bool detach(const std::string& device_id, const AgentSession& session);

    /// Offers a message to the device's stream. A stalled stream (offer() said `full`) is
    /// removed and closed with kStalledCode, and the result is `offline`.
    RouteResult route(const std::string& device_id,
                      std::shared_ptr<const v1::ServerMessage> message);

    /// True if the device has a stream now.
    bool connected(const std::string& device_id) const;
    /// The device's stream now, or null.
    std::shared_ptr<AgentSession> find(const std::string& device_id) const;
    /// Streams in the table now.
    std::size_t size() const;
    /// The devices connected now (a snapshot, in no particular order).
    std::vector<std::string> devices() const;
    /// Counters; see ConnectionStats.
    ConnectionStats stats() const;

    /// Removes every stream and closes it with Error{code, message}; for shutdown. Streams
    /// attached afterwards are kept.
    void close_all(std::string code, std::string message);

private:
    struct Shard;
    Shard& shard_for(const std::string& device_id) const;
    // Removes the device's entry if it is still `session`; true if it did.
    static bool remove_if_current(Shard& shard, const std::string& device_id,
                                  const AgentSession& session);

    std::size_t shard_count_;
    std::unique_ptr<Shard[]> shards_;
};

}  // namespace pm::gateway
