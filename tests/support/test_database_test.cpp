// The per-test database fixture: every test gets its own clean clone of a template.
#include "support/test_database.hpp"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace {

using pm::testing::DatabaseTest;
using pm::testing::TestDatabase;

long user_table_count(const std::string& url) {
    pqxx::connection conn(url);
    pqxx::work tx(conn);
    return tx.exec1("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0].as<long>();
}

TEST(WithDatabase, ReplacesOnlyTheDatabaseName) {
    using pm::testing::with_database;
    EXPECT_EQ(with_database("postgresql://u@127.0.0.1:5/postgres", "x"),
              "postgresql://u@127.0.0.1:5/x");
    EXPECT_EQ(with_database("postgresql://u:p@h:5/postgres?sslmode=disable", "x"),
              "postgresql://u:p@h:5/x?sslmode=disable");
    EXPECT_EQ(with_database("postgresql://h", "x"), "postgresql://h/x");
    EXPECT_EQ(with_database("postgresql://h?connect_timeout=3", "x"),
              "postgresql://h/x?connect_timeout=3");
    EXPECT_THROW(with_database("host=h dbname=y", "x"), std::invalid_argument);
}

class EmptyDatabaseTest : public DatabaseTest {};

TEST_F(EmptyDatabaseTest, StartsEmptyAndIsItsOwn) {
    EXPECT_EQ(user_table_count(database_url()), 0);
    pqxx::connection conn(database_url());
    pqxx::work tx(conn);
    EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), database_name());
    tx.exec0("CREATE TABLE scratch (id int PRIMARY KEY)");
    tx.exec0("INSERT INTO scratch VALUES (1)");
    tx.commit();
    EXPECT_EQ(user_table_count(database_url()), 1);
}

TEST_F(EmptyDatabaseTest, DoesNotSeeAnotherTestsTables) {
    // The test above created `scratch` in its own database; whatever order ctest ran them
    // in, this one must not see it.
    EXPECT_EQ(user_table_count(database_url()), 0);
}

class SeededDatabaseTest : public DatabaseTest {
protected:
    std::string template_name() const override { return "pm_template_support_seeded_v1"; }
    void prepare_template(const std::string& url) override {
        pqxx::connection conn(url);
        pqxx::work tx(conn);
        tx.exec0("CREATE TABLE seeded (id int PRIMARY KEY, note text NOT NULL)");
        tx.exec0("INSERT INTO seeded VALUES (1, 'from the template')");
        tx.commit();
    }

    long seeded_rows() {
        pqxx::connection conn(database_url());
        pqxx::work tx(conn);
        return tx.exec1("SELECT count(*) FROM seeded")[0].as<long>();
    }
};

TEST_F(SeededDatabaseTest, CloneCarriesTheTemplateContent) {
    EXPECT_EQ(seeded_rows(), 1);
    pqxx::connection conn(database_url());
    pqxx::work tx(conn);
    tx.exec0("DELETE FROM seeded");
    tx.commit();
    EXPECT_EQ(seeded_rows(), 0);
}

TEST_F(SeededDatabaseTest, ChangesInOneCloneDoNotReachTheTemplate) {
    // Even when the test above ran first and emptied its clone.
    EXPECT_EQ(seeded_rows(), 1);
}

TEST(TestDatabase, ConcurrentCreatorsBuildTheTemplateOnce) {
    std::random_device random;
    const std::string name = "pm_template_race_" + std::to_string(random() % 100000000);
    std::atomic<int> preparations{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    std::vector<std::string> urls(6);
    for (std::size_t i = 0; i < urls.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                auto db = TestDatabase::create(name, [&](const std::string& url) {
                    ++preparations;
                    pqxx::connection conn(url);
                    pqxx::nontransaction tx(conn);
                    tx.exec0("CREATE TABLE marker (x int)");
                    tx.exec("SELECT pg_sleep(0.2)");  // widen the window for a race
                });
                urls[i] = db.url();
                EXPECT_EQ(user_table_count(db.url()), 1);
            } catch (const std::exception& e) {
                ++failures;
                ADD_FAILURE() << e.what();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(preparations.load(), 1);
    EXPECT_EQ(failures.load(), 0);
    pqxx::connection admin(pm::testing::admin_database_url());
    pqxx::nontransaction tx(admin);
    tx.exec0("DROP DATABASE IF EXISTS " + admin.quote_name(name));
}

}  // namespace
