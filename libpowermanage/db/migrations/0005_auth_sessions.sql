-- Login sessions of the control plane: refresh-token rotation with reuse detection.
--
-- Not events: a session is not part of the fleet's history, and a refresh every 15 minutes per
-- browser would be noise in the log. Logins themselves are events (UserLoggedIn).
--
-- A login starts a family; every refresh consumes the presented token and issues the next one
-- in the same family. Presenting a token that was already consumed means it was copied: the
-- whole family is revoked, so the thief's and the victim's next refreshes both fail and the
-- user has to log in again (RFC 9700 4.14.2).

CREATE TABLE auth_refresh_families (
    family_id     text PRIMARY KEY,
    user_id       text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,   -- the newest token's expiry; rows past it are purged
    revoked_at    timestamptz,
    revoke_reason text
);
CREATE INDEX auth_refresh_families_user_id ON auth_refresh_families (user_id);
CREATE INDEX auth_refresh_families_expires_at ON auth_refresh_families (expires_at);

CREATE TABLE auth_refresh_tokens (
    jti         text PRIMARY KEY,
    family_id   text NOT NULL REFERENCES auth_refresh_families ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    consumed_at timestamptz
);
CREATE INDEX auth_refresh_tokens_family_id ON auth_refresh_tokens (family_id);

-- Only the server (system) and admins may read or write sessions; fail closed like every table.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['auth_refresh_families', 'auth_refresh_tokens'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR ALL USING (pm_actor_is_privileged()) '
                       'WITH CHECK (pm_actor_is_privileged())', t || '_privileged', t);
    END LOOP;
END;
$$;
