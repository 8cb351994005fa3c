// Presence: heartbeats update memory only; last_seen_at is written for all agents seen since
// the previous flush in one statement, and a DeviceHeartbeat event (with the agent's metrics)
// at most every heartbeat_event_interval per device. 100,000 agents at 30 s would otherwise be
// 3,300 events per second of noise.
#include <powermanage/common/time.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/eventstore/events.hpp>

#include "gateway/agent_service_impl.hpp"

namespace pm::gateway {

namespace es = pm::eventstore;

void AgentService::Impl::touch(const std::string& device_id, const pm::v1::Heartbeat* heartbeat) {
    const auto now = clock_.now();
    std::lock_guard lock(presence_mutex_);
    auto& p = presence_[device_id];
    p.last_seen = now;
    p.dirty = true;
    if (heartbeat != nullptr) {
        p.heartbeat = *heartbeat;
    }
}

void AgentService::Impl::flush_presence() {
    const auto now = clock_.now();
    std::string ids = "{";
    std::string seen = "{";
    std::vector<std::pair<std::string, pm::v1::Heartbeat>> events;
    {
        std::lock_guard lock(presence_mutex_);
        for (auto it = presence_.begin(); it != presence_.end();) {
            auto& [device, p] = *it;
            if (p.dirty) {
                ids += (ids.size() > 1 ? "," : "") + device;
                seen += (seen.size() > 1 ? ",\"" : "\"") + format_rfc3339(p.last_seen) + "\"";
                p.dirty = false;
                if (p.heartbeat && now - p.last_event >= options_.heartbeat_event_interval) {
                    events.emplace_back(device, *p.heartbeat);
                    p.last_event = now;
                    p.heartbeat.reset();
                }
            }
            // Forget devices that left long ago, so the map holds connected agents only.
            if (!p.dirty && !connections_.connected(device) &&
                now - p.last_seen > options_.heartbeat_event_interval) {
                it = presence_.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (ids.size() > 1) {
        db::with_actor(pool_, db::Actor::system("gateway"), [&](db::Transaction& tx) {
            tx.exec(
                "UPDATE devices_projection d SET last_seen_at = v.seen "
                "FROM unnest($1::text[], $2::timestamptz[]) AS v(id, seen) "
                "WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen)",
                {ids + "}", seen + "}"});
        });
    }
    std::vector<std::future<es::AppendResult>> appends;
    for (const auto& [device, hb] : events) {
        es::DeviceHeartbeat event;
        event.uptime_seconds = hb.uptime().seconds();
        event.cpu_percent = hb.cpu_percent();
        event.memory_percent = hb.memory_percent();
        event.disk_percent = hb.disk_percent();
        appends.push_back(store_.append_async({std::string(es::kDeviceStream), device},
                                              es::ExpectedVersion::any(), {es::NewEvent::of(event)},
                                              db::Actor::device(device)));
    }
    for (auto& a : appends) {
        try {
            a.get();
        } catch (const std::exception& error) {
            logger_.warn("cannot record a heartbeat", {{"error", error.what()}});
        }
    }
}

}  // namespace pm::gateway
