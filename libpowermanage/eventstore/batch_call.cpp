#include "eventstore/batch_call.hpp"

#include <fmt/format.h>

#include <powermanage/common/time.hpp>
#include <powermanage/db/text_array.hpp>

#include "eventstore/rows.hpp"

namespace pm::eventstore::detail {
namespace {

// ULID bytes in UUID text form: time-ordered ids keep the event_id index compact.
std::string uuid_text(const Ulid& id) {
    const auto& b = id.bytes();
    return fmt::format(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
        "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
        b[14], b[15]);
}

}  // namespace

std::vector<BatchOutcome> call_append_batch(db::Connection& conn,
                                            std::span<const BatchEntry> entries, UlidGenerator& ids,
                                            Clock::TimePoint now) {
    std::vector<std::string> stream_types, stream_ids, expected, counts, actor_types, actor_ids;
    std::vector<std::string> callers, event_ids, event_types, data, metadata;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const BatchEntry& r = entries[i];
        stream_types.push_back(r.stream->type);
        stream_ids.push_back(r.stream->id);
        expected.push_back(std::to_string(r.expected.encoded()));
        counts.push_back(std::to_string(r.events->size()));
        actor_types.push_back(std::string(db::to_string(r.actor->type)));
        actor_ids.push_back(r.actor->id);
        for (const auto& e : *r.events) {
            callers.push_back(std::to_string(i + 1));
            event_ids.push_back(uuid_text(ids.next()));
            event_types.push_back(e.type);
            data.push_back(boost::json::serialize(e.data));
            metadata.push_back(boost::json::serialize(e.metadata));
        }
    }
    // Prepared: the call is the same text every time, so it is parsed and planned once per
    // connection.
    const auto result = conn.exec_prepared(
        "SELECT caller, first_version, actual_version, last_position FROM pm_append_batch("
        "$1::text[], $2::text[], $3::bigint[], $4::integer[], $5::text[], $6::text[], "
        "$7::integer[], $8::uuid[], $9::text[], $10::jsonb[], $11::jsonb[], $12::timestamptz)",
        {db::text_array_literal(stream_types), db::text_array_literal(stream_ids),
         db::text_array_literal(expected), db::text_array_literal(counts),
         db::text_array_literal(actor_types), db::text_array_literal(actor_ids),
         db::text_array_literal(callers), db::text_array_literal(event_ids),
         db::text_array_literal(event_types), db::text_array_literal(data),
         db::text_array_literal(metadata), pm::format_rfc3339(now)});
    std::vector<BatchOutcome> out(entries.size());
    for (int row = 0; row < result.rows(); ++row) {
        BatchOutcome& o = out.at(static_cast<std::size_t>(result.int64(row, 0) - 1));
        o.actual_version = static_cast<std::int32_t>(result.int64(row, 2));
        if (result.is_null(row, 1)) {
            continue;
        }
        AppendResult r;
        r.first_version = static_cast<std::int32_t>(result.int64(row, 1));
        r.last_version = o.actual_version;
        r.last_position = result.int64(row, 3);
        o.result = r;
    }
    return out;
}

}  // namespace pm::eventstore::detail
