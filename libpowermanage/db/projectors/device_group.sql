-- The projector of `device_group` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

CREATE OR REPLACE FUNCTION pm_project_device_group(e events) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_dynamic boolean;
BEGIN
    CASE e.event_type
    WHEN 'DeviceGroupMembershipEvaluated', 'DeviceGroupMemberAdded', 'DeviceGroupMemberRemoved' THEN
        UPDATE device_groups_projection SET updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position
        RETURNING is_dynamic INTO v_dynamic;
        IF NOT FOUND THEN
            PERFORM pm_require_row(e, 'device_groups_projection');
            RETURN;
        END IF;
        -- Static groups take manual members only; dynamic groups only the evaluator's result.
        IF e.event_type = 'DeviceGroupMembershipEvaluated' THEN
            IF NOT v_dynamic THEN
                RETURN;
            END IF;
            DELETE FROM device_group_members_projection
            WHERE group_id = e.stream_id
              AND device_id IN (SELECT jsonb_array_elements_text(coalesce(e.data -> 'removed', '[]')));
            INSERT INTO device_group_members_projection (group_id, device_id, added_at,
                                                         projection_version)
            SELECT e.stream_id, x, e.occurred_at, e.position
            FROM jsonb_array_elements_text(coalesce(e.data -> 'added', '[]')) AS x
            ON CONFLICT (group_id, device_id) DO NOTHING;
        ELSIF v_dynamic THEN
            RETURN;
        ELSIF e.event_type = 'DeviceGroupMemberAdded' THEN
            INSERT INTO device_group_members_projection (group_id, device_id, added_at,
                                                         projection_version)
            VALUES (e.stream_id, e.data ->> 'device_id', e.occurred_at, e.position)
            ON CONFLICT (group_id, device_id) DO NOTHING;
        ELSE
            DELETE FROM device_group_members_projection
            WHERE group_id = e.stream_id AND device_id = pm_required(e.data, 'device_id');
        END IF;
        UPDATE device_groups_projection
        SET member_count = (SELECT count(*) FROM device_group_members_projection
                            WHERE group_id = e.stream_id)
        WHERE id = e.stream_id;
        RETURN;
    WHEN 'DeviceGroupCreated' THEN
        INSERT INTO device_groups_projection (id, name, description, is_dynamic, dynamic_query,
                                              created_at, updated_at, created_by,
                                              projection_version)
        VALUES (e.stream_id, e.data ->> 'name', e.data ->> 'description',
                (e.data ->> 'is_dynamic')::boolean, e.data ->> 'dynamic_query', e.occurred_at,
                e.occurred_at, e.actor_id, e.position)
        ON CONFLICT (id) DO NOTHING;
        RETURN;
    WHEN 'DeviceGroupRenamed' THEN
        UPDATE device_groups_projection SET name = e.data ->> 'name', updated_at = e.occurred_at,
                                            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceGroupDescriptionUpdated' THEN
        UPDATE device_groups_projection SET description = e.data ->> 'description',
                                            updated_at = e.occurred_at,
                                            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceGroupSyncIntervalSet' THEN
        UPDATE device_groups_projection
        SET sync_interval_minutes = (e.data ->> 'sync_interval_minutes')::integer,
            updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceGroupQueryUpdated' THEN
        -- A group that is dynamic after the update loses all members: they were static
        -- members or the result of another query. The evaluator's next
        -- DeviceGroupMembershipEvaluated fills it again.
        UPDATE device_groups_projection
        SET is_dynamic = (e.data ->> 'is_dynamic')::boolean,
            dynamic_query = e.data ->> 'dynamic_query',
            updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position
        RETURNING is_dynamic INTO v_dynamic;
        IF FOUND THEN
            IF v_dynamic THEN
                DELETE FROM device_group_members_projection WHERE group_id = e.stream_id;
                UPDATE device_groups_projection SET member_count = 0 WHERE id = e.stream_id;
            END IF;
            RETURN;
        END IF;
    WHEN 'DeviceGroupDeleted' THEN
        UPDATE device_groups_projection SET is_deleted = true, member_count = 0,
                                            updated_at = e.occurred_at,
                                            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
        IF FOUND THEN
            DELETE FROM device_group_members_projection WHERE group_id = e.stream_id;
            RETURN;
        END IF;
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'device_groups_projection');
    END IF;
END;
$$;
