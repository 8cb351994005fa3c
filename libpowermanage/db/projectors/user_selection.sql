-- The projector of `user_selection` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

CREATE OR REPLACE FUNCTION pm_project_user_selection(e events) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF e.event_type = 'UserSelectionChanged' THEN
        INSERT INTO user_selections_projection AS s (id, device_id, source_type, source_id,
                                                     selected, updated_at, created_by,
                                                     projection_version)
        VALUES (e.stream_id, e.data ->> 'device_id', e.data ->> 'source_type',
                e.data ->> 'source_id', (e.data ->> 'selected')::boolean, e.occurred_at,
                e.actor_id, e.position)
        ON CONFLICT (device_id, source_type, source_id) DO UPDATE
        SET selected = excluded.selected, updated_at = excluded.updated_at,
            projection_version = excluded.projection_version
        WHERE s.projection_version < excluded.projection_version;
    END IF;
END;
$$;
