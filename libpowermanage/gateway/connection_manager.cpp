// ConnectionManager: shards of (mutex, device id -> session). The locks guard only the maps;
// sessions are offered to and closed outside them, so a session implementation can never
// hold up other devices of its shard. That opens two windows, both closed by identity:
// a session replaced between lookup and offer says `closed`, and route() looks again once; a
// stalled session is removed only if it is still the device's current one.

#include <atomic>
#include <functional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <powermanage/gateway/connection_manager.hpp>

#include "pm/v1/agent.pb.h"

namespace pm::gateway {

namespace {

constexpr std::string_view kReplacedMessage = "replaced by a newer connection";
constexpr std::string_view kStalledMessage = "the agent did not read its stream in time";

}  // namespace

// Cache-line aligned so that two shards' locks and counters never share a line.
struct alignas(64) ConnectionManager::Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<AgentSession>> sessions;
    // Bumped outside the lock in route(), hence atomic; relaxed: they are statistics only.
    std::atomic<std::uint64_t> attached{0};
    std::atomic<std::uint64_t> replaced{0};
    std::atomic<std::uint64_t> detached{0};
    std::atomic<std::uint64_t> stalled{0};
    std::atomic<std::uint64_t> evicted{0};
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> queued{0};
    std::atomic<std::uint64_t> offline{0};
};

namespace {

void bump(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t read(const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
}

}  // namespace

std::string_view to_string(RouteResult result) {
    switch (result) {
        case RouteResult::delivered:
            return "delivered";
        case RouteResult::queued:
            return "queued";
        case RouteResult::offline:
            return "offline";
    }
    return "unknown";
}

ConnectionManager::ConnectionManager(Options options)
    : shard_count_(options.shards == 0 ? 1 : options.shards),
      shards_(std::make_unique<Shard[]>(shard_count_)) {}

ConnectionManager::~ConnectionManager() = default;

ConnectionManager::Shard& ConnectionManager::shard_for(const std::string& device_id) const {
    return shards_[std::hash<std::string>{}(device_id) % shard_count_];
}

std::shared_ptr<AgentSession> ConnectionManager::attach(std::string device_id,
                                                        std::shared_ptr<AgentSession> session) {
    if (!session) {
        throw std::invalid_argument("ConnectionManager::attach: null session");
    }
    auto& shard = shard_for(device_id);
    std::shared_ptr<AgentSession> old;
    {
        std::lock_guard lock(shard.mutex);
        auto [it, inserted] = shard.sessions.try_emplace(std::move(device_id), session);
        if (!inserted) {
            if (it->second == session) {
                return nullptr;  // attached twice: nothing replaced
            }
            old = std::exchange(it->second, std::move(session));
        }
    }
    bump(shard.attached);
    if (old) {
        bump(shard.replaced);
        old->close(std::string(kReplacedCode), std::string(kReplacedMessage));
    }
    return old;
}

bool ConnectionManager::remove_if_current(Shard& shard, const std::string& device_id,
                                          const AgentSession& session) {
    std::lock_guard lock(shard.mutex);
    auto it = shard.sessions.find(device_id);
    // Two live sessions cannot share an address, and the map keeps its session alive, so the
    // address is the session's identity here.
    if (it == shard.sessions.end() || it->second.get() != &session) {
        return false;
    }
    shard.sessions.erase(it);
    return true;
}

bool ConnectionManager::detach(const std::string& device_id, const AgentSession& session) {
    auto& shard = shard_for(device_id);
    if (!remove_if_current(shard, device_id, session)) {
        return false;
    }
    bump(shard.detached);
    return true;
}

RouteResult ConnectionManager::route(const std::string& device_id,
                                     std::shared_ptr<const v1::ServerMessage> message) {
    auto& shard = shard_for(device_id);
    // Two rounds at most: the second only when the first session was closing, which usually
    // means a newer stream replaced it a moment ago.
    for (int round = 0; round < 2; ++round) {
        std::shared_ptr<AgentSession> session;
        {
            std::lock_guard lock(shard.mutex);
            auto it = shard.sessions.find(device_id);
            if (it != shard.sessions.end()) {
                session = it->second;
            }
        }
        if (!session) {
            break;
        }
        switch (session->offer(message)) {
            case OfferResult::delivered:
                bump(shard.delivered);
                return RouteResult::delivered;
            case OfferResult::queued:
                bump(shard.queued);
                return RouteResult::queued;
            case OfferResult::full:
                // Stalled: out of the table first, so nothing more is routed to it, then
                // closed. Counted once even if two routes find it full at the same time.
                if (remove_if_current(shard, device_id, *session)) {
                    bump(shard.stalled);
                    session->close(std::string(kStalledCode), std::string(kStalledMessage));
                }
                bump(shard.offline);
                return RouteResult::offline;
            case OfferResult::closed:
                if (remove_if_current(shard, device_id, *session)) {
                    bump(shard.evicted);
                }
                continue;
        }
    }
    bump(shard.offline);
    return RouteResult::offline;
}

bool ConnectionManager::connected(const std::string& device_id) const {
    return find(device_id) != nullptr;
}

std::shared_ptr<AgentSession> ConnectionManager::find(const std::string& device_id) const {
    auto& shard = shard_for(device_id);
    std::lock_guard lock(shard.mutex);
    auto it = shard.sessions.find(device_id);
    return it == shard.sessions.end() ? nullptr : it->second;
}

std::size_t ConnectionManager::size() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        total += shards_[i].sessions.size();
    }
    return total;
}

std::vector<std::string> ConnectionManager::devices() const {
    std::vector<std::string> result;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        for (const auto& [device_id, session] : shards_[i].sessions) {
            result.push_back(device_id);
        }
    }
    return result;
}

ConnectionStats ConnectionManager::stats() const {
    ConnectionStats stats;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        const auto& shard = shards_[i];
        {
            std::lock_guard lock(shard.mutex);
            stats.connected += shard.sessions.size();
        }
        stats.attached += read(shard.attached);
        stats.replaced += read(shard.replaced);
        stats.detached += read(shard.detached);
        stats.stalled += read(shard.stalled);
        stats.evicted += read(shard.evicted);
        stats.routed_delivered += read(shard.delivered);
        stats.routed_queued += read(shard.queued);
        stats.routed_offline += read(shard.offline);
    }
    return stats;
}

void ConnectionManager::close_all(std::string code, std::string message) {
    for (std::size_t i = 0; i < shard_count_; ++i) {
        auto& shard = shards_[i];
        std::unordered_map<std::string, std::shared_ptr<AgentSession>> taken;
        {
            std::lock_guard lock(shard.mutex);
            taken.swap(shard.sessions);
        }
        shard.evicted.fetch_add(taken.size(), std::memory_order_relaxed);
        for (auto& [device_id, session] : taken) {
            session->close(code, message);
        }
    }
}

}  // namespace pm::gateway
