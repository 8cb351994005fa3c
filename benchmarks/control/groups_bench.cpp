// Dynamic group membership under a burst (issue 11): 10,000 devices and 100 dynamic groups
// (`labels.slot equals <i>`), the GroupMembership maintainer running, then a burst of 10,000
// label changes appended through the EventStore as fast as it takes them. Measured: the time
// from the first append of the burst until every group's members are exactly the devices its
// query selects (checked in SQL every 10 ms), and how many membership events and batches the
// burst cost. Two bursts: "join" (every device gets a slot: 10,000 joins) and "move" (every
// device moves to the next slot: 10,000 leaves and 10,000 joins).
//
// PM_BENCH_DATABASE_URL: a URL of a role that may create databases (scripts/bench sets it).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <powermanage/common/log.hpp>
#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/migrations.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/eventstore/events.hpp>

#include "control/group_membership.hpp"

namespace {

namespace es = pm::eventstore;
using pm::db::Actor;
using namespace std::chrono_literals;

constexpr int kDevices = 10000;
constexpr int kGroups = 100;

std::string admin_url() {
    const char* url = std::getenv("PM_BENCH_DATABASE_URL");
    if (url == nullptr) {
        std::fprintf(stderr, "set PM_BENCH_DATABASE_URL (scripts/bench does)\n");
        std::exit(2);
    }
    return url;
}

std::string with_database(const std::string& url, const std::string& db) {
    return url.substr(0, url.rfind('/') + 1) + db;
}

// Appends every event (one per stream) concurrently, so that they share group commits.
void append_all(es::EventStore& store, const std::vector<std::string>& ids,
                const std::string& stream_type,
                const std::function<es::NewEvent(std::size_t)>& event,
                es::ExpectedVersion expected) {
    std::vector<std::future<es::AppendResult>> pending;
    pending.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        pending.push_back(store.append_async({stream_type, ids[i]}, expected, {event(i)},
                                             Actor::system("bench")));
    }
    for (auto& p : pending) {
        p.get();
    }
}

// Whether every dynamic group's members are exactly the devices whose slot label is its own.
bool memberships_right(pm::db::Connection& conn) {
    auto rows = conn.exec(
        "SELECT (SELECT count(*) FROM device_group_members_projection), "
        "(SELECT count(*) FROM device_group_members_projection m "
        " JOIN device_groups_projection g ON g.id = m.group_id "
        " JOIN devices_projection d ON d.id = m.device_id "
        " WHERE d.labels ->> 'slot' = substr(g.name, 6))");
    return rows.int64(0, 0) == kDevices && rows.int64(0, 1) == kDevices;
}

std::int64_t membership_events(pm::db::Connection& conn) {
    return conn
        .exec("SELECT count(*) FROM events WHERE event_type = 'DeviceGroupMembershipEvaluated'")
        .int64(0, 0);
}

void BM_LabelBurst(benchmark::State& state) {
    const std::string name = fmt::format("pm_bench_groups_{}", ::getpid());
    {
        pm::db::Connection admin(admin_url());
        admin.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        admin.exec("CREATE DATABASE " + name);
    }
    const std::string url = with_database(admin_url(), name);
    {
        pm::db::Connection conn(url);
        pm::db::migrate(conn);
    }
    auto pool = std::make_unique<pm::db::ConnectionPool>(url, 16);
    auto store = std::make_unique<es::EventStore>(*pool);
    std::vector<std::string> devices;
    std::vector<std::string> groups;
    for (int i = 0; i < kDevices; ++i) {
        devices.push_back(pm::new_ulid());
    }
    for (int i = 0; i < kGroups; ++i) {
        groups.push_back(pm::new_ulid());
    }
    append_all(
        *store, devices, "device",
        [&](std::size_t i) {
            es::DeviceRegistered registered;
            registered.hostname = fmt::format("host-{}", i);
            registered.agent_version = "1.0.0";
            registered.cert_fingerprint = "fp-" + devices[i];
            registered.cert_serial = fmt::format("{}", i);
            registered.cert_not_after = std::chrono::system_clock::now() + 24h * 365;
            registered.registration_token_id = "bench";
            return es::NewEvent::of(registered);
        },
        es::ExpectedVersion::no_stream());
    append_all(
        *store, groups, "device_group",
        [&](std::size_t i) {
            return es::NewEvent::of(es::DeviceGroupCreated{
                fmt::format("slot-{}", i), "", true, fmt::format("labels.slot equals {}", i)});
        },
        es::ExpectedVersion::no_stream());

    pm::Logger logger;
    pm::control::GroupMembership membership(*pool, *store, url, logger);
    membership.start();
    pm::db::Connection check(url);
    std::this_thread::sleep_for(2s);  // the maintainer takes the lock and reconciles (no-op)

    int round = 0;
    for (auto _ : state) {
        const auto events_before = membership_events(check);
        const auto batches_before = membership.batches();
        const auto start = std::chrono::steady_clock::now();
        append_all(
            *store, devices, "device",
            [&](std::size_t i) {
                return es::NewEvent::of(es::DeviceLabelSet{
                    "slot", fmt::format("{}", (i + static_cast<std::size_t>(round)) % kGroups)});
            },
            es::ExpectedVersion::any());
        const auto appended = std::chrono::steady_clock::now();
        while (!memberships_right(check)) {
            if (std::chrono::steady_clock::now() - start > 120s) {
                state.SkipWithError("memberships not right after 120 s");
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        const auto done = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(done - start).count());
        state.counters["burst_append_ms"] =
            std::chrono::duration<double, std::milli>(appended - start).count();
        state.counters["until_right_ms"] =
            std::chrono::duration<double, std::milli>(done - start).count();
        state.counters["membership_events"] =
            static_cast<double>(membership_events(check) - events_before);
        state.counters["batches"] = static_cast<double>(membership.batches() - batches_before);
        std::fprintf(stderr,
                     "burst %d (%s): appended in %.0f ms, memberships right after %.0f ms, "
                     "%.0f membership events, %.0f batches\n",
                     round + 1, round == 0 ? "10,000 joins" : "10,000 leaves + 10,000 joins",
                     state.counters["burst_append_ms"].value,
                     state.counters["until_right_ms"].value,
                     state.counters["membership_events"].value, state.counters["batches"].value);
        ++round;
    }
    membership.stop();
    store.reset();
    pool.reset();
    pm::db::Connection admin(admin_url());
    admin.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}
// Iteration 1: every device joins a group; 2: every device moves to the next group.
BENCHMARK(BM_LabelBurst)->Iterations(2)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
