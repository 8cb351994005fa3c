-- The projector of `user` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

CREATE OR REPLACE FUNCTION pm_project_user(e events) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CASE e.event_type
    WHEN 'UserLoggedIn' THEN
        UPDATE users_projection SET last_login_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'UserCreated' THEN
        INSERT INTO users_projection (id, email, password_hash, role, created_at, updated_at,
                                      session_version, projection_version)
        VALUES (e.stream_id, e.data ->> 'email', e.data ->> 'password_hash', e.data ->> 'role',
                e.occurred_at, e.occurred_at, 0, e.position)
        ON CONFLICT (id) DO NOTHING;
        RETURN;
    WHEN 'UserEmailChanged' THEN
        UPDATE users_projection SET email = e.data ->> 'email', updated_at = e.occurred_at,
                                    projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'UserPasswordChanged' THEN
        UPDATE users_projection SET password_hash = e.data ->> 'password_hash',
                                    session_version = session_version + 1,
                                    updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'UserPasswordRehashed' THEN
        UPDATE users_projection SET password_hash = e.data ->> 'password_hash',
                                    projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'UserRoleChanged' THEN
        UPDATE users_projection SET role = e.data ->> 'role', session_version = session_version + 1,
                                    updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'UserDisabled' THEN
        UPDATE users_projection SET disabled = true, session_version = session_version + 1,
                                    updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'UserEnabled' THEN
        UPDATE users_projection SET disabled = false, updated_at = e.occurred_at,
                                    projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'UserDeleted' THEN
        UPDATE users_projection SET is_deleted = true, session_version = session_version + 1,
                                    updated_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'users_projection');
    END IF;
END;
$$;
