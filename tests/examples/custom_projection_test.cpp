// examples/custom-projection, the real binary: catch up, kill -9 in the middle of a batch,
// resume, and the table equals what the events say; SIGTERM stops it cleanly; an unreachable
// database is an "unavailable" exit, not a crash.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <powermanage/db/connection.hpp>

#include "eventstore/store_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using pm::db::Actor;
using pm::db::Connection;
using pm::eventstore::ExpectedVersion;

// The program under test, run as its own process.
class Program {
public:
    explicit Program(std::vector<std::string> args) {
        log_ = std::filesystem::temp_directory_path() /
               ("pm-custom-projection-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter_++) + ".log");
        pid_ = ::fork();
        if (pid_ == 0) {
            const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(fd, STDERR_FILENO);
            ::dup2(fd, STDOUT_FILENO);
            std::vector<char*> argv;
            std::string program = PM_CUSTOM_PROJECTION_BIN;
            argv.push_back(program.data());
            for (auto& a : args) {
                argv.push_back(a.data());
            }
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;
    ~Program() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            wait(10s);
        }
        std::filesystem::remove(log_);
    }

    void signal(int sig) const { ::kill(pid_, sig); }

    // The exit code, -signal if killed, or nullopt if still running after `limit`.
    std::optional<int> wait(std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (true) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exited_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(20ms);
        }
    }

    std::string output() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    static inline int counter_ = 0;
    pid_t pid_ = -1;
    bool exited_ = false;
    std::filesystem::path log_;
};

using Counts = std::map<std::string, std::int64_t>;

Counts rows_of(Connection& conn, const std::string& sql) {
    const auto r = conn.exec(sql);
    Counts out;
    for (int i = 0; i < r.rows(); ++i) {
        out[std::string(r.text(i, 0))] = r.int64(i, 1);
    }
    return out;
}

class CustomProjection : public pm::testing::EventStoreTest {
protected:
    // Appends `n` events in appends of 10, over three stream types and four event types.
    void append(int n) {
        for (int i = 0; i < n; i += 10) {
            std::vector<pm::eventstore::NewEvent> events;
            for (int j = i; j < std::min(n, i + 10); ++j) {
                events.push_back(event(kTypes[(next_ + j) % 4], next_ + j));
            }
            const auto stream_type = kStreams[((next_ + i) / 10) % 3];
            store().append({stream_type, "s" + std::to_string((next_ + i) % 7)},
                           ExpectedVersion::any(), std::move(events), Actor::system());
        }
        next_ += n;
    }

    // What the events say, keyed like the projection's rows.
    Counts truth() {
        Connection conn(database_url());
        return rows_of(conn,
                       "SELECT stream_type || '/' || event_type || '/' || "
                       "floor(extract(epoch FROM occurred_at) / 3600)::bigint * 3600, count(*) "
                       "FROM events GROUP BY 1");
    }

    // The projection's rows; none while the program has not migrated its schema yet.
    Counts projected() {
        Connection conn(database_url());
        if (conn.exec("SELECT to_regclass('custom_projection.event_counts') IS NULL")
                .boolean(0, 0)) {
            return {};
        }
        return rows_of(conn,
                       "SELECT stream_type || '/' || event_type || '/' || "
                       "extract(epoch FROM hour)::bigint, n FROM custom_projection.event_counts");
    }

    // Events at or before the stored checkpoint, and the sum of the projection's counts.
    std::pair<std::int64_t, std::int64_t> covered_and_counted() {
        Connection conn(database_url());
        const auto r = conn.exec(
            "SELECT (SELECT count(*) FROM events e, custom_projection.checkpoints c"
            "        WHERE (e.transaction_id::text::bigint, e.position) <="
            "              (c.transaction_id, c.position)),"
            "       (SELECT coalesce(sum(n), 0) FROM custom_projection.event_counts)");
        return {r.int64(0, 0), r.int64(0, 1)};
    }

    std::int64_t checkpoint_position() {
        Connection conn(database_url());
        const auto r =
            conn.exec("SELECT coalesce(max(position), 0) FROM custom_projection.checkpoints");
        return r.int64(0, 0);
    }

    std::vector<std::string> args(std::vector<std::string> extra) const {
        std::vector<std::string> out = {"--database-url=" + database_url(), "--batch-size=50"};
        out.insert(out.end(), extra.begin(), extra.end());
        return out;
    }

    static constexpr const char* kTypes[] = {"Created", "Renamed", "Heartbeat", "Deleted"};
    static constexpr const char* kStreams[] = {"device", "job", "sensor"};
    int next_ = 0;
};

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

TEST_F(CustomProjection, ResumesAfterKill9MidBatchWithoutLossOrDoubleCount) {
    append(400);
    {
        Program once(args({"--once"}));
        ASSERT_EQ(once.wait(60s), 0) << once.output();
        EXPECT_NE(once.output().find("counted 400 events"), std::string::npos) << once.output();
    }
    ASSERT_EQ(projected(), truth());

    append(400);
    const auto first_run = checkpoint_position();
    {
        // Each batch's transaction stays open 300 ms after its update: kill inside one, after
        // at least one batch of the new events committed.
        Program follower(args({"--hold-batch=300ms"}));
        ASSERT_TRUE(wait_until([&] { return checkpoint_position() > first_run; }, 30s))
            << follower.output();
        Connection conn(database_url());
        ASSERT_TRUE(wait_until(
            [&] {
                return conn.exec(
                               "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND application_name ="
                               " 'pm-custom-projection' AND state = 'idle in transaction'")
                           .int64(0, 0) == 1;
            },
            10s))
            << "never caught the program inside a batch\n"
            << follower.output();
        follower.signal(SIGKILL);
        ASSERT_EQ(follower.wait(10s), -SIGKILL);
        // The server notices the dead client and rolls its batch back.
        ASSERT_TRUE(wait_until(
            [&] {
                return conn.exec(
                               "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND application_name ="
                               " 'pm-custom-projection'")
                           .int64(0, 0) == 0;
            },
            10s));
    }
    const auto [covered, counted] = covered_and_counted();
    EXPECT_EQ(counted, covered) << "the table and the checkpoint disagree after the kill";
    EXPECT_LT(counted, 800) << "the kill came too late to test anything";
    EXPECT_GT(counted, 400);

    {
        Program again(args({"--once"}));
        ASSERT_EQ(again.wait(60s), 0) << again.output();
        EXPECT_NE(again.output().find("counted " + std::to_string(800 - counted) + " events"),
                  std::string::npos)
            << again.output();
    }
    EXPECT_EQ(projected(), truth());
    EXPECT_EQ(covered_and_counted(), (std::pair<std::int64_t, std::int64_t>{800, 800}));
}

TEST_F(CustomProjection, FollowsLiveAndStopsCleanlyOnSigterm) {
    append(30);
    Program follower(args({}));
    ASSERT_TRUE(wait_until([&] { return projected() == truth(); }, 30s)) << follower.output();
    append(25);
    ASSERT_TRUE(wait_until([&] { return projected() == truth(); }, 30s)) << follower.output();
    follower.signal(SIGTERM);
    EXPECT_EQ(follower.wait(15s), 0) << follower.output();
    EXPECT_NE(follower.output().find("stopped at checkpoint"), std::string::npos)
        << follower.output();
}

TEST_F(CustomProjection, AnUnreachableDatabaseExitsAsUnavailable) {
    Program once({"--database-url=postgresql://127.0.0.1:1/none?connect_timeout=2", "--once"});
    EXPECT_EQ(once.wait(30s), 69) << once.output();
    EXPECT_NE(once.output().find("127.0.0.1"), std::string::npos) << once.output();
}

}  // namespace
