-- pm_append_batch without per-caller PL/pgSQL: same arguments, results and locking as 0008's.
-- 0008 ran three loops over the callers (version checks, event offsets, last positions), about
-- a dozen PL/pgSQL expressions per caller; at 64 one-event callers that was ≈ 14 µs per event,
-- as much as projecting it (issue #14, profile in docs/benchmarks.md). Now:
-- * the version checks are one statement when no stream has two callers of which one names a
--   version (every caller of a shared stream appends at any version: the usual batch of
--   agents' results, dispatches and heartbeats); then each caller's first version is its
--   stream's stored version plus the counts of the stream's callers before it. Otherwise the
--   0008 loop runs, unchanged, since one caller's check depends on which callers before it
--   passed;
-- * event offsets and last positions are running sums (window functions) instead of loops;
-- * the stream versions are written with one upsert of each changed stream's last version.
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
    firsts integer[];
    actuals integer[];
    simple boolean;
    -- The 0008 loop, for batches that need it.
    sorted_callers integer[];
    sorted_streams integer[];
    stored_versions integer[];
    positions bigint[];
    i integer;
    k integer;
    v integer;
    e bigint;
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

    -- Each caller's stream version before the batch, and the counts of its stream's callers up
    -- to and including it. A lookup per caller, not a join: the plan is cached for the
    -- session, and a join planned while `streams` was small would go on scanning all of it
    -- once it is large.
    SELECT bool_and(y.callers = 1 OR NOT y.checked),
           array_agg(CASE WHEN y.e < 0 OR (y.e = 0 AND y.stored = 0) OR (y.e > 0 AND y.stored = y.e)
                          THEN y.stored + y.run - y.cnt + 1 END ORDER BY y.ord),
           array_agg(CASE WHEN y.e < 0 OR (y.e = 0 AND y.stored = 0) OR (y.e > 0 AND y.stored = y.e)
                          THEN y.stored + y.run ELSE y.stored END ORDER BY y.ord)
    INTO simple, firsts, actuals
    FROM (SELECT x.ord, x.e, x.cnt,
                 coalesce((SELECT st.version FROM streams st
                           WHERE st.stream_type = x.t AND st.stream_id = x.s), 0) AS stored,
                 count(*) OVER w AS callers,
                 bool_or(x.e >= 0) OVER w AS checked,
                 (sum(x.cnt) OVER (PARTITION BY x.t, x.s ORDER BY x.ord))::integer AS run
          FROM unnest(p_stream_types, p_stream_ids, p_expected, p_counts) WITH ORDINALITY
               AS x(t, s, e, cnt, ord)
          WINDOW w AS (PARTITION BY x.t, x.s)) y;

    IF NOT simple THEN
        -- A stream with several callers, one of them naming a version: check them in turn,
        -- each seeing the version the callers before it left (-1 any, 0 no stream yet, N
        -- exactly N).
        SELECT array_agg(x.ord ORDER BY x.t, x.s, x.ord),
               array_agg(x.stream_no ORDER BY x.t, x.s, x.ord),
               array_agg(x.version ORDER BY x.t, x.s, x.ord)
        INTO sorted_callers, sorted_streams, stored_versions
        FROM (SELECT c.t, c.s, c.ord::integer AS ord,
                     dense_rank() OVER (ORDER BY c.t, c.s)::integer AS stream_no,
                     coalesce((SELECT st.version FROM streams st
                               WHERE st.stream_type = c.t AND st.stream_id = c.s), 0) AS version
              FROM unnest(p_stream_types, p_stream_ids) WITH ORDINALITY AS c(t, s, ord)) x;
        firsts := array_fill(NULL::integer, ARRAY[n]);
        actuals := array_fill(NULL::integer, ARRAY[n]);
        FOR i IN 1..n LOOP
            k := sorted_callers[i];
            IF i = 1 OR sorted_streams[i] <> sorted_streams[i - 1] THEN
                v := stored_versions[i];
            END IF;
            e := p_expected[k];
            IF e < 0 OR (e = 0 AND v = 0) OR (e > 0 AND v = e) THEN
                firsts[k] := v + 1;
                v := v + p_counts[k];
            END IF;
            actuals[k] := v;
        END LOOP;
    END IF;

    -- A stream's last version is the largest its appended callers reached (versions only grow).
    INSERT INTO streams AS st (stream_type, stream_id, version)
    SELECT u.t, u.s, max(u.a)
    FROM unnest(p_stream_types, p_stream_ids, firsts, actuals) AS u(t, s, f, a)
    WHERE u.f IS NOT NULL
    GROUP BY u.t, u.s
    ON CONFLICT (stream_type, stream_id) DO UPDATE SET version = excluded.version;

    -- Events are listed caller by caller: a caller's k-th event is the (start + k)-th, start
    -- being the counts of the callers before it. Callers joined, not subscripted: subscripting
    -- a text[] walks it from the start, which made the statement quadratic in the batch size.
    WITH ins AS (
        INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, data,
                            metadata, actor_type, actor_id, occurred_at)
        SELECT x.id, c.t, c.s, (c.first + x.ord - c.start - 1)::integer, x.typ, x.dat, x.meta,
               c.at, c.aid, p_occurred_at
        FROM unnest(p_event_callers, p_event_ids, p_event_types, p_data, p_metadata)
             WITH ORDINALITY AS x(caller, id, typ, dat, meta, ord)
        JOIN (SELECT u.*, sum(u.cnt) OVER (ORDER BY u.ord) - u.cnt AS start
              FROM unnest(p_stream_types, p_stream_ids, p_actor_types, p_actor_ids, firsts,
                          p_counts) WITH ORDINALITY AS u(t, s, at, aid, first, cnt, ord)) c
             ON c.ord = x.caller
        WHERE c.first IS NOT NULL
        -- Rows go in in list order (caller by caller), so positions follow versions.
        ORDER BY x.ord
        RETURNING events.position
    )
    SELECT array_agg(ins.position ORDER BY ins.position) INTO positions FROM ins;

    -- The k-th row inserted got the k-th smallest position (one backend draws them in order),
    -- so an appended caller's last position is at the running count of appended events.
    RETURN QUERY
    SELECT g.ord::integer, g.f, g.a,
           CASE WHEN g.f IS NOT NULL
                THEN positions[(sum(CASE WHEN g.f IS NOT NULL THEN g.cnt ELSE 0 END)
                                OVER (ORDER BY g.ord))::integer] END
    FROM unnest(firsts, actuals, p_counts) WITH ORDINALITY AS g(f, a, cnt, ord)
    ORDER BY g.ord;
END;
$$;
