-- Projections: one table (or parent + members) per stream type, written by PL/pgSQL projector
-- functions from one statement-level trigger on events, in the appending transaction. The
-- catalogue of events and their effects is docs/events.md; this file implements it.
--
-- Rules every projector follows:
-- * Idempotence: a row carries projection_version = position of the last event of ITS OWN
--   stream applied to it; an event whose position is not newer is ignored. Within one stream,
--   position order is version order (the appender locks the stream row before inserting), so
--   the guard is exact. Member rows are guarded through their parent's version.
-- * Cross-stream effects (DeviceDeleted, ActionDeleted and ActionSetDeleted removing
--   memberships; the member_count recounts they cause) never touch another stream's
--   projection_version: positions are not commit order across streams, and bumping a foreign
--   row's version could make that row's own, later-committed event look old and be dropped.
-- * A required key (no `?` in docs/events.md) is never defaulted: where the column is NOT NULL,
--   a missing key fails the append.
-- * An update event for a stream that has no row (the stream did not start with its creation
--   event) fails the append instead of being dropped silently.
-- * Unknown stream types and unknown event types of a known stream are no-ops.
-- * Errors are never swallowed: pm_project_events re-raises with the event named and the
--   original SQLSTATE and constraint name, so 23505 on `<table>_<what>_key` maps to
--   already_exists and the append (the whole batch) is rolled back.
-- * The live trigger and the rebuild both go through pm_project_events, whose effect is that of
--   pm_project_event on each event in position order (tests/projection/sql/smoke.sql checks it).

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------

-- Value checks of the columns that hot events write are domains, not table CHECK constraints:
-- PostgreSQL evaluates every CHECK constraint of a table on every row written, and re-reads
-- and re-plans their expressions for every statement (each projector statement is one), which
-- cost about a tenth of the projection time; a domain's check is prepared once per session and
-- runs only when its column is assigned. Clients see the base type (text, jsonb, integer).
CREATE DOMAIN pm_execution_status AS text
    CHECK (VALUE IN ('pending', 'dispatched', 'running', 'success', 'failed', 'timeout',
                     'skipped', 'expired'));
CREATE DOMAIN pm_output_stream AS text CHECK (VALUE IN ('stdout', 'stderr'));
CREATE DOMAIN pm_labels AS jsonb CHECK (jsonb_typeof(VALUE) = 'object');
CREATE DOMAIN pm_minutes AS integer CHECK (VALUE >= 0);

CREATE TABLE users_projection (
    id                  text PRIMARY KEY,
    email               text NOT NULL,
    password_hash       text NOT NULL,
    role                text NOT NULL CHECK (role IN ('admin', 'user')),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_login_at       timestamptz,
    disabled            boolean NOT NULL DEFAULT false,
    is_deleted          boolean NOT NULL DEFAULT false,
    session_version     integer NOT NULL DEFAULT 0,
    projection_version  bigint NOT NULL
);
CREATE UNIQUE INDEX users_projection_email_key ON users_projection (lower(email))
    WHERE NOT is_deleted;

CREATE TABLE tokens_projection (
    id                  text PRIMARY KEY,
    value_hash          text NOT NULL,
    name                text NOT NULL,
    one_time            boolean NOT NULL,
    max_uses            integer NOT NULL CHECK (max_uses >= 0),  -- 0 = unlimited
    current_uses        integer NOT NULL DEFAULT 0,
    expires_at          timestamptz,
    created_at          timestamptz NOT NULL,
    created_by          text NOT NULL,
    owner_id            text,
    disabled            boolean NOT NULL DEFAULT false,
    is_deleted          boolean NOT NULL DEFAULT false,
    projection_version  bigint NOT NULL
);
CREATE UNIQUE INDEX tokens_projection_value_hash_key ON tokens_projection (value_hash)
    WHERE NOT is_deleted;
CREATE INDEX tokens_projection_owner_id ON tokens_projection (owner_id);

-- Heartbeats update this table often without touching an indexed column; free space on each
-- page lets those updates stay HOT (no index writes).
CREATE TABLE devices_projection (
    id                     text PRIMARY KEY,
    hostname               text NOT NULL,
    agent_version          text NOT NULL,
    cert_fingerprint       text NOT NULL,
    cert_serial            text NOT NULL,
    cert_not_after         timestamptz NOT NULL,
    cert_revoked           boolean NOT NULL DEFAULT false,
    registered_at          timestamptz NOT NULL,
    last_seen_at           timestamptz,
    registration_token_id  text,
    labels                 pm_labels NOT NULL DEFAULT '{}',
    assigned_user_id       text,
    sync_interval_minutes  pm_minutes NOT NULL DEFAULT 0,
    is_deleted             boolean NOT NULL DEFAULT false,
    projection_version     bigint NOT NULL
) WITH (fillfactor = 80);
CREATE INDEX devices_projection_assigned_user_id ON devices_projection (assigned_user_id);
CREATE INDEX devices_projection_labels ON devices_projection USING gin (labels);

-- Every certificate the CA issued to a device, and its revocation: the gateway refuses a client
-- certificate whose serial is revoked here or unknown. One row per serial, so a device that
-- registers again keeps the history of its old certificates.
CREATE TABLE device_certificates_projection (
    serial              text PRIMARY KEY,
    device_id           text NOT NULL,
    fingerprint         text NOT NULL,
    not_after           timestamptz NOT NULL,
    issued_at           timestamptz NOT NULL,
    revoked_at          timestamptz,
    revoke_reason       text,
    projection_version  bigint NOT NULL
);
CREATE INDEX device_certificates_projection_device_id ON device_certificates_projection (device_id);

CREATE TABLE actions_projection (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    description         text NOT NULL,
    action_type         integer NOT NULL,
    desired_state       integer NOT NULL,
    params              jsonb NOT NULL,
    timeout_seconds     integer NOT NULL,
    schedule            jsonb,
    signature           bytea,   -- set by ActionSigned, cleared by ActionParamsUpdated
    params_canonical    bytea,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    created_by          text NOT NULL,
    is_deleted          boolean NOT NULL DEFAULT false,
    projection_version  bigint NOT NULL
);
CREATE UNIQUE INDEX actions_projection_name_key ON actions_projection (name) WHERE NOT is_deleted;

CREATE TABLE executions_projection (
    id                  text PRIMARY KEY,
    device_id           text NOT NULL,
    action_id           text,          -- NULL for inline actions
    action_type         integer NOT NULL,
    desired_state       integer NOT NULL,
    params              jsonb NOT NULL,
    timeout_seconds     integer NOT NULL,
    status              pm_execution_status NOT NULL,
    error               text,
    output              jsonb,
    created_at          timestamptz NOT NULL,
    dispatched_at       timestamptz,
    started_at          timestamptz,
    completed_at        timestamptz,
    duration_ms         bigint,
    expires_at          timestamptz,
    -- What an agent verifies before it runs the action (agent protocol A.2.7): the CA's
    -- signature over "<id>:<type>:<base64(params_canonical)>", made when it was dispatched.
    signature           bytea,
    params_canonical    text,
    created_by_type     text NOT NULL,
    created_by_id       text NOT NULL,
    projection_version  bigint NOT NULL
);
CREATE INDEX executions_projection_device_status ON executions_projection (device_id, status);
CREATE INDEX executions_projection_status ON executions_projection (status);

-- Live output: one row per OutputChunk; a chunk sent twice (at-least-once) is kept once.
CREATE TABLE execution_output_projection (
    execution_id        text NOT NULL,
    sequence            bigint NOT NULL,
    stream              pm_output_stream NOT NULL,
    data                text NOT NULL,
    created_at          timestamptz NOT NULL,
    projection_version  bigint NOT NULL,
    PRIMARY KEY (execution_id, sequence, stream)
);

CREATE TABLE action_sets_projection (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    description         text NOT NULL,
    member_count        integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    created_by          text NOT NULL,
    is_deleted          boolean NOT NULL DEFAULT false,
    projection_version  bigint NOT NULL
);
CREATE UNIQUE INDEX action_sets_projection_name_key ON action_sets_projection (name)
    WHERE NOT is_deleted;

CREATE TABLE action_set_members_projection (
    set_id              text NOT NULL,
    action_id           text NOT NULL,
    sort_order          integer NOT NULL,
    added_at            timestamptz NOT NULL,
    projection_version  bigint NOT NULL,
    PRIMARY KEY (set_id, action_id)
);
CREATE INDEX action_set_members_projection_action_id ON action_set_members_projection (action_id);

CREATE TABLE definitions_projection (
    id                  text PRIMARY KEY,
    name                text NOT NULL,
    description         text NOT NULL,
    member_count        integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    created_by          text NOT NULL,
    is_deleted          boolean NOT NULL DEFAULT false,
    projection_version  bigint NOT NULL
);
CREATE UNIQUE INDEX definitions_projection_name_key ON definitions_projection (name)
    WHERE NOT is_deleted;

CREATE TABLE definition_members_projection (
    definition_id       text NOT NULL,
    action_set_id       text NOT NULL,
    sort_order          integer NOT NULL,
    added_at            timestamptz NOT NULL,
    projection_version  bigint NOT NULL,
    PRIMARY KEY (definition_id, action_set_id)
);
CREATE INDEX definition_members_projection_action_set_id
    ON definition_members_projection (action_set_id);

CREATE TABLE device_groups_projection (
    id                     text PRIMARY KEY,
    name                   text NOT NULL,
    description            text NOT NULL,
    is_dynamic             boolean NOT NULL,
    dynamic_query          text NOT NULL,
    sync_interval_minutes  pm_minutes NOT NULL DEFAULT 0,
    member_count           integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    created_by             text NOT NULL,
    is_deleted             boolean NOT NULL DEFAULT false,
    projection_version     bigint NOT NULL
);
CREATE UNIQUE INDEX device_groups_projection_name_key ON device_groups_projection (name)
    WHERE NOT is_deleted;

CREATE TABLE device_group_members_projection (
    group_id            text NOT NULL,
    device_id           text NOT NULL,
    added_at            timestamptz NOT NULL,
    projection_version  bigint NOT NULL,
    PRIMARY KEY (group_id, device_id)
);
CREATE INDEX device_group_members_projection_device_id
    ON device_group_members_projection (device_id);

CREATE TABLE assignments_projection (
    id                  text PRIMARY KEY,
    source_type         text NOT NULL CHECK (source_type IN ('action', 'action_set', 'definition')),
    source_id           text NOT NULL,
    target_type         text NOT NULL CHECK (target_type IN ('device', 'device_group')),
    target_id           text NOT NULL,
    mode                integer NOT NULL CHECK (mode IN (0, 1, 2)),  -- present, available, absent
    sort_order          integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    created_by          text NOT NULL,
    is_deleted          boolean NOT NULL DEFAULT false,
    projection_version  bigint NOT NULL
);
CREATE UNIQUE INDEX assignments_projection_natural_key
    ON assignments_projection (source_type, source_id, target_type, target_id) WHERE NOT is_deleted;
CREATE INDEX assignments_projection_target ON assignments_projection (target_type, target_id)
    WHERE NOT is_deleted;

-- One row per (device, source); it keeps the id of the first selection stream that wrote it.
-- Several streams write one row, so the version guard makes "highest position wins", which is
-- also what a rebuild (position order) produces.
CREATE TABLE user_selections_projection (
    id                  text PRIMARY KEY,
    device_id           text NOT NULL,
    source_type         text NOT NULL,
    source_id           text NOT NULL,
    selected            boolean NOT NULL,
    updated_at          timestamptz NOT NULL,
    created_by          text NOT NULL,
    projection_version  bigint NOT NULL
);
CREATE UNIQUE INDEX user_selections_projection_natural_key
    ON user_selections_projection (device_id, source_type, source_id);

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- Projections are written under row-level security (0003): an actor other than system/admin
-- would have its UPDATEs filtered to nothing, silently. Refuse loudly instead.
CREATE FUNCTION pm_require_writer() RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF current_setting('pm.actor_type', true) IS DISTINCT FROM 'system'
       AND current_setting('pm.actor_type', true) IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION 'projections can only be written with pm.actor_type ''system'' or ''admin'' (it is %)',
            coalesce(quote_literal(nullif(current_setting('pm.actor_type', true), '')), 'unset')
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Call pm_set_actor(''system'', ...) (or set_config(''pm.actor_type'', ''system'', true)) in the same transaction first.';
    END IF;
END;
$$;

-- A required data key that no NOT NULL column would catch.
CREATE FUNCTION pm_required(d jsonb, k text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text := d ->> k;
BEGIN
    IF v IS NULL THEN
        RAISE EXCEPTION 'data key "%" is missing', k USING ERRCODE = 'not_null_violation';
    END IF;
    RETURN v;
END;
$$;

-- Called when an update found no row to change: fine if the row exists (the event was already
-- applied, or a guard ignored it), an error if the stream has no row at all.
CREATE FUNCTION pm_require_row(e events, p_table regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_exists boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE id = $1)', p_table) INTO v_exists
        USING e.stream_id;
    IF NOT v_exists THEN
        RAISE EXCEPTION '% has no row for %/%: the stream does not start with its creation event',
            p_table, e.stream_type, e.stream_id USING ERRCODE = 'no_data_found';
    END IF;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Projectors, one per stream type: pm_project_<stream>(e events) in
-- libpowermanage/db/projectors/<stream>.sql, which db::migrate applies after the versioned
-- migrations and again whenever a file changes. This dispatches to them.
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION pm_project_event(e events) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CASE e.stream_type
    WHEN 'execution' THEN PERFORM pm_project_execution(e);
    WHEN 'device' THEN PERFORM pm_project_device(e);
    WHEN 'user' THEN PERFORM pm_project_user(e);
    WHEN 'token' THEN PERFORM pm_project_token(e);
    WHEN 'action' THEN PERFORM pm_project_action(e);
    WHEN 'action_set' THEN PERFORM pm_project_action_set(e);
    WHEN 'definition' THEN PERFORM pm_project_definition(e);
    WHEN 'device_group' THEN PERFORM pm_project_device_group(e);
    WHEN 'assignment' THEN PERFORM pm_project_assignment(e);
    WHEN 'user_selection' THEN PERFORM pm_project_user_selection(e);
    ELSE NULL;  -- unknown stream types are stored, not projected
    END CASE;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Batches: the live trigger and the replay both project through pm_project_events
-- ---------------------------------------------------------------------------------------------

-- Re-raises a projector error naming the event, keeping SQLSTATE and constraint name (the C++
-- side maps 23505 + `<table>_<what>_key` to already_exists, 40P01/40001 to a retry).
CREATE FUNCTION pm_raise_projection_error(e events, p_sqlstate text, p_message text,
                                          p_detail text, p_hint text, p_context text,
                                          p_constraint text, p_table text, p_schema text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_detail text := concat_ws(E'\n', nullif(p_detail, ''),
                               'hint: ' || nullif(p_hint, ''),
                               format('event %s appended by %s/%s', e.event_id, e.actor_type,
                                      e.actor_id),
                               'where: ' || nullif(p_context, ''));
BEGIN
    IF coalesce(p_constraint, '') <> '' THEN
        RAISE EXCEPTION 'projection of % (%/% version %, position %) failed: %',
            e.event_type, e.stream_type, e.stream_id, e.stream_version, e.position, p_message
            USING ERRCODE = p_sqlstate, CONSTRAINT = p_constraint, TABLE = p_table,
                  SCHEMA = p_schema, DETAIL = v_detail;
    ELSE
        RAISE EXCEPTION 'projection of % (%/% version %, position %) failed: %',
            e.event_type, e.stream_type, e.stream_id, e.stream_version, e.position, p_message
            USING ERRCODE = p_sqlstate, DETAIL = v_detail;
    END IF;
END;
$$;

-- Projects events, which must be in position order. The effect is exactly that of
-- pm_project_event on each event in turn; the insert-only execution events are done set-wise
-- first (see pm_project_executions_created). One exception block for the whole batch (one
-- subtransaction, not one per event); an error is re-raised naming the event that caused it.
-- When a set-wise statement fails, the batch is replayed event by event (inside the failing
-- transaction, which is rolled back anyway) to find and name the first failing event.
CREATE FUNCTION pm_project_events(evs events[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r events;
    v_in_loop boolean := false;
    v_sqlstate text;
    v_message text;
    v_detail text;
    v_hint text;
    v_context text;
    v_constraint text;
    v_table text;
    v_schema text;
BEGIN
    BEGIN
        PERFORM pm_project_executions_created(evs);
        PERFORM pm_project_output_chunks(evs);
        v_in_loop := true;
        FOREACH r IN ARRAY evs LOOP
            CASE r.stream_type
            WHEN 'execution' THEN
                IF r.event_type NOT IN ('ExecutionCreated', 'OutputChunk') THEN
                    PERFORM pm_project_execution(r);
                END IF;
            WHEN 'device' THEN PERFORM pm_project_device(r);
            ELSE PERFORM pm_project_event(r);
            END CASE;
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT,
                                v_context = PG_EXCEPTION_CONTEXT, v_constraint = CONSTRAINT_NAME,
                                v_table = TABLE_NAME, v_schema = SCHEMA_NAME;
        -- Deadlocks and serialization failures (class 40) are not the events' fault: keep them
        -- as they are, for the caller's retry.
        IF NOT v_in_loop AND v_sqlstate NOT LIKE '40%' THEN
            BEGIN
                FOREACH r IN ARRAY evs LOOP
                    PERFORM pm_project_event(r);
                END LOOP;
                r := NULL;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                        v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT,
                                        v_context = PG_EXCEPTION_CONTEXT,
                                        v_constraint = CONSTRAINT_NAME, v_table = TABLE_NAME,
                                        v_schema = SCHEMA_NAME;
            END;
        END IF;
        IF r.event_id IS NULL THEN
            -- No single event to blame: name the batch.
            RAISE EXCEPTION 'projection of % events (positions % to %) failed: %',
                cardinality(evs), evs[1].position, evs[cardinality(evs)].position, v_message
                USING ERRCODE = v_sqlstate,
                      DETAIL = concat_ws(E'\n', nullif(v_detail, ''), 'where: ' || nullif(v_context, ''));
        END IF;
        PERFORM pm_raise_projection_error(r, v_sqlstate, v_message, v_detail, v_hint, v_context,
                                          v_constraint, v_table, v_schema);
    END;
END;
$$;

-- The live path: one statement-level trigger per INSERT, however many events it carries.
CREATE FUNCTION pm_events_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pm_require_writer();
    PERFORM pm_project_events(ARRAY(SELECT ROW(n.*)::events FROM new_events n ORDER BY n.position));
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_project AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION pm_events_project();

-- ---------------------------------------------------------------------------------------------
-- Rebuild: truncate, then replay events through the same pm_project_events as the trigger
-- ---------------------------------------------------------------------------------------------
--
-- Order: by position. Within a stream that is version order (see the top of this file), and it
-- is the order the projection_version guards assume. (transaction_id, position) is NOT safe
-- here: a group-commit transaction gets its xid at its first write, may then wait for another
-- transaction's lock on a stream row and append that stream's next version after the other
-- commits, so a smaller xid can hold a later version of the same stream.
--
-- Rebuild groups: stream types whose events write each other's tables must be truncated and
-- replayed together, interleaved by position, or a cross-stream effect is applied to a state it
-- never met (e.g. replaying DeviceDeleted alone would delete a membership added after the
-- device was registered again):
--   device + device_group            (DeviceDeleted leaves groups)
--   action + action_set + definition (ActionDeleted leaves sets, ActionSetDeleted leaves
--                                     definitions)
-- every other stream type alone.
CREATE FUNCTION pm_projection_catalogue()
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
           ('assignment', 'assignment', ARRAY['assignments_projection']),
           ('execution', 'execution',
                ARRAY['executions_projection', 'execution_output_projection']),
           ('user_selection', 'user_selection', ARRAY['user_selections_projection'])
$$;

-- The stream types to rebuild for a request: NULL = all; otherwise the requested types plus
-- the rest of their rebuild groups. An unknown name is an error.
CREATE FUNCTION pm_rebuild_set(p_stream_types text[]) RETURNS text[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_unknown text;
    v_types text[];
BEGIN
    SELECT string_agg(quote_literal(t), ', ') INTO v_unknown
    FROM unnest(p_stream_types) AS t
    WHERE t IS NULL OR t NOT IN (SELECT c.stream_type FROM pm_projection_catalogue() c);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown stream type(s) %', v_unknown
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Known: ' || (SELECT string_agg(stream_type, ', ') FROM pm_projection_catalogue());
    END IF;
    SELECT array_agg(c.stream_type ORDER BY c.stream_type) INTO v_types
    FROM pm_projection_catalogue() c
    WHERE p_stream_types IS NULL
       OR c.rebuild_group IN (SELECT r.rebuild_group FROM pm_projection_catalogue() r
                              WHERE r.stream_type = ANY (p_stream_types));
    RETURN coalesce(v_types, '{}');
END;
$$;

-- Empties the projection tables of the given stream types (with their rebuild groups) and
-- returns the stream types to replay. Takes ACCESS EXCLUSIVE locks on those tables until the
-- transaction ends, so readers and appends of those types wait for the rebuild to commit.
CREATE FUNCTION pm_truncate_projections(p_stream_types text[] DEFAULT NULL)
RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    v_types text[] := pm_rebuild_set(p_stream_types);
    v_tables text;
BEGIN
    PERFORM pm_require_writer();
    SELECT string_agg(quote_ident(t), ', ') INTO v_tables
    FROM pm_projection_catalogue() c, unnest(c.tables) AS t
    WHERE c.stream_type = ANY (v_types);
    IF v_tables IS NOT NULL THEN
        EXECUTE 'TRUNCATE ' || v_tables;
    END IF;
    RETURN v_types;
END;
$$;

-- Replays up to p_max_count events with position > p_after_position (of the given stream
-- types; NULL = all) in position order. Returns the last position replayed (p_after_position
-- when none) and how many were replayed; fewer than p_max_count means the end was reached.
-- Call it repeatedly in the transaction that truncated, to show progress.
CREATE FUNCTION pm_replay_events(p_after_position bigint, p_max_count integer,
                                 p_stream_types text[] DEFAULT NULL)
RETURNS TABLE (last_position bigint, replayed integer) LANGUAGE plpgsql AS $$
DECLARE
    v_events events[];
BEGIN
    PERFORM pm_require_writer();
    v_events := ARRAY(SELECT ev FROM events ev
                      WHERE ev.position > p_after_position
                        AND (p_stream_types IS NULL OR ev.stream_type = ANY (p_stream_types))
                      ORDER BY ev.position
                      LIMIT p_max_count);
    replayed := cardinality(v_events);
    IF replayed = 0 THEN
        last_position := p_after_position;
    ELSE
        PERFORM pm_project_events(v_events);
        last_position := v_events[replayed].position;
    END IF;
    RETURN NEXT;
END;
$$;

-- Rebuilds the projections of the given stream types (NULL = all; each with its rebuild group)
-- in the calling transaction and returns the number of events replayed. An error rolls the
-- whole rebuild back.
CREATE FUNCTION pm_rebuild_projections(p_tables text[] DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_types text[] := pm_truncate_projections(p_tables);
    v_last bigint := 0;
    v_count integer;
    v_total bigint := 0;
BEGIN
    LOOP
        SELECT r.last_position, r.replayed INTO v_last, v_count
        FROM pm_replay_events(v_last, 10000, v_types) r;
        v_total := v_total + v_count;
        EXIT WHEN v_count < 10000;
    END LOOP;
    RETURN v_total;
END;
$$;
