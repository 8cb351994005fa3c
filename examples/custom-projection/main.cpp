// pm-custom-projection: follows the event store from its checkpoint into a table of its own
// (events per stream type, event type and hour), updating the table and the checkpoint in one
// transaction per batch, so that a kill at any moment neither loses nor double-counts an event.
// Runs until SIGINT/SIGTERM, or with --once catches up and exits.

#include <cstdio>
#include <optional>
#include <span>
#include <thread>

#include <fmt/format.h>

#include <powermanage/common/config.hpp>
#include <powermanage/common/stop_signal.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/migration_set.hpp>
#include <powermanage/eventstore/checkpointed_subscription.hpp>

#include "event_counts.hpp"

namespace {

using std::chrono::milliseconds;

// sysexits.h's EX_UNAVAILABLE: the database is down; try again later.
constexpr int kExitUnavailable = 69;

pm::OptionSet options() {
    pm::OptionSet set("pm-custom-projection",
                      "Counts the events of a libpowermanage event store per stream type, event "
                      "type and hour into a table of its own, resuming from its checkpoint.");
    set.add_url("database-url")
        .env("PM_DATABASE_URL")
        .schemes({"postgres", "postgresql"})
        .secret()
        .required()
        .help("PostgreSQL URL of the event store, e.g. postgresql://user:pw@host/powermanage.");
    set.add_string("schema")
        .default_value("custom_projection")
        .help("The projection's own schema (its table, checkpoints and migration records).");
    set.add_string("subscriber")
        .default_value("event_counts")
        .help("This follower's row in the checkpoint table.");
    set.add_int("batch-size").default_value(500).range(1, 100000).help("Events per transaction.");
    set.add_bool("once").default_value(false).help("Catch up with the store, then exit.");
    set.add_duration("hold-batch")
        .default_value(milliseconds(0))
        .help(
            "Keep each batch's transaction open this long after its update, to watch (or test) "
            "a kill in the middle of a batch.");
    return set;
}

int follow(const std::string& url, const pm::eventstore::CheckpointedSubscription::Handler& handler,
           const pm::eventstore::CheckpointedSubscriptionOptions& options) {
    const pm::StopSignalWatcher waiter;
    pm::eventstore::CheckpointedSubscription subscription(url, handler, options);
    std::uint64_t reported = 0;
    bool was_available = true;
    while (!waiter.interrupted() && subscription.running()) {
        std::this_thread::sleep_for(milliseconds(200));
        if (subscription.delivered() != reported) {
            reported = subscription.delivered();
            fmt::print(stderr, "counted {} events, checkpoint {}\n", reported,
                       subscription.position().to_string());
        }
        if (subscription.available() != was_available) {
            was_available = subscription.available();
            fmt::print(stderr, "{}\n",
                       was_available ? "database back; following again"
                                     : "database unavailable, retrying: " +
                                           subscription.last_database_error());
        }
    }
    subscription.stop();
    if (!subscription.error().empty()) {
        fmt::print(stderr, "pm-custom-projection: {}\n", subscription.error());
        return 1;
    }
    fmt::print(stderr, "stopped at checkpoint {}\n", subscription.position().to_string());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    try {
        const auto config = set.parse_or_exit(argc, argv);
        const std::string url = config.get_url("database-url");
        const std::string schema = config.get_string("schema");
        const auto hold = config.get_duration("hold-batch");

        std::optional<custom_projection::EventCounter> counter;
        {
            pm::db::Connection conn(url);
            const auto report = pm::db::migrate(conn, custom_projection::migration_set(schema));
            if (!report.applied.empty()) {
                fmt::print(stderr, "migrated schema {} to version {}\n", schema, report.to_version);
            }
            counter.emplace(conn, schema);
        }

        pm::eventstore::CheckpointedSubscriptionOptions options;
        options.subscriber = config.get_string("subscriber");
        options.checkpoint = {schema, custom_projection::kCheckpointTable};
        options.create_table = false;  // the migrations own it
        options.batch_size = static_cast<std::size_t>(config.get_int("batch-size"));
        options.application_name = "pm-custom-projection";
        auto handler = [&counter, hold](pm::db::Transaction& tx,
                                        std::span<const pm::eventstore::RecordedEvent> events) {
            counter->add(tx, events);
            if (hold.count() > 0) {
                std::this_thread::sleep_for(hold);
            }
        };

        if (config.get_bool("once")) {
            const auto n =
                pm::eventstore::CheckpointedSubscription::catch_up(url, handler, options);
            pm::db::Connection conn(url);
            fmt::print(stderr, "caught up: counted {} events, checkpoint {}\n", n,
                       pm::eventstore::load_checkpoint(conn, options.checkpoint, options.subscriber)
                           .to_string());
            return 0;
        }
        return follow(url, handler, options);
    } catch (const pm::db::DatabaseError& e) {
        fmt::print(stderr, "pm-custom-projection: {}\n", e.what());
        return e.is_connection_failure() ? kExitUnavailable : 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "pm-custom-projection: {}\n", e.what());
        return 1;
    }
}
