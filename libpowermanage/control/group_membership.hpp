#pragma once
/// @file
/// @brief Dynamic device groups keep their members right by themselves: the SQL evaluation of
/// one group (used by the group RPCs and the maintainer), and the maintainer that follows the
/// event store and appends DeviceGroupMembershipEvaluated when labels, registrations or
/// queries change.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <powermanage/common/log.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/query/query.hpp>

namespace pm::control {

/// How a dynamic group's membership must change: devices to add and to remove, sorted.
struct MembershipChange {
    std::vector<std::string> added;    ///< live devices the query selects that are not members
    std::vector<std::string> removed;  ///< members the query no longer selects (or gone)
    /// Whether nothing changes.
    bool empty() const { return added.empty() && removed.empty(); }
};

/// The difference between what `query` selects among the live devices and the current members
/// of `group_id`, computed in SQL in `tx` (as `tx` sees the devices: run it as system or
/// admin, or a scoped caller would drop the devices it cannot see).
MembershipChange membership_change_in_sql(db::Transaction& tx, const std::string& group_id,
                                          const query::Expr& query);

/// Every live device `query` selects, sorted, in SQL.
std::vector<std::string> matching_devices(db::Transaction& tx, const query::Expr& query);

/// The number of live devices `query` selects, in SQL.
std::int64_t count_matching_devices(db::Transaction& tx, const query::Expr& query);

/// The DeviceGroupMembershipEvaluated event of `change` (which must not be empty).
eventstore::NewEvent membership_event(const MembershipChange& change);

/// How the maintainer behaves.
struct GroupMembershipOptions {
    /// How long events are gathered after the first one before a batch is evaluated: a burst
    /// of label changes becomes one append per changed group instead of one per change.
    std::chrono::milliseconds coalesce{20};
    /// How often a replica that does not hold the lock tries again to take it over.
    std::chrono::milliseconds lock_retry{2000};
    /// First wait after an error; doubles up to max_backoff.
    std::chrono::milliseconds backoff{500};
    /// Longest wait after repeated errors.
    std::chrono::milliseconds max_backoff{30000};
};

/// Keeps the members of every dynamic group right without any RPC: follows the event store
/// from "now" (after a full reconcile of every dynamic group in SQL) and, per batch of
/// events, evaluates the devices whose labels changed or that registered against the dynamic
/// groups' queries held in memory, and the groups whose query changed in SQL; appends one
/// DeviceGroupMembershipEvaluated per changed group per batch.
///
/// Only one replica acts at a time: the one holding the PostgreSQL advisory lock
/// kMembershipLock on its own connection; the others retry every lock_retry and take over
/// when that connection goes away. Errors (a database outage included) are logged and
/// retried with backoff: the maintainer starts again from the lock and the full reconcile,
/// which is always correct because evaluation is idempotent.
class GroupMembership {
public:
    /// The advisory lock key: "pm_group" in ASCII.
    static constexpr std::int64_t kMembershipLock = 0x706d5f67726f7570;

    /// Uses `pool` and `store` for reads and appends, and opens its own connection to
    /// `database_url` for the lock and the subscription.
    GroupMembership(db::ConnectionPool& pool, eventstore::EventStore& store,
                    std::string database_url, Logger& logger, GroupMembershipOptions options = {});
    /// Stops.
    ~GroupMembership();
    GroupMembership(const GroupMembership&) = delete;
    GroupMembership& operator=(const GroupMembership&) = delete;

    /// Starts the maintainer's thread.
    void start();
    /// Stops and waits for the thread; releases the lock. Safe to call twice.
    void stop();

    /// Batches evaluated so far (for tests and benchmarks).
    std::uint64_t batches() const;

private:
    void run();
    bool hold_lock();
    void serve();
    void reconcile_all();
    void evaluate_batch(std::set<std::string> devices, std::set<std::string> groups);
    void on_event(const eventstore::RecordedEvent& event);
    bool wait_while_running(std::chrono::milliseconds how_long);

    db::ConnectionPool& pool_;
    eventstore::EventStore& store_;
    std::string url_;
    Logger& logger_;
    GroupMembershipOptions options_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::set<std::string> pending_devices_;  ///< devices whose labels or existence changed
    std::set<std::string> pending_groups_;   ///< groups whose kind or query changed
    std::uint64_t batches_ = 0;

    std::unique_ptr<db::Connection> lock_connection_;
    /// A dynamic group's query as stored and as parsed.
    struct HeldQuery {
        std::string text;  ///< as in device_groups_projection.dynamic_query
        query::Expr expr;  ///< parse(text)
    };
    /// The dynamic groups' queries, by group id (only the maintainer's thread).
    std::map<std::string, HeldQuery> dynamic_;
    std::thread thread_;
};

}  // namespace pm::control
