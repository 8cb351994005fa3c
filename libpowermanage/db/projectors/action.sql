-- The projector of `action` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

CREATE OR REPLACE FUNCTION pm_project_action(e events) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_sets text[];
BEGIN
    CASE e.event_type
    WHEN 'ActionCreated' THEN
        INSERT INTO actions_projection (id, name, description, action_type, desired_state, params,
                                        timeout_seconds, schedule, created_at, updated_at,
                                        created_by, projection_version)
        VALUES (e.stream_id, e.data ->> 'name', e.data ->> 'description',
                (e.data ->> 'action_type')::integer, (e.data ->> 'desired_state')::integer,
                e.data -> 'params', (e.data ->> 'timeout_seconds')::integer,
                nullif(e.data -> 'schedule', 'null'), e.occurred_at, e.occurred_at, e.actor_id,
                e.position)
        ON CONFLICT (id) DO NOTHING;
        RETURN;
    WHEN 'ActionRenamed' THEN
        UPDATE actions_projection SET name = e.data ->> 'name', updated_at = e.occurred_at,
                                      projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'ActionDescriptionUpdated' THEN
        UPDATE actions_projection SET description = e.data ->> 'description',
                                      updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'ActionParamsUpdated' THEN
        -- The old signature covers the old params: clear it until ActionSigned.
        UPDATE actions_projection
        SET params = e.data -> 'params',
            timeout_seconds = coalesce((e.data ->> 'timeout_seconds')::integer, timeout_seconds),
            desired_state = coalesce((e.data ->> 'desired_state')::integer, desired_state),
            schedule = CASE WHEN e.data ? 'schedule' THEN nullif(e.data -> 'schedule', 'null')
                            ELSE schedule END,
            signature = NULL,
            params_canonical = NULL,
            updated_at = e.occurred_at,
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'ActionSigned' THEN
        UPDATE actions_projection
        SET signature = decode(pm_required(e.data, 'signature'), 'base64'),
            params_canonical = decode(pm_required(e.data, 'params_canonical'), 'base64'),
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'ActionDeleted' THEN
        UPDATE actions_projection SET is_deleted = true, updated_at = e.occurred_at,
                                      projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
        IF NOT FOUND THEN
            PERFORM pm_require_row(e, 'actions_projection');
            RETURN;
        END IF;
        -- Leave every set: lock, delete, recount (see DeviceDeleted).
        PERFORM 1 FROM action_sets_projection
        WHERE id IN (SELECT set_id FROM action_set_members_projection WHERE action_id = e.stream_id)
        ORDER BY id FOR UPDATE;
        WITH gone AS (
            DELETE FROM action_set_members_projection WHERE action_id = e.stream_id
            RETURNING set_id)
        SELECT array_agg(DISTINCT set_id ORDER BY set_id) INTO v_sets FROM gone;
        IF v_sets IS NOT NULL THEN
            PERFORM 1 FROM action_sets_projection WHERE id = ANY (v_sets) ORDER BY id FOR UPDATE;
            UPDATE action_sets_projection s
            SET member_count = (SELECT count(*) FROM action_set_members_projection m
                                WHERE m.set_id = s.id)
            WHERE s.id = ANY (v_sets);
        END IF;
        PERFORM pm_delete_assignments_of('action', e.stream_id);
        RETURN;
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'actions_projection');
    END IF;
END;
$$;
