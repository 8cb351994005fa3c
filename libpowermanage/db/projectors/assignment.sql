-- The projector of `assignment` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

-- Soft-deletes the live assignments of a deleted source (a cross-stream effect: versions stay).
CREATE OR REPLACE FUNCTION pm_delete_assignments_of(p_source_type text, p_source_id text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments_projection SET is_deleted = true
    WHERE source_type = p_source_type AND source_id = p_source_id AND NOT is_deleted;
END;
$$;

CREATE OR REPLACE FUNCTION pm_project_assignment(e events) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CASE e.event_type
    WHEN 'AssignmentCreated' THEN
        INSERT INTO assignments_projection (id, source_type, source_id, target_type, target_id,
                                            mode, sort_order, created_at, created_by,
                                            projection_version)
        VALUES (e.stream_id, e.data ->> 'source_type', e.data ->> 'source_id',
                e.data ->> 'target_type', e.data ->> 'target_id', (e.data ->> 'mode')::integer,
                coalesce((e.data ->> 'sort_order')::integer, 0), e.occurred_at, e.actor_id,
                e.position)
        ON CONFLICT (id) DO NOTHING;
        RETURN;
    WHEN 'AssignmentModeChanged' THEN
        UPDATE assignments_projection SET mode = (e.data ->> 'mode')::integer,
                                          projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'AssignmentDeleted' THEN
        UPDATE assignments_projection SET is_deleted = true, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'assignments_projection');
    END IF;
END;
$$;
