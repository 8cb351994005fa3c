// pm-admin: the operator's database tool. Each command is a few calls into libpowermanage.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include <powermanage/ca/authority.hpp>
#include <powermanage/common/config.hpp>
#include <powermanage/common/progress.hpp>
#include <powermanage/common/time.hpp>
#include <powermanage/db/connection.hpp>
#include <powermanage/db/migrations.hpp>
#include <powermanage/db/pool.hpp>
#include <powermanage/eventstore/event_store.hpp>
#include <powermanage/projection/rebuild.hpp>

namespace {

constexpr const char* kCommands = R"(commands:
  migrate                          apply the schema migrations this binary has, then exit
  rebuild-projections [TYPE...]    rebuild every projection, or those of the stream types given
                                   (user, token, device, device_group, action, action_set,
                                   definition, assignment, execution, user_selection), beside
                                   the live ones, which it replaces at the end in one short
                                   transaction; appends go on meanwhile; run it again after a
                                   crash and it resumes
  events tail [--from start|now|TX:POS]
                                   print events as they are appended, until Ctrl-C
  state-at TYPE/ID TIME            a stream's projection rows as of TIME (RFC 3339)
  status                           schema version and event count
  issue-server-certificate NAME... a gateway server certificate and key signed by the CA
                                   (--ca-cert, --ca-key, --out-dir); NAMEs are DNS names or
                                   IP addresses; no database needed
)";

std::atomic<bool> interrupted{false};

void on_signal(int) {
    interrupted = true;
}

pm::OptionSet options() {
    pm::OptionSet set("pm-admin", "The operator's database tool for libpowermanage.");
    set.add_url("database-url")
        .env("PM_DATABASE_URL")
        .schemes({"postgres", "postgresql"})
        .secret()
        .help("PostgreSQL URL, e.g. postgresql://user:password@host:5432/powermanage.");
    set.add_path("ca-cert")
        .env("CONTROL_CA_CERT")
        .default_value("/certs/ca.crt")
        .help("issue-server-certificate: the CA certificate (PEM).");
    set.add_path("ca-key")
        .env("CONTROL_CA_KEY")
        .default_value("/certs/ca.key")
        .help("issue-server-certificate: the CA key (PEM).");
    set.add_path("out-dir").default_value(".").help(
        "issue-server-certificate: where server.crt and server.key are written.");
    set.add_duration("validity")
        .default_value("8760h")
        .help("issue-server-certificate: lifetime of the certificate.");
    set.add_int("batch")
        .default_value(10000)
        .range(1, 1000000)
        .help("rebuild-projections: events per committed step (and per checkpoint).");
    set.add_string("from").default_value("now").help(
        "events tail: start, now, or a position TX:POS.");
    set.allow_positional("COMMAND [ARGS...]");
    return set;
}

int migrate(const std::string& url) {
    pm::db::Connection conn(url);
    const auto report =
        pm::db::migrate(conn, pm::db::builtin_migrations(), [](const pm::db::Migration& m) {
            fmt::print("applying migration {} ({})\n", m.version, m.name);
        });
    if (report.applied.empty()) {
        fmt::print("schema is up to date at version {}\n", report.to_version);
    } else {
        fmt::print("schema migrated from version {} to {}\n", report.from_version,
                   report.to_version);
    }
    return 0;
}

int rebuild(const std::string& url, const std::vector<std::string>& types, int batch) {
    pm::db::Connection conn(url);
    pm::db::require_current_schema(conn);
    pm::ProgressBar bar(stderr, "rebuild", "events");
    const auto report = pm::projection::rebuild(
        conn, types,
        [&](const pm::projection::RebuildProgress& p) { bar.update(p.replayed, p.total); }, batch);
    bar.finish();
    const double seconds = std::chrono::duration<double>(report.elapsed).count();
    if (report.resumed) {
        fmt::print("resumed an interrupted rebuild after its first {} events\n",
                   report.resumed_from);
    }
    fmt::print(
        "rebuilt {} from {} events in {:.1f} s ({:.0f} events/s; {} appended meanwhile were "
        "replayed in the swap)\n",
        fmt::join(report.stream_types, ", "), report.events, seconds,
        seconds > 0 ? static_cast<double>(report.events) / seconds : 0.0, report.caught_up);
    return 0;
}

int tail(const std::string& url, const std::string& from) {
    pm::db::ConnectionPool pool(url, 2);
    {
        auto conn = pool.acquire();
        pm::db::require_current_schema(*conn);
    }
    pm::eventstore::EventStore store(pool);
    pm::eventstore::Position start;
    if (from == "start") {
        start = pm::eventstore::Position::start();
    } else if (from == "now") {
        // Skip what is already final; later commits, including late ones, will follow.
        for (;;) {
            const auto page = store.read_all(start, 10000);
            if (page.events.empty()) {
                break;
            }
            start = page.next;
        }
    } else if (const auto p = pm::eventstore::Position::parse(from)) {
        start = *p;
    } else {
        fmt::print(stderr,
                   "pm-admin: --from must be start, now or TX:POS (as printed by tail), not '{}'\n",
                   from);
        return 2;
    }
    auto sub = store.subscribe(start, [](const pm::eventstore::RecordedEvent& e) {
        fmt::print("{} {} {}/{} v{} {}:{} {}\n", e.position.to_string(),
                   pm::format_rfc3339(e.occurred_at), e.stream.type, e.stream.id, e.version,
                   e.actor_type, e.actor_id, e.type);
        fmt::print("    {}\n", boost::json::serialize(e.data));
        std::fflush(stdout);
    });
    fmt::print(stderr, "following events after {}; Ctrl-C stops\n", start.to_string());
    while (!interrupted && sub->error().empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    sub->stop();
    if (!sub->error().empty()) {
        fmt::print(stderr, "pm-admin: {}\n", sub->error());
        return 1;
    }
    return 0;
}

int state_at(const std::string& url, const std::string& stream, const std::string& time) {
    const auto slash = stream.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == stream.size()) {
        fmt::print(stderr, "pm-admin: the stream must be TYPE/ID, e.g. device/01HV..., not '{}'\n",
                   stream);
        return 2;
    }
    const auto at = pm::parse_rfc3339(time);
    if (!at) {
        fmt::print(stderr,
                   "pm-admin: the time must be RFC 3339, e.g. 2026-11-26T12:00:00Z, not '{}'\n",
                   time);
        return 2;
    }
    pm::db::ConnectionPool pool(url, 1);
    pm::eventstore::EventStore store(pool);
    const auto state = store.state_at({stream.substr(0, slash), stream.substr(slash + 1)}, *at);
    fmt::print("{}\n", boost::json::serialize(state));
    return 0;
}

int issue_server_certificate(const pm::Config& config, const std::vector<std::string>& names) {
    std::vector<std::string> dns;
    std::vector<std::string> ips;
    for (const auto& name : names) {
        boost::system::error_code ec;
        boost::asio::ip::make_address(name, ec);
        (ec ? dns : ips).push_back(name);
    }
    const auto authority = pm::ca::CertificateAuthority::from_files(
        config.get_path("ca-cert").string(), config.get_path("ca-key").string());
    const auto issued = authority.issue_server_certificate(
        dns, ips,
        std::chrono::duration_cast<std::chrono::seconds>(config.get_duration("validity")));
    const auto dir = config.get_path("out-dir");
    std::filesystem::create_directories(dir);
    const auto write = [](const std::filesystem::path& path, const std::string& text,
                          std::filesystem::perms perms) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            throw std::runtime_error("cannot write " + path.string());
        }
        out.close();
        std::filesystem::permissions(path, perms);
    };
    using std::filesystem::perms;
    write(dir / "server.key", issued.private_key_pem, perms::owner_read | perms::owner_write);
    write(dir / "server.crt", issued.certificate.pem,
          perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
    fmt::print("wrote {} and {} (serial {}, valid until {})\n", (dir / "server.crt").string(),
               (dir / "server.key").string(), issued.certificate.serial_hex,
               pm::format_rfc3339(issued.certificate.not_after));
    return 0;
}

int status(const std::string& url) {
    pm::db::Connection conn(url);
    fmt::print("schema version {} (this binary has {})\n", pm::db::schema_version(conn),
               pm::db::builtin_migrations().back().version);
    if (pm::db::schema_version(conn) > 0) {
        const auto r = conn.exec("SELECT count(*), coalesce(max(position), 0) FROM events");
        fmt::print("{} events, last position {}\n", r.text(0, 0), r.text(0, 1));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const auto set = options();
    try {
        const auto config = set.parse_or_exit(argc, argv, std::string("\n") + kCommands);
        const auto& args = config.positional();
        if (args.empty()) {
            fmt::print(stderr, "pm-admin: no command given.\n{}", kCommands);
            return 2;
        }
        const std::string& command = args[0];
        if (command == "issue-server-certificate" && args.size() > 1) {
            return issue_server_certificate(config, {args.begin() + 1, args.end()});
        }
        if (!config.has("database-url")) {
            fmt::print(stderr, "pm-admin: {} needs --database-url or PM_DATABASE_URL\n", command);
            return 2;
        }
        const std::string url = config.get_url("database-url");
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        if (command == "migrate" && args.size() == 1) {
            return migrate(url);
        }
        if (command == "rebuild-projections") {
            return rebuild(url, {args.begin() + 1, args.end()},
                           static_cast<int>(config.get_int("batch")));
        }
        if (command == "events" && args.size() == 2 && args[1] == "tail") {
            return tail(url, config.get_string("from"));
        }
        if (command == "state-at" && args.size() == 3) {
            return state_at(url, args[1], args[2]);
        }
        if (command == "status" && args.size() == 1) {
            return status(url);
        }
        fmt::print(stderr, "pm-admin: unknown command or wrong arguments: '{}'\n{}",
                   fmt::join(args, " "), kCommands);
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "pm-admin: {}\n", e.what());
        return 1;
    }
}
