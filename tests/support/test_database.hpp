#pragma once

/// @file
/// @brief Each integration test gets a database of its own, cloned from a template that is
/// built once per test run, so tests are independent and `ctest -j` can run them in parallel.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace pm::testing {

/// Fills a newly created template database (for example, applies the schema). Runs once per
/// template per PostgreSQL cluster, under a lock, whichever test process gets there first.
using TemplatePreparer = std::function<void(const std::string& database_url)>;

/// The server every test database lives on: the URL in PM_TEST_DATABASE_URL, of a role that
/// may create databases. Throws std::runtime_error saying what to do when it is not set.
std::string admin_database_url();

/// `url` with its database name replaced by `database`.
std::string with_database(std::string_view url, std::string_view database);

/// A database created for one test and dropped when this object goes away (kept instead when
/// PM_TEST_KEEP_DATABASES is set, for looking at after a failure).
class TestDatabase {
public:
    /// Clones a new database from the template `template_name`, creating and preparing the
    /// template first if this cluster does not have it yet. Throws on any database error.
    static TestDatabase create(const std::string& template_name = "pm_template_empty",
                               const TemplatePreparer& prepare = {});

    TestDatabase(TestDatabase&& other) noexcept;
    TestDatabase& operator=(TestDatabase&&) = delete;
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;
    ~TestDatabase();

    /// The database's name, unique per test.
    const std::string& name() const { return name_; }
    /// A connection URL for it.
    const std::string& url() const { return url_; }

private:
    TestDatabase(std::string name, std::string url)
        : name_(std::move(name)), url_(std::move(url)) {}

    std::string name_;
    std::string url_;
};

/// A gtest fixture whose test body has a fresh database at database_url(). Subclasses that
/// need a schema override template_name() and prepare_template().
class DatabaseTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    /// Names the template; change it whenever prepare_template() would build something else.
    virtual std::string template_name() const { return "pm_template_empty"; }
    /// Fills the template; the default leaves it empty.
    virtual void prepare_template(const std::string& /*database_url*/) {}

    /// The test's own database.
    const std::string& database_url() const;
    /// The test's own database's name.
    const std::string& database_name() const;

private:
    std::optional<TestDatabase> database_;
};

}  // namespace pm::testing
