// Event store throughput against a real PostgreSQL (fsync on), beside the limits measured in
// the same run: a bare 100-row INSERT and a bare COPY into a copy of the events table
// without triggers, and plain one-event transactions through the projection trigger.
//
// PM_BENCH_DATABASE_URL: a URL of a role that may create databases (scripts/bench sets it).
// PM_BENCH_REBUILD_EVENTS: events for the rebuild benchmark (default 1,000,000).
// PM_BENCH_WRITERS, PM_BENCH_LINGER_US, PM_BENCH_PARALLEL_EVENTS: the appender's writers,
// linger and parallel_batch_events (default: the library's defaults).
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <powermanage/common/ulid.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/migrations.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/eventstore/events.hpp>
#include <powermanage/projection/rebuild.hpp>

namespace {

using pm::db::Actor;
using pm::eventstore::ExpectedVersion;
using pm::eventstore::NewEvent;

constexpr int kDevices = 1000;

std::string admin_url() {
    const char* url = std::getenv("PM_BENCH_DATABASE_URL");
    if (url == nullptr) {
        std::fprintf(stderr, "set PM_BENCH_DATABASE_URL (scripts/bench does)\n");
        std::exit(2);
    }
    return url;
}

std::string with_database(const std::string& url, const std::string& db) {
    const auto slash = url.rfind('/');
    return url.substr(0, slash + 1) + db;
}

// One migrated database for the whole run, with 1000 registered devices to send heartbeats
// to and an `events_baseline` table shaped like `events` but without triggers.
class BenchDatabase {
public:
    static BenchDatabase& get() {
        static BenchDatabase db;
        return db;
    }
    const std::string& url() const { return url_; }
    pm::db::ConnectionPool& pool() { return *pool_; }
    const std::vector<std::string>& devices() const { return devices_; }
    ~BenchDatabase() {
        pool_.reset();
        pm::db::Connection admin(admin_url());
        admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }

private:
    BenchDatabase() : name_(fmt::format("pm_bench_{}", ::getpid())) {
        pm::db::Connection admin(admin_url());
        admin.exec("CREATE DATABASE " + name_);
        url_ = with_database(admin_url(), name_);
        pm::db::Connection conn(url_);
        pm::db::migrate(conn);
        conn.exec(
            "CREATE TABLE events_baseline (LIKE events INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING INDEXES INCLUDING CONSTRAINTS)");
        pool_ = std::make_unique<pm::db::ConnectionPool>(url_, 8);
        pm::eventstore::EventStore store(*pool_);
        std::vector<std::future<pm::eventstore::AppendResult>> pending;
        for (int i = 0; i < kDevices; ++i) {
            devices_.push_back(pm::new_ulid());
            pm::eventstore::DeviceRegistered registered;
            registered.hostname = fmt::format("host-{}", i);
            registered.agent_version = "1.0.0";
            registered.cert_fingerprint = fmt::format("fp-{}", devices_.back());
            registered.cert_serial = fmt::format("{}", i);
            registered.cert_not_after =
                std::chrono::system_clock::now() + std::chrono::hours(24 * 365);
            registered.registration_token_id = "bench";
            pending.push_back(
                store.append_async({"device", devices_.back()}, ExpectedVersion::no_stream(),
                                   {NewEvent::of(registered)}, Actor::system("bench")));
        }
        for (auto& f : pending) {
            f.get();
        }
    }

    std::string name_;
    std::string url_;
    std::unique_ptr<pm::db::ConnectionPool> pool_;
    std::vector<std::string> devices_;
};

// The event mix of a busy fleet: a heartbeat (an update), a new execution (an insert) and a
// line of output (an insert), in turn.
struct Mixed {
    pm::eventstore::StreamId stream;
    ExpectedVersion expected = ExpectedVersion::any();
    NewEvent event;
};

Mixed mixed_event(std::uint64_t n) {
    const auto& devices = BenchDatabase::get().devices();
    const std::string& device = devices[n % devices.size()];
    switch (n % 3) {
        case 0: {
            pm::eventstore::DeviceHeartbeat hb;
            hb.cpu_percent = 12.5;
            hb.uptime_seconds = static_cast<std::int64_t>(n);
            return {{"device", device}, ExpectedVersion::any(), NewEvent::of(hb)};
        }
        case 1: {
            pm::eventstore::ExecutionCreated created;
            created.device_id = device;
            created.action_type = 200;
            created.params = {{"script", "echo hello"}};
            created.timeout_seconds = 300;
            return {
                {"execution", pm::new_ulid()}, ExpectedVersion::no_stream(), NewEvent::of(created)};
        }
        default: {
            pm::eventstore::OutputChunk chunk;
            chunk.stream = "stdout";
            chunk.data = "line of output\n";
            chunk.sequence = static_cast<std::int64_t>(n);
            return {{"execution", pm::new_ulid()}, ExpectedVersion::any(), NewEvent::of(chunk)};
        }
    }
}

std::string copy_rows(int rows, std::uint64_t seed) {
    std::string data;
    for (int i = 0; i < rows; ++i) {
        data += fmt::format(
            "{:08x}-0000-4000-8000-{:012x}\tdevice\t{}\t{}\tDeviceHeartbeat\t{{\"cpu_percent\": "
            "12.5}}\t{{}}\tsystem\tbench\n",
            static_cast<std::uint32_t>(seed >> 20), (seed << 20) + static_cast<std::uint64_t>(i),
            BenchDatabase::get().devices()[static_cast<std::size_t>(i) % kDevices],
            seed * 100000 + static_cast<std::uint64_t>(i) + 1);
    }
    return data;
}

std::atomic<std::uint64_t> g_seed{1};

// ---- limits: the database without our code -------------------------------------------------

void BM_Limit_BareInsert100(benchmark::State& state) {
    pm::db::Connection conn(BenchDatabase::get().url());
    for (auto _ : state) {
        const auto seed = g_seed++;
        std::string sql =
            "INSERT INTO events_baseline (event_id, stream_type, stream_id, stream_version, "
            "event_type, "
            "data, actor_type, actor_id) VALUES ";
        for (int i = 0; i < 100; ++i) {
            sql += fmt::format(
                "{}(gen_random_uuid(), 'device', 'd{}', {}, 'DeviceHeartbeat', "
                "'{{\"cpu_percent\": 12.5}}', 'system', 'bench')",
                i == 0 ? "" : ",", i, seed * 1000 + static_cast<std::uint64_t>(i));
        }
        conn.exec(sql);
    }
    state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_Limit_BareInsert100)->UseRealTime()->MinTime(3);

void BM_Limit_BareCopy1000(benchmark::State& state) {
    pm::db::Connection conn(BenchDatabase::get().url());
    for (auto _ : state) {
        state.PauseTiming();
        const auto data = copy_rows(1000, g_seed++);
        state.ResumeTiming();
        conn.copy_in(
            "COPY events_baseline (event_id, stream_type, stream_id, stream_version, event_type, "
            "data, "
            "metadata, actor_type, actor_id) FROM STDIN",
            data);
    }
    state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_Limit_BareCopy1000)->UseRealTime()->MinTime(3);

// One event per transaction straight into `events`, projection trigger included: what each
// caller gets without group commit.
void BM_Limit_PlainOneEventTransactions(benchmark::State& state) {
    pm::db::Connection conn(BenchDatabase::get().url());
    // Versions far above what the store benchmarks reach, and unique across threads.
    static std::atomic<std::int32_t> next_version{1000000};
    std::uint64_t n = g_seed++ * 1000000;
    for (auto _ : state) {
        auto m = mixed_event(n++);
        const auto version = next_version++;
        conn.exec("BEGIN");
        conn.exec("SELECT set_config('pm.actor_type', 'system', true)");
        conn.exec(
            "INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, "
            "data, "
            "actor_type, actor_id) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::jsonb, 'system', "
            "'bench')",
            {m.stream.type, m.stream.id, std::to_string(version), m.event.type,
             boost::json::serialize(m.event.data)});
        conn.exec("COMMIT");
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Limit_PlainOneEventTransactions)->UseRealTime()->Threads(1)->Threads(16)->MinTime(3);

// ---- the event store -------------------------------------------------------------------------

// The appender's policy, from PM_BENCH_WRITERS, PM_BENCH_LINGER_US and
// PM_BENCH_PARALLEL_EVENTS when set (to compare
// policies on the same machine), else the library's defaults.
pm::eventstore::AppenderOptions bench_appender_options() {
    pm::eventstore::AppenderOptions options;
    if (const char* writers = std::getenv("PM_BENCH_WRITERS")) {
        options.writers = static_cast<std::size_t>(std::atoi(writers));
    }
    if (const char* linger = std::getenv("PM_BENCH_LINGER_US")) {
        options.linger = std::chrono::microseconds(std::atoi(linger));
    }
    if (const char* parallel = std::getenv("PM_BENCH_PARALLEL_EVENTS")) {
        options.parallel_batch_events = static_cast<std::size_t>(std::atoi(parallel));
    }
    return options;
}

pm::eventstore::EventStore& shared_store() {
    static pm::eventstore::EventStore store(BenchDatabase::get().pool(), pm::Clock::system(),
                                            bench_appender_options());
    return store;
}

void BM_Append_OneEventPerTransaction(benchmark::State& state) {
    pm::eventstore::AppenderOptions options;
    options.writers = 1;
    pm::eventstore::EventStore store(BenchDatabase::get().pool(), pm::Clock::system(), options);
    std::uint64_t n = g_seed++ * 1000000;
    for (auto _ : state) {
        auto m = mixed_event(n++);
        store.append(m.stream, m.expected, {m.event}, Actor::system("bench"));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Append_OneEventPerTransaction)->UseRealTime()->MinTime(3);

// Many callers, one event each: group commit turns them into few transactions.
void BM_Append_GroupCommit(benchmark::State& state) {
    auto& store = shared_store();
    std::uint64_t n = g_seed++ * 1000000;
    const auto before = store.stats();
    for (auto _ : state) {
        auto m = mixed_event(n++);
        store.append(m.stream, m.expected, {m.event}, Actor::system("bench"));
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        const auto after = store.stats();
        state.counters["events_per_txn"] = static_cast<double>(after.events - before.events) /
                                           static_cast<double>(std::max<std::uint64_t>(
                                               1, after.transactions - before.transactions));
    }
}
BENCHMARK(BM_Append_GroupCommit)
    ->UseRealTime()
    ->Threads(1)
    ->Threads(8)
    ->Threads(16)
    ->Threads(64)
    ->MinTime(3);

// Callers that each append 100 events at once, like the bare 100-row INSERT.
void BM_Append_Batches100(benchmark::State& state) {
    auto& store = shared_store();
    std::uint64_t n = g_seed++ * 1000000;
    for (auto _ : state) {
        std::vector<std::future<pm::eventstore::AppendResult>> pending;
        for (int i = 0; i < 100; ++i) {
            auto m = mixed_event(n++);
            pending.push_back(
                store.append_async(m.stream, m.expected, {m.event}, Actor::system("bench")));
        }
        for (auto& f : pending) {
            f.get();
        }
    }
    state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_Append_Batches100)->UseRealTime()->Threads(1)->Threads(4)->MinTime(3);

void BM_ReadAll(benchmark::State& state) {
    auto& store = shared_store();
    std::int64_t read = 0;
    for (auto _ : state) {
        pm::eventstore::Position cursor;
        for (;;) {
            const auto page = store.read_all(cursor, 1000);
            if (page.events.empty()) {
                break;
            }
            read += static_cast<std::int64_t>(page.events.size());
            cursor = page.next;
            if (read >= 200000) {
                break;
            }
        }
    }
    state.SetItemsProcessed(read);
}
BENCHMARK(BM_ReadAll)->UseRealTime()->Iterations(1);

// Loads PM_BENCH_REBUILD_EVENTS events (1,000,000 by default) with COPY and the projection
// trigger disabled, unless they are there already.
void load_rebuild_events(pm::db::Connection& conn) {
    const char* env = std::getenv("PM_BENCH_REBUILD_EVENTS");
    const std::int64_t target = env != nullptr ? std::atoll(env) : 1000000;
    auto have = conn.exec("SELECT count(*) FROM events").int64(0, 0);
    if (have < target) {
        conn.exec("ALTER TABLE events DISABLE TRIGGER events_project");
        while (have < target) {
            const auto rows = static_cast<int>(std::min<std::int64_t>(10000, target - have));
            conn.copy_in(
                "COPY events (event_id, stream_type, stream_id, stream_version, event_type, data, "
                "metadata, "
                "actor_type, actor_id) FROM STDIN",
                copy_rows(rows, g_seed++));
            have += rows;
        }
        conn.exec("ALTER TABLE events ENABLE TRIGGER events_project");
    }
}

// Rebuilds every projection from those events (projection::rebuild, as pm-admin does).
void BM_Rebuild(benchmark::State& state) {
    pm::db::Connection conn(BenchDatabase::get().url());
    load_rebuild_events(conn);
    std::int64_t replayed = 0;
    for (auto _ : state) {
        replayed += pm::projection::rebuild(conn).events;
    }
    state.SetItemsProcessed(replayed);
    state.counters["events"] = static_cast<double>(replayed);
}
BENCHMARK(BM_Rebuild)->UseRealTime()->Iterations(1)->Unit(benchmark::kSecond);

// The limit of any replay through the projector functions: reading the same events in
// position order, 10,000 at a time, into the events[] that pm_rebuild_step hands to
// pm_project_events, one committed transaction per page; no projection.
void BM_Limit_RebuildRead(benchmark::State& state) {
    pm::db::Connection conn(BenchDatabase::get().url());
    load_rebuild_events(conn);
    const std::string upto =
        std::to_string(conn.exec("SELECT max(position) FROM events").int64(0, 0));
    const auto types = conn.exec("SELECT array_agg(stream_type) FROM pm_projection_catalogue()");
    const std::string all_types(types.text(0, 0));
    // pm_rebuild_step without the projection and the checkpoint.
    conn.exec(R"(
        CREATE FUNCTION pg_temp.read_page(p_after bigint, p_upto bigint, p_types text[])
        RETURNS TABLE (last_position bigint, replayed integer) LANGUAGE plpgsql AS $$
        DECLARE
            v_events events[];
        BEGIN
            v_events := ARRAY(SELECT ev FROM events ev
                              WHERE ev.position > p_after AND ev.position <= p_upto
                                AND ev.stream_type = ANY (p_types)
                              ORDER BY ev.position LIMIT 10000);
            replayed := cardinality(v_events);
            last_position := CASE WHEN replayed > 0 THEN v_events[replayed].position
                                  ELSE p_after END;
            RETURN NEXT;
        END;
        $$)");
    std::int64_t read = 0;
    for (auto _ : state) {
        std::int64_t last = 0;
        for (;;) {
            const auto page =
                conn.exec("SELECT last_position, replayed FROM pg_temp.read_page($1, $2, $3)",
                          {std::to_string(last), upto, all_types});
            last = page.int64(0, 0);
            const auto n = page.int64(0, 1);
            read += n;
            if (n < 10000) {
                break;
            }
        }
    }
    state.SetItemsProcessed(read);
}
BENCHMARK(BM_Limit_RebuildRead)->UseRealTime()->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
