-- The actions statement of projection::resolve_device (libpowermanage/projection/resolution.cpp,
-- at commit 72c8819) for one device, for pgbench: replace __DEVICE__ with a device id, then
--   pgbench -n -M simple   -c 8 -j 2 -T 10 -f resolve_actions.sql $URL   # planned every call, as today
--   pgbench -n -M prepared -c 8 -j 2 -T 10 -f resolve_actions.sql $URL   # planned once
WITH reach AS (
    SELECT a.id, a.source_type, a.source_id, a.mode, a.sort_order, a.created_at
    FROM assignments_projection a
    WHERE a.target_type = 'device' AND a.target_id = '__DEVICE__' AND NOT a.is_deleted
    UNION ALL
    SELECT a.id, a.source_type, a.source_id, a.mode, a.sort_order, a.created_at
    FROM device_group_members_projection m
    JOIN assignments_projection a
      ON a.target_type = 'device_group' AND a.target_id = m.group_id AND NOT a.is_deleted
    WHERE m.device_id = '__DEVICE__'
), contrib AS (
    SELECT r.*, CASE WHEN r.mode = 0 THEN 0
                     WHEN r.mode = 2 THEN 1
                     WHEN s.selected THEN 0
                     WHEN NOT s.selected THEN 1 END AS state
    FROM reach r
    LEFT JOIN user_selections_projection s
      ON s.device_id = '__DEVICE__' AND s.source_type = r.source_type AND s.source_id = r.source_id
), paths AS (
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
),
merged AS (SELECT action_id, max(state) AS state FROM paths GROUP BY action_id),
firsts AS (
    SELECT DISTINCT ON (action_id) action_id, sort_order, created_at, assignment_id, d_order, s_order
    FROM paths
    ORDER BY action_id, sort_order, created_at, assignment_id, d_order, s_order
)
SELECT mg.state, a.id, a.name, a.description, a.action_type, a.params::text, a.timeout_seconds, encode(a.signature, 'hex'), encode(a.params_canonical, 'hex'), a.schedule::text,
       (extract(epoch FROM a.created_at) * 1000000)::bigint, a.created_by
FROM firsts f
JOIN merged mg ON mg.action_id = f.action_id
JOIN actions_projection a ON a.id = f.action_id AND NOT a.is_deleted
ORDER BY f.sort_order, f.created_at, f.assignment_id, f.d_order, f.s_order, a.id;
