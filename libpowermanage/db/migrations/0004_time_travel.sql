-- Time travel: a stream's projection rows as they were at a moment, computed by replaying the
-- stream's events up to then through the same projector functions as the live path.

-- The rows a stream owns: (table, key column) for each projection table of its stream type.
CREATE FUNCTION pm_stream_tables(p_stream_type text)
RETURNS TABLE (table_name text, key_column text) LANGUAGE sql IMMUTABLE AS $$
    SELECT t.table_name, t.key_column FROM (VALUES
        ('user', 'users_projection', 'id'),
        ('token', 'tokens_projection', 'id'),
        ('device', 'devices_projection', 'id'),
        ('device', 'device_certificates_projection', 'device_id'),
        ('action', 'actions_projection', 'id'),
        ('action_set', 'action_sets_projection', 'id'),
        ('action_set', 'action_set_members_projection', 'set_id'),
        ('definition', 'definitions_projection', 'id'),
        ('definition', 'definition_members_projection', 'definition_id'),
        ('device_group', 'device_groups_projection', 'id'),
        ('device_group', 'device_group_members_projection', 'group_id'),
        ('assignment', 'assignments_projection', 'id'),
        ('execution', 'executions_projection', 'id'),
        ('execution', 'execution_output_projection', 'execution_id'),
        ('user_selection', 'user_selections_projection', 'id')
    ) AS t(stream_type, table_name, key_column)
    WHERE t.stream_type = p_stream_type
$$;

-- Returns {"<table>": [rows as JSON], ...} for the stream's rows as of p_at. Works inside a
-- subtransaction that it always rolls back, so the live rows are untouched whatever the
-- caller does next; while it runs it holds the locks of the rows it rewrote.
CREATE FUNCTION pm_state_at(p_stream_type text, p_stream_id text, p_at timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_result jsonb := '{}';
    v_rows jsonb;
    t record;
    r events;
    v_known boolean := false;
BEGIN
    PERFORM pm_require_writer();
    BEGIN
        FOR t IN SELECT * FROM pm_stream_tables(p_stream_type) LOOP
            v_known := true;
            EXECUTE format('DELETE FROM %I WHERE %I = $1', t.table_name, t.key_column)
                USING p_stream_id;
        END LOOP;
        IF NOT v_known THEN
            RAISE EXCEPTION 'stream type % has no projection to travel in', quote_literal(p_stream_type)
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOR r IN SELECT * FROM events
                 WHERE stream_type = p_stream_type AND stream_id = p_stream_id
                   AND occurred_at <= p_at
                 ORDER BY stream_version LOOP
            PERFORM pm_project_event(r);
        END LOOP;
        FOR t IN SELECT * FROM pm_stream_tables(p_stream_type) LOOP
            EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(x)), ''[]'') FROM %I x WHERE %I = $1',
                           t.table_name, t.key_column)
                INTO v_rows USING p_stream_id;
            v_result := v_result || jsonb_build_object(t.table_name, v_rows);
        END LOOP;
        -- Undo every write above; v_result survives because variables are not rolled back.
        RAISE EXCEPTION USING ERRCODE = 'PMTT0', MESSAGE = 'time travel rollback';
    EXCEPTION WHEN SQLSTATE 'PMTT0' THEN
        NULL;
    END;
    RETURN v_result;
END;
$$;
