// A device's resolved configuration, read with a few set-based statements. Every statement
// starts from the device's assignments found through assignments_projection_target (the device
// itself and each of its groups from device_group_members_projection_device_id), so the cost
// grows with what reaches the device, not with the size of the catalogue.
#include <cstddef>
#include <stdexcept>

#include <fmt/format.h>

#include <powermanage/db/text_array.hpp>
#include <powermanage/projection/resolution.hpp>

namespace pm::projection {

namespace {

// The live assignments reaching device $1, directly or through a group. A deleted group has no
// member rows (DeviceGroupDeleted removes them), so membership alone means a live group.
constexpr const char* kReach = R"SQL(
reach AS (
    SELECT a.id, a.source_type, a.source_id, a.mode, a.sort_order, a.created_at
    FROM assignments_projection a
    WHERE a.target_type = 'device' AND a.target_id = $1 AND NOT a.is_deleted
    UNION ALL
    SELECT a.id, a.source_type, a.source_id, a.mode, a.sort_order, a.created_at
    FROM device_group_members_projection m
    JOIN assignments_projection a
      ON a.target_type = 'device_group' AND a.target_id = m.group_id AND NOT a.is_deleted
    WHERE m.device_id = $1
))SQL";

// What each assignment contributes to the actions it reaches (DesiredState numbers):
// PRESENT (0) gives 0, ABSENT (2) gives 1, AVAILABLE gives 0 when selected, 1 when the user
// opted out, NULL (nothing) when they never chose.
constexpr const char* kContribution = R"SQL(
contrib AS (
    SELECT r.*, CASE WHEN r.mode = 0 THEN 0
                     WHEN r.mode = 2 THEN 1
                     WHEN s.selected THEN 0
                     WHEN NOT s.selected THEN 1 END AS state
    FROM reach r
    LEFT JOIN user_selections_projection s
      ON s.device_id = $1 AND s.source_type = r.source_type AND s.source_id = r.source_id
))SQL";

// Every (assignment, action) path with its ordering keys; only live sets and definitions.
constexpr const char* kPaths = R"SQL(
paths AS (
    SELECT c.state, c.sort_order, c.created_at, c.id AS assignment_id,
           0 AS d_order, 0 AS s_order, c.source_id AS action_id
    FROM contrib c WHERE c.source_type = 'action' AND c.state IS NOT NULL
    UNION ALL
    SELECT c.state, c.sort_order, c.created_at, c.id, 0, m.sort_order, m.action_id
    FROM contrib c
    JOIN action_sets_projection st ON st.id = c.source_id AND NOT st.is_deleted
    JOIN action_set_members_projection m ON m.set_id = st.id
    WHERE c.source_type = 'action_set' AND c.state IS NOT NULL
    UNION ALL
    SELECT c.state, c.sort_order, c.created_at, c.id, dm.sort_order, m.sort_order, m.action_id
    FROM contrib c
    JOIN definitions_projection df ON df.id = c.source_id AND NOT df.is_deleted
    JOIN definition_members_projection dm ON dm.definition_id = df.id
    JOIN action_sets_projection st ON st.id = dm.action_set_id AND NOT st.is_deleted
    JOIN action_set_members_projection m ON m.set_id = st.id
    WHERE c.source_type = 'definition' AND c.state IS NOT NULL
))SQL";

// The action columns read_action() expects, from alias `a`. Bytes travel as hex: the
// connection reads text results.
constexpr const char* kActionColumns =
    "a.id, a.name, a.description, a.action_type, a.params::text, a.timeout_seconds, "
    "encode(a.signature, 'hex'), encode(a.params_canonical, 'hex'), a.schedule::text, "
    "(extract(epoch FROM a.created_at) * 1000000)::bigint, a.created_by";

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    throw std::runtime_error("resolution: the database returned bytes that are not hex");
}

std::string from_hex(std::string_view hex) {
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1])));
    }
    return out;
}

std::int32_t to_int32(std::string_view text) {
    return static_cast<std::int32_t>(std::stol(std::string(text)));
}

// Reads the kActionColumns at `first` onwards of `row`.
ResolvedAction read_action(const db::Result& rows, int row, int first) {
    ResolvedAction a;
    a.action_id = rows.text(row, first);
    a.name = rows.text(row, first + 1);
    a.description = rows.text(row, first + 2);
    a.action_type = to_int32(rows.text(row, first + 3));
    a.params_json = rows.text(row, first + 4);
    a.timeout_seconds = to_int32(rows.text(row, first + 5));
    if (!rows.is_null(row, first + 6)) {
        a.signature = from_hex(rows.text(row, first + 6));
    }
    if (!rows.is_null(row, first + 7)) {
        a.params_canonical = from_hex(rows.text(row, first + 7));
    }
    if (!rows.is_null(row, first + 8)) {
        a.schedule_json = std::string(rows.text(row, first + 8));
    }
    a.created_at_us = std::stoll(std::string(rows.text(row, first + 9)));
    a.created_by = rows.text(row, first + 10);
    return a;
}

}  // namespace

std::optional<DeviceConfiguration> resolve_device(db::Transaction& tx, std::string_view device_id,
                                                  ResolveParts parts) {
    const std::vector<db::Param> params{std::string(device_id)};
    // The device, its effective sync interval (its groups' smallest non-zero one, which the
    // contract says overrides the device's own; else its own; else 0: the agent's default),
    // and whether the actor may see everything.
    auto device = tx.exec_prepared(
        "SELECT d.sync_interval_minutes, "
        "(SELECT min(g.sync_interval_minutes) FROM device_group_members_projection m "
        " JOIN device_groups_projection g ON g.id = m.group_id AND NOT g.is_deleted "
        " WHERE m.device_id = d.id AND g.sync_interval_minutes > 0), "
        "pm_actor_is_privileged() "
        "FROM devices_projection d WHERE d.id = $1 AND NOT d.is_deleted",
        params);
    if (device.rows() == 0) {
        return std::nullopt;
    }
    // A user or device actor sees its own device but not the assignments and groups: refuse
    // loudly rather than answer with a silently incomplete configuration.
    if (!device.boolean(0, 2)) {
        throw std::logic_error(
            "resolve_device needs a transaction acting as the system or an admin; authorize the "
            "caller, then read with db::Actor::system(...)");
    }
    DeviceConfiguration config;
    config.sync_interval_minutes =
        device.is_null(0, 1) ? to_int32(device.text(0, 0)) : to_int32(device.text(0, 1));

    // Effective actions: absent beats present (max over DesiredState numbers); each placed at
    // its first contributing occurrence.
    auto actions = tx.exec_prepared(fmt::format(R"SQL(
WITH {}, {}, {},
merged AS (SELECT action_id, max(state) AS state FROM paths GROUP BY action_id),
firsts AS (
    SELECT DISTINCT ON (action_id) action_id, sort_order, created_at, assignment_id, d_order, s_order
    FROM paths
    ORDER BY action_id, sort_order, created_at, assignment_id, d_order, s_order
)
SELECT mg.state, {}
FROM firsts f
JOIN merged mg ON mg.action_id = f.action_id
JOIN actions_projection a ON a.id = f.action_id AND NOT a.is_deleted
ORDER BY f.sort_order, f.created_at, f.assignment_id, f.d_order, f.s_order, a.id)SQL",
                                                kReach, kContribution, kPaths, kActionColumns),
                                    params);
    config.actions.reserve(static_cast<std::size_t>(actions.rows()));
    for (int i = 0; i < actions.rows(); ++i) {
        ResolvedAction a = read_action(actions, i, 1);
        a.desired_state = to_int32(actions.text(i, 0));
        config.actions.push_back(std::move(a));
    }

    if (parts == ResolveParts::actions) {
        return config;
    }
    // Every live item assigned to the device, in assignment order.
    auto items = tx.exec_prepared(fmt::format(R"SQL(
WITH {},
items AS (
    SELECT r.source_type, r.source_id,
           CASE WHEN bool_or(r.mode = 2) THEN 2 WHEN bool_or(r.mode = 0) THEN 0 ELSE 1 END AS mode,
           bool_or(r.mode = 1) AS available,
           min(r.sort_order) AS sort_order, min(r.created_at) AS created_at, min(r.id) AS first_id
    FROM reach r GROUP BY r.source_type, r.source_id
)
SELECT i.source_type, i.source_id, coalesce(ac.name, st.name, df.name),
       coalesce(ac.description, st.description, df.description), i.mode, i.available,
       coalesce(s.selected, false), coalesce(st.member_count, df.member_count, 0),
       (extract(epoch FROM coalesce(ac.created_at, st.created_at, df.created_at)) * 1000000)::bigint,
       coalesce(ac.created_by, st.created_by, df.created_by)
FROM items i
LEFT JOIN actions_projection ac
  ON i.source_type = 'action' AND ac.id = i.source_id AND NOT ac.is_deleted
LEFT JOIN action_sets_projection st
  ON i.source_type = 'action_set' AND st.id = i.source_id AND NOT st.is_deleted
LEFT JOIN definitions_projection df
  ON i.source_type = 'definition' AND df.id = i.source_id AND NOT df.is_deleted
LEFT JOIN user_selections_projection s
  ON s.device_id = $1 AND s.source_type = i.source_type AND s.source_id = i.source_id
WHERE coalesce(ac.id, st.id, df.id) IS NOT NULL
ORDER BY i.sort_order, i.created_at, i.first_id)SQL",
                                              kReach),
                                  params);
    config.items.reserve(static_cast<std::size_t>(items.rows()));
    for (int i = 0; i < items.rows(); ++i) {
        ResolvedItem item;
        item.source_type = items.text(i, 0);
        item.source_id = items.text(i, 1);
        item.name = items.text(i, 2);
        item.description = items.text(i, 3);
        item.mode = to_int32(items.text(i, 4));
        item.available = items.boolean(i, 5);
        item.selected = items.boolean(i, 6);
        item.member_count = to_int32(items.text(i, 7));
        item.created_at_us = items.int64(i, 8);
        item.created_by = items.text(i, 9);
        config.items.push_back(std::move(item));
    }
    return config;
}

std::vector<std::vector<ResolvedAction>> item_actions(db::Transaction& tx,
                                                      const std::vector<ResolvedItem>& items) {
    std::vector<std::vector<ResolvedAction>> out(items.size());
    if (items.empty()) {
        return out;
    }
    std::vector<std::string_view> types;
    std::vector<std::string_view> ids;
    for (const auto& item : items) {
        types.push_back(item.source_type);
        ids.push_back(item.source_id);
    }
    auto rows = tx.exec_prepared(fmt::format(R"SQL(
WITH wanted AS (
    SELECT w.source_type, w.source_id, w.n
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(source_type, source_id, n)
),
paths AS (
    SELECT w.n, 0 AS d_order, 0 AS s_order, w.source_id AS action_id
    FROM wanted w WHERE w.source_type = 'action'
    UNION ALL
    SELECT w.n, 0, m.sort_order, m.action_id
    FROM wanted w
    JOIN action_sets_projection st ON st.id = w.source_id AND NOT st.is_deleted
    JOIN action_set_members_projection m ON m.set_id = st.id
    WHERE w.source_type = 'action_set'
    UNION ALL
    SELECT w.n, dm.sort_order, m.sort_order, m.action_id
    FROM wanted w
    JOIN definitions_projection df ON df.id = w.source_id AND NOT df.is_deleted
    JOIN definition_members_projection dm ON dm.definition_id = df.id
    JOIN action_sets_projection st ON st.id = dm.action_set_id AND NOT st.is_deleted
    JOIN action_set_members_projection m ON m.set_id = st.id
    WHERE w.source_type = 'definition'
),
firsts AS (
    SELECT DISTINCT ON (n, action_id) n, action_id, d_order, s_order
    FROM paths ORDER BY n, action_id, d_order, s_order
)
SELECT f.n, {}
FROM firsts f JOIN actions_projection a ON a.id = f.action_id AND NOT a.is_deleted
ORDER BY f.n, f.d_order, f.s_order, a.id)SQL",
                                             kActionColumns),
                                 {db::text_array_literal(types), db::text_array_literal(ids)});
    for (int i = 0; i < rows.rows(); ++i) {
        const auto n = static_cast<std::size_t>(std::stoll(std::string(rows.text(i, 0))));
        out.at(n - 1).push_back(read_action(rows, i, 1));
    }
    return out;
}

}  // namespace pm::projection
