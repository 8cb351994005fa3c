-- pm_append_batch, set-based: same arguments, results and locking as 0001's, but the stream
-- versions of all callers are read with one statement and written with one, and the events go
-- in with one plain INSERT. The 0001 version ran two or three statements per caller, which cost
-- about as much as inserting its event (issue #14).
CREATE OR REPLACE FUNCTION pm_append_batch(
    p_stream_types text[], p_stream_ids text[], p_expected bigint[], p_counts integer[],
    p_actor_types text[], p_actor_ids text[],
    p_event_callers integer[], p_event_ids uuid[], p_event_types text[], p_data jsonb[],
    p_metadata jsonb[], p_occurred_at timestamptz)
RETURNS TABLE (caller integer, first_version integer, actual_version integer,
               last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(array_length(p_stream_types, 1), 0);
    firsts integer[] := array_fill(NULL::integer, ARRAY[n]);
    actuals integer[] := array_fill(NULL::integer, ARRAY[n]);
    lasts bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    starts integer[] := array_fill(0, ARRAY[n]);
    -- The callers in (stream type, stream id, caller) order, with their stream's number in
    -- that order and its version before the batch: integer arrays only, so the loop below
    -- indexes them in constant time.
    sorted_callers integer[];
    sorted_streams integer[];
    stored_versions integer[];
    -- One entry per stream whose version changes: a caller naming it, and the new version.
    changed_callers integer[] := '{}';
    changed_versions integer[] := '{}';
    positions bigint[];
    i integer;
    k integer;
    v integer;
    e bigint;
    changed boolean := false;
    inserted integer := 0;
BEGIN
    -- Readers order events by (transaction id, position). That is a stream's version order
    -- only if a transaction holds its streams' locks before it has a transaction id: then a
    -- later appender of a stream, which waited for the earlier one to commit, gets a larger
    -- id. So this must be the transaction's first write, and it locks before writing.
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'pm_append_batch must be the first write of its transaction'
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'Append in a transaction of its own (the event store does).';
    END IF;
    -- Advisory locks take no transaction id; (type, id) order keeps batches deadlock-free.
    -- Every writer of `streams` takes them, so the versions read below stay true until commit.
    PERFORM pg_advisory_xact_lock(hashtextextended(u.t || '/' || u.s, 0))
    FROM (SELECT DISTINCT t, s FROM unnest(p_stream_types, p_stream_ids) AS x(t, s) ORDER BY t, s) u;
    -- Projectors run as the server, whatever the connection's role would otherwise see. The
    -- setting lasts to the end of the transaction, which is why appends get their own.
    PERFORM set_config('pm.actor_type', 'system', true);
    PERFORM set_config('pm.actor_id', 'appender', true);

    -- A lone caller (light load, the usual case) skips the set machinery: its fixed cost is
    -- more than one caller's statements, and nothing is shared to amortise it.
    IF n = 1 THEN
        IF p_expected[1] < 0 THEN
            INSERT INTO streams AS st (stream_type, stream_id, version)
                VALUES (p_stream_types[1], p_stream_ids[1], p_counts[1])
                ON CONFLICT (stream_type, stream_id)
                DO UPDATE SET version = st.version + p_counts[1]
                RETURNING st.version INTO v;
        ELSIF p_expected[1] = 0 THEN
            INSERT INTO streams (stream_type, stream_id, version)
                VALUES (p_stream_types[1], p_stream_ids[1], p_counts[1])
                ON CONFLICT (stream_type, stream_id) DO NOTHING
                RETURNING version INTO v;
        ELSE
            UPDATE streams SET version = p_expected[1] + p_counts[1]
                WHERE stream_type = p_stream_types[1] AND stream_id = p_stream_ids[1]
                  AND version = p_expected[1]
                RETURNING version INTO v;
        END IF;
        IF v IS NULL THEN
            SELECT coalesce(max(st.version), 0) INTO v FROM streams st
                WHERE st.stream_type = p_stream_types[1] AND st.stream_id = p_stream_ids[1];
            RETURN QUERY SELECT 1, NULL::integer, v, NULL::bigint;
            RETURN;
        END IF;
        WITH ins AS (
            INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type,
                                data, metadata, actor_type, actor_id, occurred_at)
            SELECT x.id, p_stream_types[1], p_stream_ids[1],
                   (v - p_counts[1] + x.ord)::integer, x.typ, x.dat, x.meta,
                   p_actor_types[1], p_actor_ids[1], p_occurred_at
            FROM unnest(p_event_ids, p_event_types, p_data, p_metadata)
                 WITH ORDINALITY AS x(id, typ, dat, meta, ord)
            ORDER BY x.ord
            RETURNING events.position)
        SELECT max(ins.position) INTO e FROM ins;
        RETURN QUERY SELECT 1, v - p_counts[1] + 1, v, e;
        RETURN;
    END IF;

    SELECT array_agg(x.ord ORDER BY x.t, x.s, x.ord),
           array_agg(x.stream_no ORDER BY x.t, x.s, x.ord),
           array_agg(x.version ORDER BY x.t, x.s, x.ord)
    INTO sorted_callers, sorted_streams, stored_versions
    -- A lookup per caller, not a join: the plan is cached for the session, and a join planned
    -- while `streams` was small would go on scanning all of it once it is large.
    FROM (SELECT c.t, c.s, c.ord::integer AS ord,
                 dense_rank() OVER (ORDER BY c.t, c.s)::integer AS stream_no,
                 coalesce((SELECT st.version FROM streams st
                           WHERE st.stream_type = c.t AND st.stream_id = c.s), 0) AS version
          FROM unnest(p_stream_types, p_stream_ids) WITH ORDINALITY AS c(t, s, ord)) x;

    -- The expected-version checks, in memory: callers of one stream in turn, each seeing the
    -- version the callers before it left (-1 any, 0 no stream yet, N exactly N).
    FOR i IN 1..n LOOP
        k := sorted_callers[i];
        IF i = 1 OR sorted_streams[i] <> sorted_streams[i - 1] THEN
            v := stored_versions[i];
            changed := false;
        END IF;
        e := p_expected[k];
        IF e < 0 OR (e = 0 AND v = 0) OR (e > 0 AND v = e) THEN
            firsts[k] := v + 1;
            v := v + p_counts[k];
            changed := true;
        END IF;
        actuals[k] := v;
        IF changed AND (i = n OR sorted_streams[i + 1] <> sorted_streams[i]) THEN
            changed_callers := changed_callers || k;
            changed_versions := changed_versions || v;
        END IF;
    END LOOP;

    INSERT INTO streams AS st (stream_type, stream_id, version)
    SELECT c.t, c.s, u.v
    FROM unnest(changed_callers, changed_versions) AS u(c, v)
    JOIN unnest(p_stream_types, p_stream_ids) WITH ORDINALITY AS c(t, s, ord) ON c.ord = u.c
    ON CONFLICT (stream_type, stream_id) DO UPDATE SET version = excluded.version;

    -- Events are listed caller by caller: a caller's k-th event is at starts[caller] + k.
    FOR k IN 1..n LOOP
        starts[k] := inserted;
        inserted := inserted + p_counts[k];
    END LOOP;
    -- Callers joined, not subscripted: subscripting a text[] walks it from the start, which
    -- made the whole statement quadratic in the batch size.
    WITH ins AS (
        INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, data,
                            metadata, actor_type, actor_id, occurred_at)
        SELECT x.id, c.t, c.s, (c.first + x.ord - c.start - 1)::integer, x.typ, x.dat, x.meta,
               c.at, c.aid, p_occurred_at
        FROM unnest(p_event_callers, p_event_ids, p_event_types, p_data, p_metadata)
             WITH ORDINALITY AS x(caller, id, typ, dat, meta, ord)
        JOIN unnest(p_stream_types, p_stream_ids, p_actor_types, p_actor_ids, firsts, starts)
             WITH ORDINALITY AS c(t, s, at, aid, first, start, ord) ON c.ord = x.caller
        WHERE c.first IS NOT NULL
        -- Rows go in in list order (caller by caller), so positions follow versions.
        ORDER BY x.ord
        RETURNING events.position
    )
    SELECT array_agg(ins.position ORDER BY ins.position) INTO positions FROM ins;

    inserted := 0;
    -- The k-th row inserted got the k-th smallest position (one backend draws them in order).
    FOR k IN 1..n LOOP
        IF firsts[k] IS NOT NULL THEN
            inserted := inserted + p_counts[k];
            lasts[k] := positions[inserted];
        END IF;
    END LOOP;

    RETURN QUERY
    SELECT g.ord, firsts[g.ord], actuals[g.ord], lasts[g.ord] FROM generate_series(1, n) AS g(ord);
END;
$$;
