#include <powermanage/db/transaction.hpp>
#include <powermanage/projection/rebuild.hpp>

#include "eventstore/rows.hpp"

namespace pm::projection {
namespace {

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

}  // namespace

RebuildReport rebuild(db::Connection& conn, const std::vector<std::string>& stream_types,
                      const std::function<void(const RebuildProgress&)>& progress, int batch) {
    const auto started = std::chrono::steady_clock::now();
    const db::Param requested = stream_types.empty()
                                    ? db::Param()
                                    : db::Param(eventstore::detail::array_literal(stream_types));
    db::Transaction tx(conn, db::Actor::system("rebuild"));
    RebuildReport report;
    const auto types = tx.exec("SELECT pm_truncate_projections($1::text[])::text", {requested});
    report.stream_types = parse_text_array(types.text(0, 0));
    const std::string types_param = eventstore::detail::array_literal(report.stream_types);
    RebuildProgress state;
    state.total =
        tx.exec("SELECT count(*) FROM events WHERE stream_type = ANY ($1::text[])", {types_param})
            .int64(0, 0);
    if (progress) {
        progress(state);
    }
    std::int64_t last = 0;
    for (;;) {
        const auto step =
            tx.exec("SELECT last_position, replayed FROM pm_replay_events($1, $2, $3::text[])",
                    {std::to_string(last), std::to_string(batch), types_param});
        last = step.int64(0, 0);
        const auto replayed = step.int64(0, 1);
        state.replayed += replayed;
        if (progress) {
            progress(state);
        }
        if (replayed < batch) {
            break;
        }
    }
    tx.commit();
    report.events = state.replayed;
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
