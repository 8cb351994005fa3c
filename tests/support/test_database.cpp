#include "support/test_database.hpp"

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include <pqxx/pqxx>
#include <unistd.h>

namespace pm::testing {
namespace {

std::string unique_database_name() {
    static std::atomic<int> counter{0};
    std::random_device random;
    return "pm_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(random() % 1000000);
}

bool database_exists(pqxx::transaction_base& tx, const std::string& name) {
    return !tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).empty();
}

// CREATE/DROP DATABASE cannot run inside a transaction block.
void exec_outside_transaction(pqxx::connection& conn, const std::string& sql) {
    pqxx::nontransaction tx(conn);
    tx.exec0(sql);
}

void ensure_template(pqxx::connection& admin, const std::string& template_name,
                     const TemplatePreparer& prepare) {
    // One process builds the template while the others wait; the lock is per session, so
    // it goes away with a crashed builder's connection.
    pqxx::nontransaction lock_tx(admin);
    lock_tx.exec("SELECT pg_advisory_lock(hashtext('pm_test_template'))");
    try {
        if (!database_exists(lock_tx, template_name)) {
            const std::string building = template_name + "_building";
            lock_tx.exec0("DROP DATABASE IF EXISTS " + admin.quote_name(building) +
                          " WITH (FORCE)");
            lock_tx.exec0("CREATE DATABASE " + admin.quote_name(building));
            if (prepare) {
                prepare(with_database(admin_database_url(), building));
            }
            // Renamed only when complete, so nobody clones a half-built template.
            lock_tx.exec0("ALTER DATABASE " + admin.quote_name(building) + " RENAME TO " +
                          admin.quote_name(template_name));
        }
    } catch (...) {
        lock_tx.exec("SELECT pg_advisory_unlock(hashtext('pm_test_template'))");
        throw;
    }
    lock_tx.exec("SELECT pg_advisory_unlock(hashtext('pm_test_template'))");
}

}  // namespace

std::string admin_database_url() {
    const char* url = std::getenv("PM_TEST_DATABASE_URL");
    if (url == nullptr || *url == '\0') {
        throw std::runtime_error(
            "PM_TEST_DATABASE_URL is not set. Run the tests through scripts/test, which starts a "
            "throwaway PostgreSQL, or set it to the URL of a role that may create databases, "
            "e.g. postgresql://postgres@127.0.0.1:5432/postgres");
    }
    return url;
}

std::string with_database(std::string_view url, std::string_view database) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        throw std::invalid_argument("not a postgresql:// URL: " + std::string(url));
    }
    const auto query = url.find('?', scheme + 3);
    const auto host_end = url.substr(0, query).find('/', scheme + 3);
    std::string out(url.substr(0, host_end == std::string_view::npos ? query : host_end));
    out += '/';
    out += database;
    if (query != std::string_view::npos) {
        out += url.substr(query);
    }
    return out;
}

TestDatabase TestDatabase::create(const std::string& template_name,
                                  const TemplatePreparer& prepare) {
    const std::string admin_url = admin_database_url();
    pqxx::connection admin(admin_url);
    ensure_template(admin, template_name, prepare);
    std::string name = unique_database_name();
    exec_outside_transaction(admin, "CREATE DATABASE " + admin.quote_name(name) + " TEMPLATE " +
                                        admin.quote_name(template_name));
    std::string url = with_database(admin_url, name);
    return TestDatabase(std::move(name), std::move(url));
}

TestDatabase::TestDatabase(TestDatabase&& other) noexcept
    : name_(std::move(other.name_)), url_(std::move(other.url_)) {
    other.name_.clear();
}

TestDatabase::~TestDatabase() {
    if (name_.empty() || std::getenv("PM_TEST_KEEP_DATABASES") != nullptr) {
        return;
    }
    try {
        pqxx::connection admin(admin_database_url());
        exec_outside_transaction(
            admin, "DROP DATABASE IF EXISTS " + admin.quote_name(name_) + " WITH (FORCE)");
    } catch (const std::exception& e) {
        // A leftover database dies with the throwaway cluster; say so rather than throw.
        ADD_FAILURE() << "could not drop test database " << name_ << ": " << e.what();
    }
}

void DatabaseTest::SetUp() {
    try {
        database_.emplace(TestDatabase::create(
            template_name(), [this](const std::string& url) { prepare_template(url); }));
    } catch (const std::exception& e) {
        GTEST_FAIL() << "no test database: " << e.what();
    }
}

void DatabaseTest::TearDown() {
    database_.reset();
}

const std::string& DatabaseTest::database_url() const {
    return database_.value().url();
}

const std::string& DatabaseTest::database_name() const {
    return database_.value().name();
}

}  // namespace pm::testing
