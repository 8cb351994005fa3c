// Property tests: on random queries and random label sets, the SQL predicate (run by
// PostgreSQL over devices_projection) selects exactly the devices the in-memory evaluator
// selects; and AST -> text -> AST is the identity. PM_QUERY_SEED=<n> replays a run; the seed
// is printed with every failure.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <powermanage/db/connection.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/query/query.hpp>

#include "support/migrated_database.hpp"

namespace pm::query {
namespace {

std::uint64_t test_seed() {
    if (const char* env = std::getenv("PM_QUERY_SEED")) {
        return std::strtoull(env, nullptr, 10);
    }
    return std::random_device{}();
}

// Label names, including ones that would break spliced SQL, and non-ASCII ones.
const std::vector<std::string> kKeys = {
    "env",  "Env",      "zone",
    "cpu",  "name",     "a b",
    "k.1",  "\xc3\xbc", "x'); DROP TABLE devices_projection; --",
    "q\"\\"};

// Values: case variants, numbers of every shape, LIKE wildcards, non-ASCII letters whose case
// folding differs between ASCII-only and Unicode (é/É, ß, Turkish İ, the Kelvin sign).
const std::vector<std::string> kValues = {"prod",
                                          "Prod",
                                          "PROD",
                                          "dev",
                                          "eu-west_1",
                                          "50%",
                                          "a_b",
                                          "",
                                          "16",
                                          "9",
                                          "-2.5",
                                          "-0",
                                          "007",
                                          "7.0",
                                          "1e5",
                                          "+3",
                                          "NaN",
                                          " 5",
                                          "10.25",
                                          "-10",
                                          "Z\xc3\xbcrich",
                                          "Z\xc3\x9cRICH",
                                          "z\xc3\xbcrich",
                                          "\xc3\xa9",
                                          "\xc3\x89",
                                          "\xc3\x9f",
                                          "\xc4\xb0",
                                          "\xe2\x84\xaa",
                                          "k",
                                          "K",
                                          "a,b",
                                          "x y",
                                          "and",
                                          "(x)",
                                          "\\",
                                          "'"};

class Random {
public:
    explicit Random(std::uint64_t seed) : rng_(seed) {}

    std::size_t below(std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[below(v.size())];
    }

    // A value from the pool, sometimes with its ASCII letters' case changed, sometimes cut
    // to a substring (for contains, startsWith, endsWith).
    std::string value() {
        std::string v = pick(kValues);
        if (chance(0.3)) {
            for (char& c : v) {
                if (std::isalpha(static_cast<unsigned char>(c)) != 0 &&
                    (static_cast<unsigned char>(c) & 0x80) == 0 && chance(0.5)) {
                    c = static_cast<char>(std::isupper(static_cast<unsigned char>(c)) != 0
                                              ? std::tolower(c)
                                              : std::toupper(c));
                }
            }
        }
        if (chance(0.2) && !v.empty()) {
            // Cut at character boundaries: values stay valid UTF-8.
            std::vector<std::size_t> bounds;
            for (std::size_t i = 0; i <= v.size(); ++i) {
                if (i == v.size() || (static_cast<unsigned char>(v[i]) & 0xC0) != 0x80) {
                    bounds.push_back(i);
                }
            }
            std::size_t a = bounds[below(bounds.size())];
            std::size_t b = bounds[below(bounds.size())];
            if (a > b) {
                std::swap(a, b);
            }
            v = v.substr(a, b - a);
        }
        return v;
    }

    // An in/notIn part as the parser makes them: trimmed, no comma.
    std::string list_part() {
        std::string v = value();
        std::replace(v.begin(), v.end(), ',', ';');
        while (!v.empty() && v.front() == ' ') {
            v.erase(v.begin());
        }
        while (!v.empty() && v.back() == ' ') {
            v.pop_back();
        }
        return v;
    }

    Expr condition() {
        const Op op = static_cast<Op>(below(14));
        std::string key = pick(kKeys);
        if (is_unary(op)) {
            return Expr::cond(std::move(key), op);
        }
        if (op == Op::in || op == Op::not_in) {
            std::vector<std::string> parts;
            const std::size_t n = 1 + below(3);
            for (std::size_t i = 0; i < n; ++i) {
                parts.push_back(list_part());
            }
            return Expr::cond(std::move(key), op, std::move(parts));
        }
        return Expr::cond(std::move(key), op, {value()});
    }

    // Depth <= 5: the canonical text nests no deeper than the AST, within kMaxNesting.
    Expr expr(int depth) {
        if (depth >= 5 || chance(0.35)) {
            return condition();
        }
        if (chance(0.2)) {
            return Expr::negate(expr(depth + 1));
        }
        std::vector<Expr> children;
        const std::size_t n = 2 + below(3);
        for (std::size_t i = 0; i < n; ++i) {
            children.push_back(expr(depth + 1));
        }
        return chance(0.5) ? Expr::all_of(std::move(children)) : Expr::any_of(std::move(children));
    }

    Labels labels() {
        Labels out;
        for (const auto& key : kKeys) {
            if (chance(0.5)) {
                out[key] = value();
            }
        }
        return out;
    }

private:
    std::mt19937_64 rng_;
};

std::vector<db::Param> as_params(const std::vector<std::string>& values) {
    return {values.begin(), values.end()};
}

class QueryPropertyTest : public pm::testing::MigratedDatabaseTest {
protected:
    // Inserts `labels` as devices d0000, d0001, ... directly (no events needed here).
    void insert_devices(db::Connection& conn, const std::vector<Labels>& devices) {
        db::Transaction tx(conn, db::Actor::system());
        for (std::size_t i = 0; i < devices.size(); ++i) {
            boost::json::object json;
            for (const auto& [k, v] : devices[i]) {
                json[k] = v;
            }
            tx.exec(
                "INSERT INTO devices_projection (id, hostname, agent_version, cert_fingerprint, "
                "cert_serial, cert_not_after, registered_at, labels, projection_version) "
                "VALUES ($1, 'h', '1', 'f', $1, now(), now(), $2::jsonb, 1)",
                {fmt::format("d{:04}", i), boost::json::serialize(json)});
        }
        tx.commit();
    }
};

TEST_F(QueryPropertyTest, SqlAndMemoryAgree) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE(fmt::format("PM_QUERY_SEED={}", seed));
    Random random(seed);

    std::vector<Labels> devices;
    for (int i = 0; i < 300; ++i) {
        devices.push_back(random.labels());
    }
    db::Connection conn(database_url());
    insert_devices(conn, devices);

    int failures = 0;
    int nonempty = 0;
    for (int q = 0; q < 400 && failures < 5; ++q) {
        const Expr expr = q == 0 ? Expr{} : random.expr(0);
        // Mostly as the server runs it (the stored labels_lower); every 4th query through the
        // function instead.
        const SqlPredicate predicate =
            compile_sql(expr, "labels", 1, q % 4 == 3 ? "" : "labels_lower");
        db::Transaction tx(conn, db::Actor::system());
        const auto rows =
            tx.exec("SELECT id FROM devices_projection WHERE " + predicate.sql + " ORDER BY id",
                    as_params(predicate.params));
        std::set<std::string> in_sql;
        for (int r = 0; r < rows.rows(); ++r) {
            in_sql.emplace(rows.text(r, 0));
        }
        std::set<std::string> in_memory;
        for (std::size_t i = 0; i < devices.size(); ++i) {
            if (matches(expr, devices[i])) {
                in_memory.insert(fmt::format("d{:04}", i));
            }
        }
        nonempty += in_memory.empty() || in_memory.size() == devices.size() ? 0 : 1;
        if (in_sql != in_memory) {
            ++failures;
            std::string detail;
            for (std::size_t i = 0; i < devices.size(); ++i) {
                const std::string id = fmt::format("d{:04}", i);
                if (in_sql.contains(id) != in_memory.contains(id)) {
                    boost::json::object json;
                    for (const auto& [k, v] : devices[i]) {
                        json[k] = v;
                    }
                    detail +=
                        fmt::format("\n  {} sql={} memory={} labels={}", id, in_sql.contains(id),
                                    in_memory.contains(id), boost::json::serialize(json));
                    if (detail.size() > 2000) {
                        break;
                    }
                }
            }
            ADD_FAILURE() << "query " << q << ": " << to_text(expr) << "\nsql: " << predicate.sql
                          << detail;
        }
    }
    // The generator must produce queries that split the fleet, or the test proves little.
    EXPECT_GT(nonempty, 100);
}

TEST(QueryProperty, TextRoundTrips) {
    const std::uint64_t seed = test_seed();
    SCOPED_TRACE(fmt::format("PM_QUERY_SEED={}", seed));
    Random random(seed);
    int checked = 0;
    for (int i = 0; i < 3000; ++i) {
        const Expr expr = random.expr(0);
        const std::string text = to_text(expr);
        const ParseResult back = parse(text);
        if (!back.ok() && back.error().message.find("longer than 4096") != std::string::npos) {
            continue;  // a big random AST: the limit is tested in query_parse_test
        }
        ++checked;
        ASSERT_TRUE(back.ok()) << text << "\n" << back.error().message;
        ASSERT_EQ(back.expr(), expr) << text << "\n -> " << to_text(back.expr());
    }
    EXPECT_GT(checked, 2000);
}

TEST_F(QueryPropertyTest, EqualsInAndExistsUseTheIndexes) {
    db::Connection conn(database_url());
    db::Transaction tx(conn, db::Actor::system());
    tx.exec("SET LOCAL enable_seqscan = off");
    const auto plan_of = [&](std::string_view text) {
        const SqlPredicate p = compile_sql(parse(text).expr(), "labels", 1, "labels_lower");
        const auto rows = tx.exec("EXPLAIN SELECT id FROM devices_projection WHERE " + p.sql,
                                  as_params(p.params));
        std::string plan;
        for (int r = 0; r < rows.rows(); ++r) {
            plan += std::string(rows.text(r, 0)) + "\n";
        }
        return plan;
    };
    EXPECT_NE(plan_of("labels.env equals Prod").find("devices_projection_labels_lower"),
              std::string::npos);
    EXPECT_NE(plan_of("labels.env in a,b,c").find("devices_projection_labels_lower"),
              std::string::npos);
    EXPECT_NE(plan_of("labels.env exists").find("Bitmap Index Scan on devices_projection_labels "),
              std::string::npos)
        << plan_of("labels.env exists");
    const std::string both = plan_of("labels.env equals prod and labels.rack exists");
    EXPECT_NE(both.find("Index Scan"), std::string::npos) << both;
}

}  // namespace
}  // namespace pm::query
