-- The projector of `execution` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

-- The two insert-only execution events are projected set-wise: pm_project_events applies all
-- of a batch's ExecutionCreated and OutputChunk events with one statement each (nothing else
-- writes those rows, and ExecutionCreated opens its stream, so doing them first is the same as
-- doing them in position order); pm_project_execution passes a single event.
-- (PL/pgSQL rather than SQL functions: PL/pgSQL keeps its plans for the session, a SQL function
-- plans its statement again on every call.)
CREATE OR REPLACE FUNCTION pm_project_executions_created(evs events[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO executions_projection (id, device_id, action_id, action_type, desired_state,
                                       params, timeout_seconds, status, created_at, expires_at,
                                       signature, params_canonical,
                                       created_by_type, created_by_id, projection_version)
    SELECT e.stream_id, e.data ->> 'device_id', e.data ->> 'action_id',
           (e.data ->> 'action_type')::integer, (e.data ->> 'desired_state')::integer,
           e.data -> 'params', (e.data ->> 'timeout_seconds')::integer, 'pending', e.occurred_at,
           (e.data ->> 'expires_at')::timestamptz, decode(e.data ->> 'signature', 'base64'),
           e.data ->> 'params_canonical', e.actor_type, e.actor_id, e.position
    FROM unnest(evs) AS e
    WHERE e.stream_type = 'execution' AND e.event_type = 'ExecutionCreated'
    ORDER BY e.position
    ON CONFLICT (id) DO NOTHING;
END;
$$;

-- A chunk sent twice (same execution, sequence and stream) is kept once: the first one.
CREATE OR REPLACE FUNCTION pm_project_output_chunks(evs events[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO execution_output_projection (execution_id, sequence, stream, data, created_at,
                                             projection_version)
    SELECT e.stream_id, (e.data ->> 'sequence')::bigint, e.data ->> 'stream', e.data ->> 'data',
           e.occurred_at, e.position
    FROM unnest(evs) AS e
    WHERE e.stream_type = 'execution' AND e.event_type = 'OutputChunk'
    ORDER BY e.position
    ON CONFLICT DO NOTHING;
END;
$$;

-- Execution status is a guarded state machine:
--   pending -> dispatched -> running -> success | failed | timeout | skipped
--   pending | dispatched -> expired
-- Steps may be skipped forwards (a result can arrive without ExecutionStarted); a finished
-- execution (success, failed, timeout, skipped, expired) never changes again, and nothing moves
-- back to pending/dispatched. A dispatched execution may be dispatched again (re-sent on
-- reconnect): dispatched_at then records the latest send. An event the guard refuses leaves the
-- row untouched, projection_version included.
--
-- dispatched_at is the gateway's send time (`sent_at`, taken before the send; occurred_at for
-- events written before it existed). The gateway records the send after it, so an agent that
-- answers at once can have its result recorded first: ExecutionDispatched then arrives at a
-- started or finished execution. It no longer changes the status, but still records the send
-- when none is known (a re-send recorded after the answer leaves the earlier send).
CREATE OR REPLACE FUNCTION pm_project_execution(e events) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_sent timestamptz;
BEGIN
    CASE e.event_type
    WHEN 'ExecutionCreated' THEN
        PERFORM pm_project_executions_created(ARRAY[e]);
        RETURN;
    WHEN 'OutputChunk' THEN
        PERFORM pm_project_output_chunks(ARRAY[e]);
        RETURN;
    WHEN 'ExecutionDispatched' THEN
        v_sent := coalesce((e.data ->> 'sent_at')::timestamptz, e.occurred_at);
        UPDATE executions_projection
        SET status = 'dispatched', dispatched_at = v_sent, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position
          AND status IN ('pending', 'dispatched');
        IF NOT FOUND THEN
            -- Recorded after the agent's answer: keep the status, record the send.
            UPDATE executions_projection
            SET dispatched_at = v_sent, projection_version = e.position
            WHERE id = e.stream_id AND projection_version < e.position
              AND status NOT IN ('pending', 'dispatched', 'expired')
              AND dispatched_at IS NULL;
        END IF;
    WHEN 'ExecutionStarted' THEN
        UPDATE executions_projection
        SET status = 'running', started_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position
          AND status IN ('pending', 'dispatched');
    WHEN 'ExecutionCompleted', 'ExecutionFailed', 'ExecutionTimedOut' THEN
        UPDATE executions_projection
        SET status = CASE e.event_type WHEN 'ExecutionCompleted' THEN 'success'
                                       WHEN 'ExecutionFailed' THEN 'failed'
                                       ELSE 'timeout' END,
            completed_at = coalesce((e.data ->> 'completed_at')::timestamptz, e.occurred_at),
            duration_ms = (e.data ->> 'duration_ms')::bigint,
            error = e.data ->> 'error',
            output = nullif(e.data -> 'output', 'null'),
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position
          AND status IN ('pending', 'dispatched', 'running');
    WHEN 'ExecutionSkipped' THEN
        UPDATE executions_projection
        SET status = 'skipped', completed_at = e.occurred_at, error = e.data ->> 'reason',
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position
          AND status IN ('pending', 'dispatched', 'running');
    WHEN 'ExecutionExpired' THEN
        UPDATE executions_projection
        SET status = 'expired', completed_at = e.occurred_at, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position
          AND status IN ('pending', 'dispatched');
    ELSE
        RETURN;
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'executions_projection');
    END IF;
END;
$$;
