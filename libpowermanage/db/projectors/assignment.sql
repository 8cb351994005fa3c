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

-- An assignment created when its source is already deleted at that point of the log (the
-- command refuses that; only a CreateAssignment racing a delete of its source gets here) is
-- recorded as deleted, as the source's delete would have done had it come later: position
-- order decides, which is also what a rebuild produces. The share lock on the source's row
-- orders this against the delete's update of it (the member adds of action_set.sql do the
-- same). A source with no row at all counts as live: projectors do not check references (time
-- travel replays one stream without the others).
CREATE OR REPLACE FUNCTION pm_project_assignment(e events) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_source_deleted boolean;
BEGIN
    CASE e.event_type
    WHEN 'AssignmentCreated' THEN
        CASE e.data ->> 'source_type'
        WHEN 'action' THEN
            SELECT is_deleted INTO v_source_deleted FROM actions_projection
            WHERE id = e.data ->> 'source_id' FOR SHARE;
        WHEN 'action_set' THEN
            SELECT is_deleted INTO v_source_deleted FROM action_sets_projection
            WHERE id = e.data ->> 'source_id' FOR SHARE;
        WHEN 'definition' THEN
            SELECT is_deleted INTO v_source_deleted FROM definitions_projection
            WHERE id = e.data ->> 'source_id' FOR SHARE;
        ELSE
            NULL;  -- the table's CHECK refuses other source types below
        END CASE;
        INSERT INTO assignments_projection (id, source_type, source_id, target_type, target_id,
                                            mode, sort_order, created_at, created_by,
                                            is_deleted, projection_version)
        VALUES (e.stream_id, e.data ->> 'source_type', e.data ->> 'source_id',
                e.data ->> 'target_type', e.data ->> 'target_id', (e.data ->> 'mode')::integer,
                coalesce((e.data ->> 'sort_order')::integer, 0), e.occurred_at, e.actor_id,
                coalesce(v_source_deleted, false), e.position)
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
