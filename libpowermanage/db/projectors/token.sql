-- The projector of `token` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

CREATE OR REPLACE FUNCTION pm_project_token(e events) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CASE e.event_type
    WHEN 'TokenUsed' THEN
        UPDATE tokens_projection SET current_uses = current_uses + 1, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'TokenCreated' THEN
        INSERT INTO tokens_projection (id, value_hash, name, one_time, max_uses, expires_at,
                                       created_at, created_by, owner_id, projection_version)
        VALUES (e.stream_id, e.data ->> 'value_hash', e.data ->> 'name',
                (e.data ->> 'one_time')::boolean, (e.data ->> 'max_uses')::integer,
                (e.data ->> 'expires_at')::timestamptz, e.occurred_at, e.actor_id,
                coalesce(e.data ->> 'owner_id',
                         CASE WHEN e.actor_type IN ('user', 'admin') THEN e.actor_id END),
                e.position)
        ON CONFLICT (id) DO NOTHING;
        RETURN;
    WHEN 'TokenRenamed' THEN
        UPDATE tokens_projection SET name = e.data ->> 'name', projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'TokenDisabled' THEN
        UPDATE tokens_projection SET disabled = true, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'TokenEnabled' THEN
        UPDATE tokens_projection SET disabled = false, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'TokenDeleted' THEN
        UPDATE tokens_projection SET is_deleted = true, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'tokens_projection');
    END IF;
END;
$$;
