-- The projector of `device` streams: what each of its events does to the projection tables
-- (docs/events.md). Applied by db::migrate after the versioned migrations, again whenever
-- this file changes (CREATE OR REPLACE), so this file is the one place where the current
-- projector lives; the tables stay in libpowermanage/db/migrations.

CREATE OR REPLACE FUNCTION pm_project_device(e events) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_groups text[];
BEGIN
    CASE e.event_type
    WHEN 'DeviceHeartbeat', 'DeviceConnected' THEN
        -- An empty agent version or host name carries no information: keep the old one. Both
        -- are optional in a heartbeat but required in DeviceConnected: a missing one fails.
        IF e.event_type = 'DeviceConnected' THEN
            PERFORM pm_required(e.data, 'agent_version'), pm_required(e.data, 'hostname');
        END IF;
        UPDATE devices_projection
        SET last_seen_at = greatest(last_seen_at, e.occurred_at),
            agent_version = coalesce(nullif(e.data ->> 'agent_version', ''), agent_version),
            hostname = coalesce(nullif(e.data ->> 'hostname', ''), hostname),
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceLabelSet' THEN
        UPDATE devices_projection
        SET labels = labels || jsonb_build_object(pm_required(e.data, 'key'),
                                                  pm_required(e.data, 'value')),
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceDisconnected' THEN
        UPDATE devices_projection
        SET last_seen_at = greatest(last_seen_at, e.occurred_at), projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceRegistered' THEN
        INSERT INTO device_certificates_projection
            (serial, device_id, fingerprint, not_after, issued_at, projection_version)
        VALUES (pm_required(e.data, 'cert_serial'), e.stream_id,
                pm_required(e.data, 'cert_fingerprint'),
                (e.data ->> 'cert_not_after')::timestamptz, e.occurred_at, e.position)
        ON CONFLICT (serial) DO NOTHING;
        -- Upsert: registering an existing id again replaces the certificate and makes the
        -- device live; labels are merged; the assignment changes only when given.
        INSERT INTO devices_projection AS d
            (id, hostname, agent_version, cert_fingerprint, cert_serial, cert_not_after,
             registered_at, last_seen_at, registration_token_id, labels, assigned_user_id,
             projection_version)
        VALUES (e.stream_id, e.data ->> 'hostname', e.data ->> 'agent_version',
                e.data ->> 'cert_fingerprint', e.data ->> 'cert_serial',
                (e.data ->> 'cert_not_after')::timestamptz, e.occurred_at, e.occurred_at,
                e.data ->> 'registration_token_id',
                coalesce(nullif(e.data -> 'labels', 'null'), '{}'),
                e.data ->> 'assigned_user_id', e.position)
        ON CONFLICT (id) DO UPDATE
        SET hostname = excluded.hostname,
            agent_version = excluded.agent_version,
            cert_fingerprint = excluded.cert_fingerprint,
            cert_serial = excluded.cert_serial,
            cert_not_after = excluded.cert_not_after,
            cert_revoked = false,
            registered_at = excluded.registered_at,
            last_seen_at = greatest(d.last_seen_at, excluded.last_seen_at),
            registration_token_id = excluded.registration_token_id,
            labels = d.labels || excluded.labels,
            assigned_user_id = coalesce(excluded.assigned_user_id, d.assigned_user_id),
            is_deleted = false,
            projection_version = excluded.projection_version
        WHERE d.projection_version < excluded.projection_version;
        RETURN;
    WHEN 'DeviceLabelRemoved' THEN
        UPDATE devices_projection
        SET labels = labels - pm_required(e.data, 'key'), projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceAssigned' THEN
        UPDATE devices_projection
        SET assigned_user_id = pm_required(e.data, 'user_id'), projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceUnassigned' THEN
        UPDATE devices_projection SET assigned_user_id = NULL, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceSyncIntervalSet' THEN
        UPDATE devices_projection
        SET sync_interval_minutes = (e.data ->> 'sync_interval_minutes')::integer,
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceCertificateRevoked' THEN
        UPDATE device_certificates_projection
        SET revoked_at = coalesce(revoked_at, e.occurred_at),
            revoke_reason = coalesce(revoke_reason, e.data ->> 'reason'),
            projection_version = e.position
        WHERE serial = pm_required(e.data, 'serial') AND device_id = e.stream_id
          AND projection_version < e.position;
        UPDATE devices_projection
        SET cert_revoked = cert_revoked OR cert_serial = pm_required(e.data, 'serial'),
            projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
    WHEN 'DeviceDeleted' THEN
        UPDATE devices_projection SET is_deleted = true, projection_version = e.position
        WHERE id = e.stream_id AND projection_version < e.position;
        IF NOT FOUND THEN
            PERFORM pm_require_row(e, 'devices_projection');
            RETURN;
        END IF;
        -- Leave every group. Lock the groups first, in id order, as the group projector does
        -- (parent before members), then delete, then recount in a new statement so the count
        -- sees membership changes that concurrent appends committed while we waited.
        PERFORM 1 FROM device_groups_projection
        WHERE id IN (SELECT group_id FROM device_group_members_projection WHERE device_id = e.stream_id)
        ORDER BY id FOR UPDATE;
        WITH gone AS (
            DELETE FROM device_group_members_projection WHERE device_id = e.stream_id
            RETURNING group_id)
        SELECT array_agg(DISTINCT group_id ORDER BY group_id) INTO v_groups FROM gone;
        IF v_groups IS NOT NULL THEN
            PERFORM 1 FROM device_groups_projection WHERE id = ANY (v_groups) ORDER BY id FOR UPDATE;
            UPDATE device_groups_projection g
            SET member_count = (SELECT count(*) FROM device_group_members_projection m
                                WHERE m.group_id = g.id)
            WHERE g.id = ANY (v_groups);
        END IF;
        RETURN;
    ELSE
        RETURN;  -- SecurityAlert (an audit record) and unknown types
    END CASE;
    IF NOT FOUND THEN
        PERFORM pm_require_row(e, 'devices_projection');
    END IF;
END;
$$;

-- DeviceHeartbeat, DeviceConnected and DeviceDisconnected, set-wise: pm_project_events passes
-- runs of a batch in which no other event of a device (or of any stream but execution) lies
-- between them, so only these three touch devices_projection within a run. Their effect equals
-- pm_project_device on each in position order: the guard admits exactly the events with a
-- position above the row's projection_version before the run (each applied event raises it
-- to its own position, and positions increase), so per device the run keeps the latest
-- occurred_at, the last non-empty agent version and host name of those events, and the
-- highest position. DeviceConnected's keys are required before any guard, and a device with
-- no row fails, as one by one. Any error here makes pm_project_events replay the batch event
-- by event to name the event at fault, so these messages are seldom seen.
CREATE OR REPLACE FUNCTION pm_project_device_heartbeats(evs events[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_bad text;
    v_missing text;
    v_streams bigint;
    v_updated bigint;
BEGIN
    -- The last non-empty value by position is the greatest "<position, 19 digits><value>"
    -- (in the C collation): an ordered aggregate (array_agg(... ORDER BY)) would start a sort
    -- per device, which costs more than the rest of the statement when devices have one or two
    -- events in a batch, as in live appends.
    -- The usual case first: every event of the run is newer than its row, so the guard admits
    -- them all and one aggregate per device is the whole effect. Only rows older than all of
    -- their run's events are updated here.
    WITH run AS (
        SELECT e.stream_id, min(e.position) AS first, max(e.position) AS position,
               max(e.occurred_at) AS seen,
               bool_or(e.event_type = 'DeviceConnected'
                       AND (e.data ->> 'agent_version' IS NULL OR e.data ->> 'hostname' IS NULL))
                   AS incomplete,
               substr(max((lpad(e.position::text, 19, '0') || (e.data ->> 'agent_version')) COLLATE "C")
                    FILTER (WHERE e.event_type <> 'DeviceDisconnected'
                              AND nullif(e.data ->> 'agent_version', '') IS NOT NULL), 20)
                   AS agent_version,
               substr(max((lpad(e.position::text, 19, '0') || (e.data ->> 'hostname')) COLLATE "C")
                    FILTER (WHERE e.event_type <> 'DeviceDisconnected'
                              AND nullif(e.data ->> 'hostname', '') IS NOT NULL), 20) AS hostname
        FROM unnest(evs) AS e
        WHERE e.stream_type = 'device'
          AND e.event_type IN ('DeviceHeartbeat', 'DeviceConnected', 'DeviceDisconnected')
        GROUP BY e.stream_id),
    updated AS (
        UPDATE devices_projection d
        SET last_seen_at = greatest(d.last_seen_at, run.seen),
            agent_version = coalesce(run.agent_version, d.agent_version),
            hostname = coalesce(run.hostname, d.hostname),
            projection_version = run.position
        FROM run
        WHERE d.id = run.stream_id AND d.projection_version < run.first
        RETURNING 1)
    SELECT (SELECT count(*) FROM run), (SELECT count(*) FROM updated),
           (SELECT min(run.stream_id) FROM run WHERE run.incomplete)
    INTO v_streams, v_updated, v_bad;
    -- DeviceConnected's keys are required whatever the guard says (the update above is rolled
    -- back with the batch).
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'DeviceConnected of device/% lacks agent_version or hostname', v_bad
            USING ERRCODE = 'not_null_violation';
    END IF;
    IF v_updated = v_streams THEN
        RETURN;
    END IF;
    -- Some row is missing, or some events were applied already (a replay over the current
    -- state): the guard per event, for the rows the statement above left alone (for the others
    -- no event is newer than their row any more). Each event looks its row up by key: the
    -- planner cannot know how many elements the array has, and a join between two sets of
    -- them risks a nested loop over both.
    WITH run AS (
        SELECT e.stream_id, bool_and(d.id IS NOT NULL) AS found,
               max(e.occurred_at) FILTER (WHERE e.position > d.projection_version) AS seen,
               max(e.position) FILTER (WHERE e.position > d.projection_version) AS position,
               substr(max((lpad(e.position::text, 19, '0') || (e.data ->> 'agent_version')) COLLATE "C")
                    FILTER (WHERE e.position > d.projection_version
                              AND e.event_type <> 'DeviceDisconnected'
                              AND nullif(e.data ->> 'agent_version', '') IS NOT NULL), 20)
                   AS agent_version,
               substr(max((lpad(e.position::text, 19, '0') || (e.data ->> 'hostname')) COLLATE "C")
                    FILTER (WHERE e.position > d.projection_version
                              AND e.event_type <> 'DeviceDisconnected'
                              AND nullif(e.data ->> 'hostname', '') IS NOT NULL), 20) AS hostname
        FROM unnest(evs) AS e
        LEFT JOIN devices_projection d ON d.id = e.stream_id
        WHERE e.stream_type = 'device'
          AND e.event_type IN ('DeviceHeartbeat', 'DeviceConnected', 'DeviceDisconnected')
        GROUP BY e.stream_id),
    updated AS (
        UPDATE devices_projection d
        SET last_seen_at = greatest(d.last_seen_at, run.seen),
            agent_version = coalesce(run.agent_version, d.agent_version),
            hostname = coalesce(run.hostname, d.hostname),
            projection_version = run.position
        FROM run
        WHERE d.id = run.stream_id AND run.position IS NOT NULL
        RETURNING 1)
    SELECT (SELECT min(run.stream_id) FROM run WHERE NOT run.found),
           (SELECT count(*) FROM updated)
    INTO v_missing, v_updated;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'devices_projection has no row for device/%: the stream does not start with its creation event',
            v_missing USING ERRCODE = 'no_data_found';
    END IF;
END;
$$;
