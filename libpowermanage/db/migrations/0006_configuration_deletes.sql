-- Deleting configuration takes its assignments with it, and members can only join while what
-- they name is live (docs/events.md, "Configuration deletes"). 0002 is released and never
-- changes: the projectors it defined are replaced here whole.
--
-- * ActionDeleted, ActionSetDeleted and DefinitionDeleted soft-delete every live assignment
--   whose source is the deleted row, in the same statement as the delete: an assignment of a
--   deleted source must not resolve to anything, and the reference's leftovers did. No
--   AssignmentDeleted events are appended for them: the effect follows deterministically from
--   the delete event, so a rebuild (position order) produces it again. Like the other
--   cross-stream effects, it leaves the assignment rows' projection_version alone.
-- * ActionSetMemberAdded and DefinitionMemberAdded insert nothing when the action (set) is
--   deleted at that point of the log. The command refuses such an add already; the projector
--   repeats the check under a share lock on the member's row so that an add racing a delete
--   of its member ends as position order says (the delete's UPDATE and the add's lock
--   serialize on that row), which is also what a rebuild produces. The lock is taken before
--   the parent's, as the delete takes the member's row before the parents', so the two cannot
--   deadlock. A member id with no row at all is inserted as before (projectors do not check
--   references; time travel replays one stream without the others).
-- * Rebuild groups: assignment now joins action, action_set and definition, whose deletes
--   write assignments_projection.

-- Soft-deletes the live assignments of a deleted source (a cross-stream effect: versions stay).
CREATE FUNCTION pm_delete_assignments_of(p_source_type text, p_source_id text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments_projection SET is_deleted = true
    WHERE source_type = p_source_type AND source_id = p_source_id AND NOT is_deleted;
END;
$$;

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

CREATE OR REPLACE FUNCTION pm_project_definition(e events) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_live boolean := true;
BEGIN
    CASE e.event_type
    WHEN 'DefinitionCreated' THEN
        INSERT INTO definitions_projection (id, name, description, created_at, updated_at,
                                            created_by, projection_version)
        VALUES (e.stream_id, e.data ->> 'name', e.data ->> 'description', e.occurred_at,
                e.occurred_at, e.actor_id, e.position)
        ON CONFLICT (id) DO NOTHING;
        RETURN;
    WHEN 'DefinitionRenamed' THEN
        UPDATE definitions_projection SET name = e.data ->> 'name', updated_at = e.occurred_at,
                                          projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DefinitionDescriptionUpdated' THEN
        UPDATE definitions_projection SET description = e.data ->> 'description',
                                          updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DefinitionMemberAdded', 'DefinitionMemberRemoved', 'DefinitionMemberReordered' THEN
        IF e.event_type = 'DefinitionMemberAdded' THEN
            -- The set's row first (see the top of this file).
            SELECT NOT is_deleted INTO v_live FROM action_sets_projection
            WHERE id = pm_required(e.data, 'action_set_id') FOR SHARE;
            v_live := coalesce(v_live, true);
        END IF;
        UPDATE definitions_projection SET updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
        IF NOT FOUND THEN
            PERFORM pm_require_row(e, 'definitions_projection');
            RETURN;
        END IF;
        IF e.event_type = 'DefinitionMemberAdded' THEN
            IF NOT v_live THEN
                RETURN;  -- the set was deleted first: nothing to add
            END IF;
            INSERT INTO definition_members_projection (definition_id, action_set_id, sort_order,
                                                       added_at, projection_version)
            VALUES (e.stream_id, e.data ->> 'action_set_id', (e.data ->> 'sort_order')::integer,
                    e.occurred_at, e.position)
            ON CONFLICT (definition_id, action_set_id) DO UPDATE
            SET sort_order = excluded.sort_order, projection_version = excluded.projection_version;
        ELSIF e.event_type = 'DefinitionMemberRemoved' THEN
            DELETE FROM definition_members_projection
            WHERE definition_id = e.stream_id AND action_set_id = pm_required(e.data, 'action_set_id');
        ELSE
            UPDATE definition_members_projection
            SET sort_order = (e.data ->> 'sort_order')::integer, projection_version = e.position
            WHERE definition_id = e.stream_id AND action_set_id = pm_required(e.data, 'action_set_id');
            RETURN;
        END IF;
        UPDATE definitions_projection
        SET member_count = (SELECT count(*) FROM definition_members_projection
                            WHERE definition_id = e.stream_id)
        WHERE id = e.stream_id;
        RETURN;
    WHEN 'DefinitionDeleted' THEN
        UPDATE definitions_projection SET is_deleted = true, member_count = 0,
                                          updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
        IF FOUND THEN
            DELETE FROM definition_members_projection WHERE definition_id = e.stream_id;
            PERFORM pm_delete_assignments_of('definition', e.stream_id);
            RETURN;
        END IF;
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'definitions_projection');
    END IF;
END;
$$;

-- As in 0002, with assignment moved into the action group (see the top of this file).
CREATE OR REPLACE FUNCTION pm_projection_catalogue()
RETURNS TABLE (stream_type text, rebuild_group text, tables text[])
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('user', 'user', ARRAY['users_projection']),
           ('token', 'token', ARRAY['tokens_projection']),
           ('device', 'device', ARRAY['devices_projection', 'device_certificates_projection']),
           ('device_group', 'device',
                ARRAY['device_groups_projection', 'device_group_members_projection']),
           ('action', 'action', ARRAY['actions_projection']),
           ('action_set', 'action',
                ARRAY['action_sets_projection', 'action_set_members_projection']),
           ('definition', 'action',
                ARRAY['definitions_projection', 'definition_members_projection']),
           ('assignment', 'action', ARRAY['assignments_projection']),
           ('execution', 'execution',
                ARRAY['executions_projection', 'execution_output_projection']),
           ('user_selection', 'user_selection', ARRAY['user_selections_projection'])
$$;
