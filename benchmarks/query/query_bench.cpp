// query_bench: the dynamic device-group query language.
//   BM_Sql_*      one query over 100,000 devices in PostgreSQL (goal: <= 100 ms), through
//                 compile_sql(); the plan of each query is printed once before it runs.
//   BM_Limit_*    the floor: a sequential scan over the 100,000 devices' labels.
//   BM_Memory_*   one device's labels against 1,000 parsed dynamic groups (goal: <= 1 ms CPU).
// PM_BENCH_DATABASE_URL: a URL of a role that may create databases (scripts/bench sets it);
// without it the SQL benchmarks are skipped.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/migrations.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/query/query.hpp>

namespace {

constexpr int kDevices = 100000;

const char* admin_url() {
    return std::getenv("PM_BENCH_DATABASE_URL");
}

std::string with_database(const std::string& url, const std::string& db) {
    const auto slash = url.rfind('/');
    return url.substr(0, slash + 1) + db;
}

// Labels of device i: env (70% prod), zone (one of 20), rack (one of 500), team (one of 50),
// cpu (a number), os, and gpu on 5% of the fleet.
std::string labels_json(std::mt19937& rng, int i) {
    std::uniform_int_distribution<int> pct(0, 99);
    const int e = pct(rng);
    const char* env = e < 70 ? "prod" : (e < 85 ? "Staging" : "dev");
    std::string json = fmt::format(
        R"({{"env": "{}", "zone": "eu-west-{}", "rack": "r{:03}", "team": "team-{:02}", )"
        R"("cpu": "{}", "os": "{}", "host": "web-{:06}")",
        env, rng() % 20, rng() % 500, rng() % 50, 2 << (rng() % 6),
        (rng() % 3 == 0) ? "Ubuntu 24.04" : "Debian 12", i);
    if (pct(rng) < 5) {
        json += R"(, "gpu": "nvidia")";
    }
    return json + "}";
}

// One migrated database with 100,000 devices for the whole run, dropped at exit.
class BenchDatabase {
public:
    static BenchDatabase& get() {
        static BenchDatabase db;
        return db;
    }
    pm::db::Connection& conn() { return *conn_; }
    ~BenchDatabase() {
        conn_.reset();
        pm::db::Connection admin(admin_url());
        admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }

private:
    BenchDatabase() : name_(fmt::format("pm_query_bench_{}", ::getpid())) {
        pm::db::Connection admin(admin_url());
        admin.exec("CREATE DATABASE " + name_);
        conn_ = std::make_unique<pm::db::Connection>(with_database(admin_url(), name_));
        pm::db::migrate(*conn_);
        std::mt19937 rng(42);
        std::string data;
        for (int i = 0; i < kDevices; ++i) {
            data += fmt::format(
                "d{:06}\thost-{}\t1.0.0\tfp\ts{}\t2030-01-01T00:00:00Z\t2026-01-01T00:00:00Z\t{}"
                "\t1\n",
                i, i, i, labels_json(rng, i));
        }
        conn_->copy_in(
            "COPY devices_projection (id, hostname, agent_version, cert_fingerprint, "
            "cert_serial, cert_not_after, registered_at, labels, projection_version) FROM STDIN",
            data);
        conn_->exec("VACUUM ANALYZE devices_projection");
    }

    std::string name_;
    std::unique_ptr<pm::db::Connection> conn_;
};

void run_sql(benchmark::State& state, const char* text) {
    if (admin_url() == nullptr) {
        state.SkipWithError("set PM_BENCH_DATABASE_URL (scripts/bench does)");
        return;
    }
    auto& conn = BenchDatabase::get().conn();
    const auto parsed = pm::query::parse(text);
    const auto predicate = pm::query::compile_sql(parsed.expr(), "labels", 1, "labels_lower");
    const std::vector<pm::db::Param> params(predicate.params.begin(), predicate.params.end());
    const std::string sql =
        "SELECT id FROM devices_projection WHERE NOT is_deleted AND " + predicate.sql;
    static std::set<std::string> explained;  // google benchmark calls this more than once
    if (explained.insert(text).second) {
        pm::db::Transaction tx(conn, pm::db::Actor::system("bench"));
        const auto plan = tx.exec("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params);
        std::printf("-- %s\n", text);
        for (int r = 0; r < plan.rows(); ++r) {
            std::printf("   %s\n", std::string(plan.text(r, 0)).c_str());
        }
        std::fflush(stdout);
    }
    std::int64_t rows = 0;
    for (auto _ : state) {
        pm::db::Transaction tx(conn, pm::db::Actor::system("bench"));
        rows = tx.exec(sql, params).rows();
        tx.commit();
    }
    state.counters["matched"] = static_cast<double>(rows);
    state.counters["devices"] = kDevices;
}

void BM_Sql_EqualsAndIn(benchmark::State& state) {
    run_sql(state, "labels.env equals PROD and labels.zone in \"eu-west-1, eu-west-2\"");
}
BENCHMARK(BM_Sql_EqualsAndIn)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Sql_ExistsAndNumber(benchmark::State& state) {
    run_sql(state, "labels.gpu exists and labels.cpu greaterThanOrEquals 32");
}
BENCHMARK(BM_Sql_ExistsAndNumber)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Sql_TeamOrRackPrefix(benchmark::State& state) {
    run_sql(state,
            "labels.team equals team-07 or (labels.rack startsWith r01 and not labels.os "
            "contains ubuntu)");
}
BENCHMARK(BM_Sql_TeamOrRackPrefix)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Sql_SelectsMost(benchmark::State& state) {
    run_sql(state, "labels.env notEquals dev and labels.host notContains \"-0000\"");
}
BENCHMARK(BM_Sql_SelectsMost)->UseRealTime()->Unit(benchmark::kMillisecond);

// The machine's floor for a query that must look at every device: a sequential scan reading
// one label of each, in the same run.
void BM_Limit_ScanOneLabelOfEach(benchmark::State& state) {
    if (admin_url() == nullptr) {
        state.SkipWithError("set PM_BENCH_DATABASE_URL (scripts/bench does)");
        return;
    }
    auto& conn = BenchDatabase::get().conn();
    for (auto _ : state) {
        pm::db::Transaction tx(conn, pm::db::Actor::system("bench"));
        benchmark::DoNotOptimize(
            tx.exec("SELECT id FROM devices_projection WHERE labels ->> 'host' LIKE '%-0000%'")
                .rows());
        tx.commit();
    }
}
BENCHMARK(BM_Limit_ScanOneLabelOfEach)->UseRealTime()->Unit(benchmark::kMillisecond);

// 1,000 dynamic groups of 1 to 4 conditions over the labels above, parsed once (as a server
// keeps them), and one device whose labels just changed.
void BM_Memory_OneDeviceAgainst1000Groups(benchmark::State& state) {
    std::mt19937 rng(7);
    std::vector<pm::query::Expr> groups;
    const std::vector<std::string> conditions = {
        "labels.env equals prod",
        "labels.zone in \"eu-west-{}, eu-west-{}\"",
        "labels.rack startsWith r0{}",
        "labels.team equals team-{:02}",
        "labels.cpu greaterThanOrEquals {}",
        "not labels.gpu exists",
        "labels.os contains debian",
        "labels.host endsWith {}",
        "labels.team notIn \"team-{:02}, team-{:02}\"",
    };
    for (int g = 0; g < 1000; ++g) {
        std::string text;
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int c = 0; c < n; ++c) {
            if (c > 0) {
                text += rng() % 3 == 0 ? " or " : " and ";
            }
            text += fmt::format(fmt::runtime(conditions[rng() % conditions.size()]), rng() % 20,
                                rng() % 50);
        }
        groups.push_back(pm::query::parse(text).expr());
    }
    const pm::query::Labels device = {
        {"env", "Prod"}, {"zone", "eu-west-7"}, {"rack", "r042"},      {"team", "team-07"},
        {"cpu", "16"},   {"os", "Debian 12"},   {"host", "web-004242"}};
    std::int64_t selected = 0;
    for (auto _ : state) {
        selected = 0;
        for (const auto& group : groups) {
            selected += pm::query::matches(group, device) ? 1 : 0;
        }
        benchmark::DoNotOptimize(selected);
    }
    state.counters["groups"] = static_cast<double>(groups.size());
    state.counters["selected"] = static_cast<double>(selected);
}
BENCHMARK(BM_Memory_OneDeviceAgainst1000Groups)->Unit(benchmark::kMicrosecond);

void BM_Parse(benchmark::State& state) {
    const std::string text =
        "labels.env equals prod and (labels.zone in \"eu-west-1, eu-west-2\" or not "
        "labels[\"gpu\"] exists) and labels.cpu greaterThanOrEquals 8";
    for (auto _ : state) {
        benchmark::DoNotOptimize(pm::query::parse(text));
    }
}
BENCHMARK(BM_Parse);

}  // namespace
