-- Row-level security on the projections: defence in depth under the policy checks in C++.
-- Every request's transaction names its actor with transaction-local settings (pm_set_actor);
-- the policies read them. Fail closed: no actor (unset or empty) sees nothing and writes
-- nothing, and neither does an actor type that is not one of system, admin, user, device.
--
--   system, admin  everything, read and write (projectors run as 'system': pm_append_batch sets it)
--   user           its own users row; devices assigned to it; tokens it owns; executions and
--                  selections of devices assigned to it; actions, action sets, definitions and
--                  their members (read-only)
--   device         its own devices row; its own executions and their output; its own group
--                  memberships and selections; actions, action sets, definitions and their
--                  members; assignments that target it, directly or through one of its groups
--                  (read-only)
--
-- Settings are transaction-local (set_config(..., true)): they must be set inside the
-- request's transaction, not in an autocommit statement of their own, or they are gone before
-- the next statement runs. Superusers and BYPASSRLS roles are not subject to any of this.

CREATE FUNCTION pm_actor_type() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('pm.actor_type', true), '')
$$;

CREATE FUNCTION pm_actor_id() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('pm.actor_id', true), '')
$$;

-- Names the actor for the rest of the current transaction.
CREATE FUNCTION pm_set_actor(actor_type text, actor_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF pm_set_actor.actor_type IS NULL
       OR pm_set_actor.actor_type NOT IN ('system', 'admin', 'user', 'device') THEN
        RAISE EXCEPTION 'unknown actor type %', coalesce(quote_literal(pm_set_actor.actor_type), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The actor type is one of system, admin, user, device.';
    END IF;
    IF pm_set_actor.actor_type IN ('admin', 'user', 'device')
       AND coalesce(pm_set_actor.actor_id, '') = '' THEN
        RAISE EXCEPTION 'an actor of type % needs an id', pm_set_actor.actor_type
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('pm.actor_type', pm_set_actor.actor_type, true);
    PERFORM set_config('pm.actor_id', coalesce(pm_set_actor.actor_id, ''), true);
END;
$$;

CREATE FUNCTION pm_actor_is_privileged() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(pm_actor_type() IN ('system', 'admin'), false)
$$;

-- Every projection table: ENABLE + FORCE (the owner too), and one policy for system/admin that
-- allows everything. The other actors get SELECT policies below and no write policy.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users_projection', 'tokens_projection', 'devices_projection',
                             'actions_projection', 'executions_projection',
                             'execution_output_projection', 'action_sets_projection',
                             'action_set_members_projection', 'definitions_projection',
                             'definition_members_projection', 'device_groups_projection',
                             'device_group_members_projection', 'assignments_projection',
                             'user_selections_projection', 'device_certificates_projection'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR ALL USING (pm_actor_is_privileged()) '
                       'WITH CHECK (pm_actor_is_privileged())', t || '_privileged', t);
    END LOOP;
END;
$$;

-- Each condition starts with the actor type so that, for other actors, its subquery never runs.

CREATE POLICY users_projection_user_self ON users_projection FOR SELECT
    USING (pm_actor_type() = 'user' AND id = pm_actor_id());

CREATE POLICY tokens_projection_user_owner ON tokens_projection FOR SELECT
    USING (pm_actor_type() = 'user' AND owner_id = pm_actor_id());

CREATE POLICY devices_projection_user_assigned ON devices_projection FOR SELECT
    USING (pm_actor_type() = 'user' AND assigned_user_id = pm_actor_id());
CREATE POLICY devices_projection_device_self ON devices_projection FOR SELECT
    USING (pm_actor_type() = 'device' AND id = pm_actor_id());

CREATE POLICY executions_projection_user_assigned ON executions_projection FOR SELECT
    USING (pm_actor_type() = 'user'
           AND device_id IN (SELECT d.id FROM devices_projection d
                             WHERE d.assigned_user_id = pm_actor_id()));
CREATE POLICY executions_projection_device_self ON executions_projection FOR SELECT
    USING (pm_actor_type() = 'device' AND device_id = pm_actor_id());

CREATE POLICY execution_output_projection_device_self ON execution_output_projection FOR SELECT
    USING (pm_actor_type() = 'device'
           AND execution_id IN (SELECT x.id FROM executions_projection x
                                WHERE x.device_id = pm_actor_id()));

CREATE POLICY user_selections_projection_user_assigned ON user_selections_projection FOR SELECT
    USING (pm_actor_type() = 'user'
           AND device_id IN (SELECT d.id FROM devices_projection d
                             WHERE d.assigned_user_id = pm_actor_id()));
CREATE POLICY user_selections_projection_device_self ON user_selections_projection FOR SELECT
    USING (pm_actor_type() = 'device' AND device_id = pm_actor_id());

CREATE POLICY device_group_members_projection_device_self ON device_group_members_projection
    FOR SELECT USING (pm_actor_type() = 'device' AND device_id = pm_actor_id());

CREATE POLICY assignments_projection_device_target ON assignments_projection FOR SELECT
    USING (pm_actor_type() = 'device'
           AND ((target_type = 'device' AND target_id = pm_actor_id())
                OR (target_type = 'device_group'
                    AND target_id IN (SELECT m.group_id FROM device_group_members_projection m
                                      WHERE m.device_id = pm_actor_id()))));

-- The action catalogue: readable by users and devices.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['actions_projection', 'action_sets_projection',
                             'action_set_members_projection', 'definitions_projection',
                             'definition_members_projection'] LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT '
                       'USING (pm_actor_type() IN (''user'', ''device''))', t || '_read', t);
    END LOOP;
END;
$$;
