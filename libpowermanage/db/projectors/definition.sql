-- The projector of `definition` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

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
