-- Set-wise device heartbeats in the batch projection, and a rebuild that readers never see
-- half done and that survives a crash (pm-admin rebuild-projections, projection::rebuild).

-- ---------------------------------------------------------------------------------------------
-- pm_project_events: as in 0002, plus DeviceHeartbeat, DeviceConnected and DeviceDisconnected
-- set-wise (pm_project_device_heartbeats in projectors/device.sql)
-- ---------------------------------------------------------------------------------------------
--
-- Order: heartbeat-like events are held back and applied as one run just before the next
-- event that is neither one of them nor an execution event (execution projectors never touch
-- devices_projection, so their order against heartbeats does not matter), and at the end. Nothing
-- else writes devices_projection in between, so the run's effect is that of its events one by
-- one in position order. A run of one event goes through pm_project_device as before.
CREATE OR REPLACE FUNCTION pm_project_events(evs events[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r events;
    v_in_loop boolean := false;
    v_index integer := 0;
    v_first integer := 0;   -- index of the first held-back heartbeat-like event
    v_held integer := 0;    -- how many are held back
    v_created boolean := false;
    v_chunks boolean := false;
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
        -- Each set-wise statement unnests the whole batch (a few microseconds per event):
        -- skip those with nothing to do, as in a batch of heartbeats.
        FOREACH r IN ARRAY evs LOOP
            IF r.stream_type = 'execution' THEN
                v_created := v_created OR r.event_type = 'ExecutionCreated';
                v_chunks := v_chunks OR r.event_type = 'OutputChunk';
            END IF;
        END LOOP;
        IF v_created THEN
            PERFORM pm_project_executions_created(evs);
        END IF;
        IF v_chunks THEN
            PERFORM pm_project_output_chunks(evs);
        END IF;
        v_in_loop := true;
        FOREACH r IN ARRAY evs LOOP
            v_index := v_index + 1;
            IF r.stream_type = 'device'
               AND r.event_type IN ('DeviceHeartbeat', 'DeviceConnected', 'DeviceDisconnected') THEN
                IF v_held = 0 THEN
                    v_first := v_index;
                END IF;
                v_held := v_held + 1;
                CONTINUE;
            END IF;
            IF r.stream_type = 'execution' THEN
                IF r.event_type NOT IN ('ExecutionCreated', 'OutputChunk') THEN
                    PERFORM pm_project_execution(r);
                END IF;
                CONTINUE;
            END IF;
            IF v_held > 0 THEN
                -- A set-wise error has no event to blame: let the handler replay the batch.
                v_in_loop := false;
                IF v_held = 1 THEN
                    PERFORM pm_project_device(evs[v_first]);
                ELSE
                    PERFORM pm_project_device_heartbeats(evs[v_first:v_index - 1]);
                END IF;
                v_in_loop := true;
                v_held := 0;
            END IF;
            IF r.stream_type = 'device' THEN
                PERFORM pm_project_device(r);
            ELSE
                PERFORM pm_project_event(r);
            END IF;
        END LOOP;
        IF v_held > 0 THEN
            v_in_loop := false;
            IF v_held = 1 THEN
                PERFORM pm_project_device(evs[v_first]);
            ELSE
                PERFORM pm_project_device_heartbeats(evs[v_first:cardinality(evs)]);
            END IF;
        END IF;
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

-- ---------------------------------------------------------------------------------------------
-- Rebuild beside the live projections
-- ---------------------------------------------------------------------------------------------
--
-- pm_rebuild_begin creates, in schema pm_rebuild, an empty copy of each projection table to
-- rebuild (same name, columns, constraints, indexes, storage options) and a checkpoint row.
-- pm_rebuild_step replays the next events into the copies, with pm_rebuild first on the
-- search path so the unchanged projectors write them, and moves the checkpoint, in the
-- caller's transaction: the caller commits each step, so a step's row versions can be pruned
-- by the next, and a crash loses at most the step in flight. pm_rebuild_finish, in one short
-- transaction, stops appends, catches up what they appended meanwhile, replaces the live
-- tables' contents with the copies' and drops the copies. Readers never see a partial state:
-- until that commit they read the live tables, which appends keep current; then the rebuilt
-- ones. Replacing contents (not renaming tables) keeps what is attached to the live tables by
-- OID: row-level security policies (0003), views, the generated labels_lower (0007), indexes.
--
-- Which events a step may replay: events are numbered when inserted but visible when
-- committed, so an event below the checkpoint could still appear and be skipped for good.
-- pm_rebuild_horizon takes a SHARE lock on events for an instant (it waits for the appends in
-- flight and holds new ones back meanwhile), so every event up to the position it returns is
-- committed; steps replay only up to such a horizon. (Positions come from an identity
-- sequence without a cache, taken by an INSERT that holds its lock on events already.)

CREATE SCHEMA pm_rebuild;
COMMENT ON SCHEMA pm_rebuild IS
    'Projections being rebuilt (pm-admin rebuild-projections): copies of the live tables and the checkpoint; empty when no rebuild is under way.';

-- What the copies were built with: a rebuild is resumed only by the same schema and projectors.
CREATE FUNCTION pm_rebuild_fingerprint() RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_text text := '';
    v_part text;
BEGIN
    IF to_regclass('schema_migrations') IS NOT NULL THEN
        EXECUTE 'SELECT string_agg(version || '':'' || checksum, '','' ORDER BY version) FROM schema_migrations'
            INTO v_part;
        v_text := v_text || coalesce(v_part, '');
    END IF;
    IF to_regclass('schema_projectors') IS NOT NULL THEN
        EXECUTE 'SELECT string_agg(name || '':'' || checksum, '','' ORDER BY name) FROM schema_projectors'
            INTO v_part;
        v_text := v_text || '|' || coalesce(v_part, '');
    END IF;
    RETURN md5(v_text);
END;
$$;

-- Starts a rebuild of the given stream types (NULL = all, each with its rebuild group), or
-- resumes the one whose copies are in pm_rebuild if it was for the same stream types and was
-- built by the same migrations and projectors; anything else there is discarded. Returns the
-- stream types, the checkpoint (last position replayed) and whether it resumed.
CREATE FUNCTION pm_rebuild_begin(p_stream_types text[] DEFAULT NULL)
RETURNS TABLE (stream_types text[], last_position bigint, resumed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_types text[];
    v_fingerprint text := pm_rebuild_fingerprint();
    v_table text;
    v_options text[];
BEGIN
    PERFORM pm_require_writer();
    v_types := pm_rebuild_set(p_stream_types);
    stream_types := v_types;
    IF to_regclass('pm_rebuild.rebuild_state') IS NOT NULL THEN
        SELECT s.last_position INTO last_position FROM pm_rebuild.rebuild_state s
        WHERE s.stream_types = v_types AND s.fingerprint = v_fingerprint;
        IF FOUND THEN
            resumed := true;
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;
    FOR v_table IN SELECT tablename FROM pg_tables WHERE schemaname = 'pm_rebuild' LOOP
        EXECUTE format('DROP TABLE pm_rebuild.%I', v_table);
    END LOOP;
    FOR v_table IN SELECT t FROM pm_projection_catalogue() c, unnest(c.tables) AS t
                   WHERE c.stream_type = ANY (v_types) LOOP
        EXECUTE format('CREATE TABLE pm_rebuild.%I (LIKE %s INCLUDING ALL)', v_table,
                       v_table::regclass);
        SELECT reloptions INTO v_options FROM pg_class WHERE oid = v_table::regclass;
        IF v_options IS NOT NULL THEN
            EXECUTE format('ALTER TABLE pm_rebuild.%I SET (%s)', v_table,
                           array_to_string(v_options, ', '));
        END IF;
    END LOOP;
    CREATE TABLE pm_rebuild.rebuild_state (
        stream_types   text[] NOT NULL,
        fingerprint    text NOT NULL,
        last_position  bigint NOT NULL,
        started_at     timestamptz NOT NULL
    );
    INSERT INTO pm_rebuild.rebuild_state VALUES (v_types, v_fingerprint, 0, now());
    last_position := 0;
    resumed := false;
    RETURN NEXT;
END;
$$;

-- A position up to which every event is committed: see above. Call it in a transaction of its
-- own and commit at once, since the lock holds appends back until then.
CREATE FUNCTION pm_rebuild_horizon() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE events IN SHARE MODE;
    RETURN coalesce((SELECT max(position) FROM events), 0);
END;
$$;

-- Replays into the copies up to p_max_count events after the checkpoint, up to position
-- p_upto (a horizon), and moves the checkpoint. Returns the new checkpoint and how many were
-- replayed; fewer than p_max_count means the horizon was reached.
CREATE FUNCTION pm_rebuild_step(p_upto bigint, p_max_count integer)
RETURNS TABLE (last_position bigint, replayed integer) LANGUAGE plpgsql AS $$
DECLARE
    v_types text[];
    v_last bigint;
    v_path text := current_setting('search_path');
    v_events events[];
BEGIN
    PERFORM pm_require_writer();
    IF to_regclass('pm_rebuild.rebuild_state') IS NULL THEN
        RAISE EXCEPTION 'no rebuild of projections is under way'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Start one with pm_rebuild_begin() (pm-admin rebuild-projections).';
    END IF;
    SELECT s.stream_types, s.last_position INTO v_types, v_last
    FROM pm_rebuild.rebuild_state s FOR UPDATE;
    v_events := ARRAY(SELECT ev FROM events ev
                      WHERE ev.position > v_last AND ev.position <= p_upto
                        AND ev.stream_type = ANY (v_types)
                      ORDER BY ev.position
                      LIMIT p_max_count);
    replayed := cardinality(v_events);
    last_position := v_last;
    IF replayed > 0 THEN
        last_position := v_events[replayed].position;
        PERFORM set_config('search_path', 'pm_rebuild, ' || v_path, true);
        PERFORM pm_project_events(v_events);
        PERFORM set_config('search_path', v_path, true);
    END IF;
    -- Events of other stream types up to the horizon are passed over for good as well.
    IF replayed < p_max_count THEN
        last_position := greatest(last_position, p_upto);
    END IF;
    UPDATE pm_rebuild.rebuild_state SET last_position = pm_rebuild_step.last_position;
    RETURN NEXT;
END;
$$;

-- Ends the rebuild in the calling transaction, which should commit at once: holds appends
-- back (SHARE ROW EXCLUSIVE on events until the commit), replays what was appended since the
-- last step, replaces the contents of the live tables with the copies' and drops the copies.
-- Readers are not blocked: until the commit they see the old rows (DELETE, not TRUNCATE,
-- which would show an empty table to a transaction whose snapshot is older). Returns the
-- number of events caught up.
CREATE FUNCTION pm_rebuild_finish(p_max_count integer DEFAULT 10000) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_upto bigint;
    v_step record;
    v_caught bigint := 0;
    v_types text[];
    v_table text;
    v_columns text;
    v_live text;
BEGIN
    PERFORM pm_require_writer();
    LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;
    v_upto := coalesce((SELECT max(position) FROM events), 0);
    LOOP
        SELECT * INTO v_step FROM pm_rebuild_step(v_upto, p_max_count);
        v_caught := v_caught + v_step.replayed;
        EXIT WHEN v_step.replayed < p_max_count;
    END LOOP;
    SELECT s.stream_types INTO v_types FROM pm_rebuild.rebuild_state s;
    SELECT string_agg(t::regclass::text, ', ') INTO v_live
    FROM pm_projection_catalogue() c, unnest(c.tables) AS t WHERE c.stream_type = ANY (v_types);
    IF v_live IS NOT NULL THEN
        -- Other writers (none but projectors today) wait; readers do not.
        EXECUTE 'LOCK TABLE ' || v_live || ' IN EXCLUSIVE MODE';
    END IF;
    FOR v_table IN SELECT t FROM pm_projection_catalogue() c, unnest(c.tables) AS t
                   WHERE c.stream_type = ANY (v_types) LOOP
        -- Generated columns (labels_lower) are computed again by the live table.
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_columns
        FROM pg_attribute a
        WHERE a.attrelid = v_table::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attgenerated = '';
        EXECUTE format('DELETE FROM %s', v_table::regclass);
        EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM pm_rebuild.%I', v_table::regclass,
                       v_columns, v_columns, v_table);
    END LOOP;
    FOR v_table IN SELECT tablename FROM pg_tables WHERE schemaname = 'pm_rebuild' LOOP
        EXECUTE format('DROP TABLE pm_rebuild.%I', v_table);
    END LOOP;
    RETURN v_caught;
END;
$$;
