#include <fmt/format.h>

#include <powermanage/db/errors.hpp>
#include <powermanage/db/text_array.hpp>
#include <powermanage/db/transaction.hpp>
#include <powermanage/projection/rebuild.hpp>

namespace pm::projection {
namespace {

// Session-level, so that a second rebuild fails at once instead of waiting, and so that a
// crashed one (whose session ends) never leaves it held.
constexpr std::int64_t kRebuildLock = 0x706d5f7265627569;

// The swap waits at most this long for a lock (a reader in a long transaction, or an append
// holding a projection row) before it gives up, lets appends go on and tries again.
constexpr int kSwapAttempts = 5;

std::vector<std::string> parse_text_array(std::string_view text) {
    // PostgreSQL's text form of a text[] of identifiers: {a,b,c} (no quoting needed).
    std::vector<std::string> out;
    if (text.size() < 2) {
        return out;
    }
    text = text.substr(1, text.size() - 2);
    while (!text.empty()) {
        const auto comma = text.find(',');
        out.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    return out;
}

class RebuildLock {
public:
    explicit RebuildLock(db::Connection& conn) : conn_(conn) {
        const auto got = conn_.exec(fmt::format("SELECT pg_try_advisory_lock({})", kRebuildLock));
        if (!got.boolean(0, 0)) {
            throw db::DatabaseError(
                "another rebuild of the projections is running on this database; wait for it "
                "to finish (a rebuild interrupted by a crash is resumed by the next one)",
                "55P03");
        }
    }
    RebuildLock(const RebuildLock&) = delete;
    RebuildLock& operator=(const RebuildLock&) = delete;
    ~RebuildLock() {
        try {
            if (conn_.is_open()) {
                conn_.exec(fmt::format("SELECT pg_advisory_unlock({})", kRebuildLock));
            }
        } catch (const db::DatabaseError&) {
            // The session is gone or broken: its locks went with it.
        }
    }

private:
    db::Connection& conn_;
};

std::int64_t count_events(db::Connection& conn, const std::string& types, std::int64_t after,
                          std::int64_t upto) {
    db::Transaction tx(conn, db::Actor::system("rebuild"));
    const auto n = tx.exec(
                         "SELECT count(*) FROM events WHERE stream_type = ANY ($1::text[]) "
                         "AND position > $2 AND position <= $3",
                         {types, std::to_string(after), std::to_string(upto)})
                       .int64(0, 0);
    tx.commit();
    return n;
}

}  // namespace

RebuildReport rebuild(db::Connection& conn, const std::vector<std::string>& stream_types,
                      const std::function<void(const RebuildProgress&)>& progress, int batch) {
    const auto started = std::chrono::steady_clock::now();
    const db::Param requested =
        stream_types.empty() ? db::Param() : db::Param(db::text_array_literal(stream_types));
    RebuildLock lock(conn);
    RebuildReport report;
    std::int64_t checkpoint = 0;
    {
        db::Transaction tx(conn, db::Actor::system("rebuild"));
        const auto begun = tx.exec(
            "SELECT stream_types::text, last_position, resumed FROM pm_rebuild_begin($1::text[])",
            {requested});
        report.stream_types = parse_text_array(begun.text(0, 0));
        checkpoint = begun.int64(0, 1);
        report.resumed = begun.boolean(0, 2);
        tx.commit();
    }
    const std::string types = db::text_array_literal(report.stream_types);
    RebuildProgress state;
    if (report.resumed) {
        report.resumed_from = count_events(conn, types, 0, checkpoint);
        state.replayed = report.resumed_from;
    }
    state.total = state.replayed;
    std::int64_t counted_upto = checkpoint;

    // Replay up to a horizon, then up to a new one, until a pass finds less than a batch: what
    // is left then is replayed inside the swap, while appends wait.
    for (;;) {
        std::int64_t horizon = 0;
        {
            db::Transaction tx(conn, db::Actor::system("rebuild"));
            horizon = tx.exec("SELECT pm_rebuild_horizon()").int64(0, 0);
            tx.commit();
        }
        state.total += count_events(conn, types, counted_upto, horizon);
        counted_upto = horizon;
        if (progress) {
            progress(state);
        }
        std::int64_t pass = 0;
        for (;;) {
            db::Transaction tx(conn, db::Actor::system("rebuild"));
            const auto step = tx.exec("SELECT last_position, replayed FROM pm_rebuild_step($1, $2)",
                                      {std::to_string(horizon), std::to_string(batch)});
            tx.commit();
            const auto replayed = step.int64(0, 1);
            pass += replayed;
            state.replayed += replayed;
            if (progress) {
                progress(state);
            }
            if (replayed < batch) {
                break;
            }
        }
        if (pass < batch) {
            break;
        }
    }

    for (int attempt = 1;; ++attempt) {
        try {
            db::Transaction tx(conn, db::Actor::system("rebuild"));
            tx.exec("SET LOCAL lock_timeout = '5s'");
            report.caught_up =
                tx.exec("SELECT pm_rebuild_finish($1)", {std::to_string(batch)}).int64(0, 0);
            tx.commit();
            break;
        } catch (const db::DatabaseError& e) {
            const bool lock_lost = e.sqlstate() == "55P03" || e.is_retryable();
            if (!lock_lost || attempt == kSwapAttempts) {
                throw;
            }
        }
    }
    state.replayed += report.caught_up;
    state.total = std::max(state.total, state.replayed);
    if (progress) {
        progress(state);
    }
    report.events = state.replayed - report.resumed_from;
    report.elapsed = std::chrono::steady_clock::now() - started;
    return report;
}

std::vector<std::string> projected_stream_types(db::Connection& conn) {
    const auto r = conn.exec("SELECT stream_type FROM pm_projection_catalogue() ORDER BY 1");
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.emplace_back(r.text(i, 0));
    }
    return out;
}

}  // namespace pm::projection
