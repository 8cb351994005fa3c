// Dynamic group membership: the SQL evaluation of one group and the maintainer that keeps every
// dynamic group right as labels, registrations and queries change.
#include "control/group_membership.hpp"

#include <algorithm>
#include <limits>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/eventstore/events.hpp>

namespace pm::control {

namespace es = pm::eventstore;

namespace {

// A text[] literal of ids (ULIDs: no quoting needed).
std::string id_array(const std::set<std::string>& ids) {
    return "{" + fmt::format("{}", fmt::join(ids, ",")) + "}";
}

std::vector<db::Param> with_params(std::vector<db::Param> head,
                                   const std::vector<std::string>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

const db::Actor& maintainer_actor() {
    static const db::Actor actor = db::Actor::system("group-membership");
    return actor;
}

}  // namespace

MembershipChange membership_change_in_sql(db::Transaction& tx, const std::string& group_id,
                                          const query::Expr& query) {
    const auto predicate = query::compile_sql(query, "d.labels", 2, "d.labels_lower");
    // Both directions in one statement over one snapshot of devices and members.
    auto rows = tx.exec(
        "WITH want AS (SELECT d.id FROM devices_projection d WHERE NOT d.is_deleted AND (" +
            predicate.sql +
            ")), have AS (SELECT device_id AS id FROM device_group_members_projection "
            "WHERE group_id = $1) "
            "SELECT 'a', id FROM (SELECT id FROM want EXCEPT SELECT id FROM have) x "
            "UNION ALL SELECT 'r', id FROM (SELECT id FROM have EXCEPT SELECT id FROM want) y "
            "ORDER BY 1, 2",
        with_params({group_id}, predicate.params));
    MembershipChange change;
    for (int i = 0; i < rows.rows(); ++i) {
        (rows.text(i, 0) == "a" ? change.added : change.removed).emplace_back(rows.text(i, 1));
    }
    return change;
}

std::vector<std::string> matching_devices(db::Transaction& tx, const query::Expr& query) {
    const auto predicate = query::compile_sql(query, "d.labels", 1, "d.labels_lower");
    auto rows = tx.exec("SELECT d.id FROM devices_projection d WHERE NOT d.is_deleted AND (" +
                            predicate.sql + ") ORDER BY d.id",
                        with_params({}, predicate.params));
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) {
        out.emplace_back(rows.text(i, 0));
    }
    return out;
}

std::int64_t count_matching_devices(db::Transaction& tx, const query::Expr& query) {
    const auto predicate = query::compile_sql(query, "d.labels", 1, "d.labels_lower");
    auto rows = tx.exec("SELECT count(*) FROM devices_projection d WHERE NOT d.is_deleted AND (" +
                            predicate.sql + ")",
                        with_params({}, predicate.params));
    return rows.int64(0, 0);
}

es::NewEvent membership_event(const MembershipChange& change) {
    return es::NewEvent::of(es::DeviceGroupMembershipEvaluated{change.added, change.removed});
}

GroupMembership::GroupMembership(db::ConnectionPool& pool, es::EventStore& store,
                                 std::string database_url, Logger& logger,
                                 GroupMembershipOptions options)
    : pool_(pool),
      store_(store),
      url_(std::move(database_url)),
      logger_(logger),
      options_(options) {}

GroupMembership::~GroupMembership() {
    stop();
}

void GroupMembership::start() {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable() && !stopping_) {
        thread_ = std::thread([this] { run(); });
    }
}

void GroupMembership::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

std::uint64_t GroupMembership::batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
}

bool GroupMembership::wait_while_running(std::chrono::milliseconds how_long) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, how_long, [this] { return stopping_; });
    return !stopping_;
}

void GroupMembership::run() {
    auto backoff = options_.backoff;
    bool waiting_logged = false;
    while (wait_while_running(std::chrono::milliseconds(0))) {
        try {
            if (!hold_lock()) {
                if (!waiting_logged) {
                    logger_.info(
                        "group membership: another replica maintains the dynamic groups; "
                        "this one takes over if it stops");
                    waiting_logged = true;
                }
                wait_while_running(options_.lock_retry);
                continue;
            }
            waiting_logged = false;
            serve();
            backoff = options_.backoff;
        } catch (const std::exception& error) {
            // Closing the connection releases the lock, so another replica can take over while
            // this one backs off.
            lock_connection_.reset();
            logger_.warn("group membership: failed; starting again after a pause",
                         {{"error", error.what()}, {"retry_in_ms", backoff.count()}});
            wait_while_running(backoff);
            backoff = std::min(backoff * 2, options_.max_backoff);
        }
    }
    lock_connection_.reset();
}

bool GroupMembership::hold_lock() {
    if (!lock_connection_ || !lock_connection_->is_alive()) {
        lock_connection_ = std::make_unique<db::Connection>(url_);
    }
    auto rows = lock_connection_->exec("SELECT pg_try_advisory_lock($1)",
                                       {std::to_string(kMembershipLock)});
    return rows.boolean(0, 0);
}

void GroupMembership::serve() {
    // Follow from "now": every event of a transaction older than all running ones is already in
    // the projections that the full reconcile reads below; younger ones are delivered (an event
    // seen both ways is evaluated twice, which changes nothing).
    auto head = lock_connection_->exec(
        "SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)::text");
    es::Position from;
    from.transaction_id = std::stoull(std::string(head.text(0, 0)));
    from.position = std::numeric_limits<std::int64_t>::max();
    {
        std::lock_guard lock(mutex_);
        pending_devices_.clear();
        pending_groups_.clear();
    }
    auto subscription =
        store_.subscribe(from, [this](const es::RecordedEvent& event) { on_event(event); });
    reconcile_all();
    logger_.info("group membership: maintaining the dynamic groups",
                 {{"groups", static_cast<std::int64_t>(dynamic_.size())}});

    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, std::chrono::seconds(1), [this] {
            return stopping_ || !pending_devices_.empty() || !pending_groups_.empty();
        });
        if (stopping_) {
            return;
        }
        if (auto error = subscription->error(); !error.empty()) {
            throw std::runtime_error("the event subscription stopped: " + error);
        }
        if (pending_devices_.empty() && pending_groups_.empty()) {
            lock.unlock();
            if (!lock_connection_->is_alive()) {
                throw std::runtime_error("lost the connection that holds the lock");
            }
            lock.lock();
            continue;
        }
        // Let the rest of a burst arrive, so that it is evaluated as one batch.
        wake_.wait_for(lock, options_.coalesce, [this] { return stopping_; });
        auto devices = std::exchange(pending_devices_, {});
        auto groups = std::exchange(pending_groups_, {});
        lock.unlock();
        try {
            evaluate_batch(devices, groups);
        } catch (const es::VersionConflict& conflict) {
            // A group changed while this batch was evaluated (an RPC evaluated it, or its
            // query changed): evaluate the same devices and groups again against what is now.
            logger_.debug("group membership: a group changed during evaluation; again",
                          {{"stream", conflict.stream().to_string()}});
            lock.lock();
            pending_devices_.merge(devices);
            pending_groups_.merge(groups);
            continue;
        }
        // Any other error leaves serve(): run() backs off and starts again with a full
        // reconcile, which covers these devices and groups too.
        lock.lock();
        ++batches_;
    }
}

void GroupMembership::on_event(const es::RecordedEvent& event) {
    const auto& type = event.type;
    std::lock_guard lock(mutex_);
    if (type == es::DeviceLabelSet::kType || type == es::DeviceLabelRemoved::kType ||
        type == es::DeviceRegistered::kType || type == es::DeviceDeleted::kType) {
        // A deleted device has already left every group (the device projector does it); it is
        // checked anyway, in case an evaluation that saw it live raced with the delete.
        pending_devices_.insert(event.stream.id);
    } else if (type == es::DeviceGroupCreated::kType ||
               type == es::DeviceGroupQueryUpdated::kType ||
               type == es::DeviceGroupDeleted::kType) {
        pending_groups_.insert(event.stream.id);
    } else {
        return;
    }
    wake_.notify_all();
}

void GroupMembership::reconcile_all() {
    auto ids = db::with_actor(pool_, maintainer_actor(), [](db::Transaction& tx) {
        std::set<std::string> out;
        auto rows =
            tx.exec("SELECT id FROM device_groups_projection WHERE is_dynamic AND NOT is_deleted");
        for (int i = 0; i < rows.rows(); ++i) {
            out.emplace(rows.text(i, 0));
        }
        return out;
    });
    dynamic_.clear();
    evaluate_batch({}, std::move(ids));
}

void GroupMembership::evaluate_batch(std::set<std::string> devices, std::set<std::string> groups) {
    std::int64_t last_position = 0;
    db::with_actor(pool_, maintainer_actor(), [&](db::Transaction& tx) {
        es::StreamId stream{std::string(es::kDeviceGroupStream), {}};
        std::vector<es::StreamAppend> appends;
        std::map<std::string, MembershipChange> in_memory;

        // The groups' current kind, query and version, read once for every group this batch
        // may append to.
        std::set<std::string> involved = groups;
        if (!devices.empty()) {
            for (const auto& [id, expr] : dynamic_) {
                involved.insert(id);
            }
        }
        struct Current {
            std::string query;
            std::int32_t version = 0;
        };
        std::map<std::string, Current> current;
        if (!involved.empty()) {
            auto rows = tx.exec(
                "SELECT g.id, g.dynamic_query, s.version FROM device_groups_projection g "
                "JOIN streams s ON s.stream_type = $2 AND s.stream_id = g.id "
                "WHERE g.id = ANY ($1::text[]) AND g.is_dynamic AND NOT g.is_deleted",
                {id_array(involved), std::string(es::kDeviceGroupStream)});
            for (int i = 0; i < rows.rows(); ++i) {
                current[std::string(rows.text(i, 0))] = {
                    std::string(rows.text(i, 1)), static_cast<std::int32_t>(rows.int64(i, 2))};
            }
        }
        // A group whose query in the projection is not the one held in memory (its change is
        // not delivered yet) is evaluated in SQL instead, with the query it has now.
        for (auto it = dynamic_.begin(); it != dynamic_.end();) {
            auto now = current.find(it->first);
            if (now == current.end()) {
                if (involved.contains(it->first)) {
                    it = dynamic_.erase(it);  // deleted or made static
                    continue;
                }
            } else if (it->second.text != now->second.query) {
                groups.insert(it->first);
            }
            ++it;
        }
        for (const auto& id : groups) {
            auto now = current.find(id);
            if (now == current.end()) {
                dynamic_.erase(id);
                continue;
            }
            auto parsed = query::parse(now->second.query);
            if (!parsed.ok()) {
                // Stored before queries were checked: its members are left as they are rather
                // than guessed at, until an admin gives it a valid query.
                logger_.warn(
                    "group membership: a dynamic group's stored query does not parse; "
                    "fix it with UpdateDeviceGroupQuery",
                    {{"group_id", id}, {"error", parsed.error().message}});
                dynamic_.erase(id);
                continue;
            }
            dynamic_[id] = {now->second.query, parsed.expr()};
            auto change = membership_change_in_sql(tx, id, parsed.expr());
            if (!change.empty()) {
                stream.id = id;
                appends.push_back({stream,
                                   es::ExpectedVersion::exactly(now->second.version),
                                   {membership_event(change)}});
            }
        }

        // Devices: their labels and current dynamic memberships in two queries, then every
        // dynamic group's query in memory.
        if (!devices.empty() && !dynamic_.empty()) {
            const std::string array = id_array(devices);
            std::map<std::string, query::Labels> live;
            auto labels = tx.exec(
                "SELECT id, labels::text FROM devices_projection "
                "WHERE id = ANY ($1::text[]) AND NOT is_deleted",
                {array});
            for (int i = 0; i < labels.rows(); ++i) {
                query::Labels out;
                const auto parsed = boost::json::parse(labels.text(i, 1));
                for (const auto& [key, value] : parsed.as_object()) {
                    out.emplace(std::string(key), value.is_string()
                                                      ? std::string(value.as_string())
                                                      : boost::json::serialize(value));
                }
                live.emplace(std::string(labels.text(i, 0)), std::move(out));
            }
            std::set<std::pair<std::string, std::string>> members;
            auto rows = tx.exec(
                "SELECT group_id, device_id FROM device_group_members_projection "
                "WHERE device_id = ANY ($1::text[])",
                {array});
            for (int i = 0; i < rows.rows(); ++i) {
                members.emplace(rows.text(i, 0), rows.text(i, 1));
            }
            for (const auto& [group, held] : dynamic_) {
                if (groups.contains(group) || !current.contains(group)) {
                    continue;  // evaluated in SQL above, or gone
                }
                for (const auto& device : devices) {
                    auto found = live.find(device);
                    const bool want =
                        found != live.end() && query::matches(held.expr, found->second);
                    const bool is = members.contains({group, device});
                    if (want != is) {
                        auto& change = in_memory[group];
                        (want ? change.added : change.removed).push_back(device);
                    }
                }
            }
            for (const auto& [group, change] : in_memory) {
                stream.id = group;
                appends.push_back({stream,
                                   es::ExpectedVersion::exactly(current[group].version),
                                   {membership_event(change)}});
            }
        }
        if (!appends.empty()) {
            for (const auto& result :
                 store_.append_in(tx, appends, maintainer_actor(), maintainer_actor())) {
                last_position = std::max(last_position, result.last_position);
            }
        }
    });
    if (last_position > 0) {
        store_.notify_appended(last_position);
    }
}

}  // namespace pm::control
