-- The projector of `action_set` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

CREATE OR REPLACE FUNCTION pm_project_action_set(e events) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_defs text[];
    v_live boolean := true;
BEGIN
    CASE e.event_type
    WHEN 'ActionSetCreated' THEN
        INSERT INTO action_sets_projection (id, name, description, created_at, updated_at,
                                            created_by, projection_version)
        VALUES (e.stream_id, e.data ->> 'name', e.data ->> 'description', e.occurred_at,
                e.occurred_at, e.actor_id, e.position)
        ON CONFLICT (id) DO NOTHING;
        RETURN;
    WHEN 'ActionSetRenamed' THEN
        UPDATE action_sets_projection SET name = e.data ->> 'name', updated_at = e.occurred_at,
                                          projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'ActionSetDescriptionUpdated' THEN
        UPDATE action_sets_projection SET description = e.data ->> 'description',
                                          updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'ActionSetMemberAdded', 'ActionSetMemberRemoved', 'ActionSetMemberReordered' THEN
        IF e.event_type = 'ActionSetMemberAdded' THEN
            -- The action's row first (see the top of this file).
            SELECT NOT is_deleted INTO v_live FROM actions_projection
            WHERE id = pm_required(e.data, 'action_id') FOR SHARE;
            v_live := coalesce(v_live, true);
        END IF;
        UPDATE action_sets_projection SET updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
        IF NOT FOUND THEN
            PERFORM pm_require_row(e, 'action_sets_projection');
            RETURN;
        END IF;
        IF e.event_type = 'ActionSetMemberAdded' THEN
            IF NOT v_live THEN
                RETURN;  -- the action was deleted first: nothing to add
            END IF;
            INSERT INTO action_set_members_projection (set_id, action_id, sort_order, added_at,
                                                       projection_version)
            VALUES (e.stream_id, e.data ->> 'action_id', (e.data ->> 'sort_order')::integer,
                    e.occurred_at, e.position)
            ON CONFLICT (set_id, action_id) DO UPDATE
            SET sort_order = excluded.sort_order, projection_version = excluded.projection_version;
        ELSIF e.event_type = 'ActionSetMemberRemoved' THEN
            DELETE FROM action_set_members_projection
            WHERE set_id = e.stream_id AND action_id = pm_required(e.data, 'action_id');
        ELSE
            UPDATE action_set_members_projection
            SET sort_order = (e.data ->> 'sort_order')::integer, projection_version = e.position
            WHERE set_id = e.stream_id AND action_id = pm_required(e.data, 'action_id');
            RETURN;
        END IF;
        UPDATE action_sets_projection
        SET member_count = (SELECT count(*) FROM action_set_members_projection WHERE set_id = e.stream_id)
        WHERE id = e.stream_id;
        RETURN;
    WHEN 'ActionSetDeleted' THEN
        UPDATE action_sets_projection SET is_deleted = true, member_count = 0,
                                          updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
        IF NOT FOUND THEN
            PERFORM pm_require_row(e, 'action_sets_projection');
            RETURN;
        END IF;
        DELETE FROM action_set_members_projection WHERE set_id = e.stream_id;
        -- Leave every definition: lock, delete, recount (see DeviceDeleted).
        PERFORM 1 FROM definitions_projection
        WHERE id IN (SELECT definition_id FROM definition_members_projection
                     WHERE action_set_id = e.stream_id)
        ORDER BY id FOR UPDATE;
        WITH gone AS (
            DELETE FROM definition_members_projection WHERE action_set_id = e.stream_id
            RETURNING definition_id)
        SELECT array_agg(DISTINCT definition_id ORDER BY definition_id) INTO v_defs FROM gone;
        IF v_defs IS NOT NULL THEN
            PERFORM 1 FROM definitions_projection WHERE id = ANY (v_defs) ORDER BY id FOR UPDATE;
            UPDATE definitions_projection df
            SET member_count = (SELECT count(*) FROM definition_members_projection m
                                WHERE m.definition_id = df.id)
            WHERE df.id = ANY (v_defs);
        END IF;
        PERFORM pm_delete_assignments_of('action_set', e.stream_id);
        RETURN;
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'action_sets_projection');
    END IF;
END;
$$;
