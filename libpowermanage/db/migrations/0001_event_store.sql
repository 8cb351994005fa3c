-- The event store: one append-only table of events, and one row per stream holding its
-- current version, which serialises concurrent writers of the same stream.

CREATE TABLE events (
    -- Global number, unique and increasing in insertion order. Commit order differs under
    -- concurrency, so readers order by (transaction_id, position); see read_all.
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid NOT NULL UNIQUE,
    stream_type     text NOT NULL,
    stream_id       text NOT NULL,
    stream_version  integer NOT NULL CHECK (stream_version > 0),
    event_type      text NOT NULL,
    data            jsonb NOT NULL DEFAULT '{}',
    metadata        jsonb NOT NULL DEFAULT '{}',
    actor_type      text NOT NULL,
    actor_id        text NOT NULL,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    -- The appending transaction. Rows whose transaction id is below the xmin of a reader's
    -- snapshot are final: no transaction that could still commit has a smaller id.
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    UNIQUE (stream_type, stream_id, stream_version)
);

CREATE INDEX events_commit_order ON events (transaction_id, position);
CREATE INDEX events_occurred_at ON events (occurred_at);
CREATE INDEX events_event_type ON events (event_type);

-- Current version of every stream. Appends lock the row (update or insert), so two writers of
-- one stream queue up and the loser sees the winner's version instead of a unique violation.
CREATE TABLE streams (
    stream_type text NOT NULL,
    stream_id   text NOT NULL,
    version     integer NOT NULL CHECK (version > 0),
    PRIMARY KEY (stream_type, stream_id)
);

-- Events are immutable: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE FUNCTION pm_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % is not allowed on the events table', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION pm_events_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION pm_events_immutable();

-- Appends the events of several callers in one transaction (group commit). Each caller names
-- one stream, an expected version (-1 any, 0 no stream yet, N exactly N) and how many of the
-- events it owns; events are listed caller by caller. A caller whose expected version does
-- not hold gets first_version NULL and the stream's actual version, and its events are left
-- out; the others are appended all the same. p_event_callers names each event's caller.
-- All events go in with ONE insert, so projection
-- triggers run once per batch.
CREATE FUNCTION pm_append_batch(
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
    starts integer[] := array_fill(0, ARRAY[n]);
    i integer;
    v integer;
    acc integer := 0;
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
    PERFORM pg_advisory_xact_lock(hashtextextended(u.t || '/' || u.s, 0))
    FROM (SELECT DISTINCT t, s FROM unnest(p_stream_types, p_stream_ids) AS x(t, s) ORDER BY t, s) u;
    -- Projectors run as the server, whatever the connection's role would otherwise see. The
    -- setting lasts to the end of the transaction, which is why appends get their own.
    PERFORM set_config('pm.actor_type', 'system', true);
    PERFORM set_config('pm.actor_id', 'appender', true);
    FOR i IN 1..n LOOP
        starts[i] := acc;
        acc := acc + p_counts[i];
    END LOOP;
    FOR i IN SELECT u.ord FROM unnest(p_stream_types, p_stream_ids) WITH ORDINALITY
                 AS u(t, s, ord) ORDER BY u.t, u.s, u.ord LOOP
        v := NULL;
        IF p_expected[i] < 0 THEN
            INSERT INTO streams AS st (stream_type, stream_id, version)
                VALUES (p_stream_types[i], p_stream_ids[i], p_counts[i])
                ON CONFLICT (stream_type, stream_id)
                DO UPDATE SET version = st.version + p_counts[i]
                RETURNING st.version INTO v;
        ELSIF p_expected[i] = 0 THEN
            INSERT INTO streams (stream_type, stream_id, version)
                VALUES (p_stream_types[i], p_stream_ids[i], p_counts[i])
                ON CONFLICT (stream_type, stream_id) DO NOTHING
                RETURNING version INTO v;
        ELSE
            UPDATE streams SET version = p_expected[i] + p_counts[i]
                WHERE stream_type = p_stream_types[i] AND stream_id = p_stream_ids[i]
                  AND version = p_expected[i]
                RETURNING version INTO v;
        END IF;
        IF v IS NULL THEN
            SELECT coalesce(max(st.version), 0) INTO v FROM streams st
                WHERE st.stream_type = p_stream_types[i] AND st.stream_id = p_stream_ids[i];
            actuals[i] := v;
        ELSE
            firsts[i] := v - p_counts[i] + 1;
            actuals[i] := v;
        END IF;
    END LOOP;

    RETURN QUERY
    WITH incoming AS (
        SELECT e.caller, e.ord::integer - starts[e.caller] AS offset_in_caller,
               e.id, e.typ, e.dat, e.meta
        FROM unnest(p_event_callers, p_event_ids, p_event_types, p_data, p_metadata)
             WITH ORDINALITY AS e(caller, id, typ, dat, meta, ord)
        WHERE firsts[e.caller] IS NOT NULL
    ), inserted AS (
        INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, data,
                            metadata, actor_type, actor_id, occurred_at)
        SELECT i.id, p_stream_types[i.caller], p_stream_ids[i.caller],
               firsts[i.caller] + i.offset_in_caller - 1, i.typ, i.dat, i.meta,
               p_actor_types[i.caller], p_actor_ids[i.caller], p_occurred_at
        FROM incoming i
        ORDER BY i.caller, i.offset_in_caller
        RETURNING events.position, events.event_id
    ), last_positions AS (
        SELECT i.caller, max(ins.position) AS last_position
        FROM inserted ins JOIN incoming i ON i.id = ins.event_id
        GROUP BY i.caller
    )
    SELECT c.ord::integer, firsts[c.ord], actuals[c.ord], lp.last_position
    FROM generate_series(1, n) AS c(ord) LEFT JOIN last_positions lp ON lp.caller = c.ord
    ORDER BY c.ord;
END;
$$;

-- Up to p_limit events after the cursor (p_after_txid, p_after_position) in (transaction id,
-- position) order, only from transactions older than every transaction still running, so an
-- event whose transaction commits late is read late, never skipped. The settings pin the plan
-- to an ordered walk of events_commit_order: with stale statistics the planner would
-- otherwise fetch and sort everything after the cursor on every page.
CREATE FUNCTION pm_read_all(p_after_txid xid8, p_after_position bigint, p_limit integer)
RETURNS SETOF events LANGUAGE sql STABLE
SET enable_sort = off SET enable_bitmapscan = off SET enable_seqscan = off AS $$
    SELECT * FROM events
    WHERE (transaction_id, position) > (p_after_txid, p_after_position)
      AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY transaction_id, position
    LIMIT p_limit
$$;
