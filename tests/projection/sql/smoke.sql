-- Smoke test of the projections (0002) and row-level security (0003), to be superseded by the
-- C++ tests. Run as a superuser on a fresh database with migrations 0001-0003 applied:
--   psql -v ON_ERROR_STOP=1 -q -f tests/projection/sql/smoke.sql "$DATABASE_URL"
-- It creates the role pm_smoke_app (dropped again at the end) and runs everything as that
-- ordinary role, so projectors write under row-level security as the server will. The first
-- failing check stops the script with "check failed: ...".
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TimeZone = 'UTC';

DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pm_smoke_app') THEN
        DROP OWNED BY pm_smoke_app;
        DROP ROLE pm_smoke_app;
    END IF;
END $$;
CREATE ROLE pm_smoke_app;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO pm_smoke_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO pm_smoke_app;
SET ROLE pm_smoke_app;
-- Checks read as 'system' until the row-level security part; appends set it themselves.
SET pm.actor_type = 'system';
\o /dev/null

-- Helpers ------------------------------------------------------------------------------------

CREATE FUNCTION pg_temp.eq(actual text, expected text, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF actual IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'check failed: %: got %, want %', what, actual, expected;
    END IF;
END $$;

-- Appends like the server: actor 'system' for the transaction, then ONE multi-row INSERT.
-- evs = [[stream_type, stream_id, event_type, data, actor_type?, actor_id?], ...]; versions
-- continue each stream.
CREATE FUNCTION pg_temp.append(evs jsonb, at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('pm.actor_type', 'system', true);
    INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, data,
                        actor_type, actor_id, occurred_at)
    SELECT gen_random_uuid(), x ->> 0, x ->> 1,
           coalesce((SELECT max(e.stream_version) FROM events e
                     WHERE e.stream_type = x ->> 0 AND e.stream_id = x ->> 1), 0)
             + row_number() OVER (PARTITION BY x ->> 0, x ->> 1 ORDER BY n),
           x ->> 2, x -> 3, coalesce(x ->> 4, 'user'), coalesce(x ->> 5, 'U2'), at
    FROM jsonb_array_elements(evs) WITH ORDINALITY AS a(x, n)
    ORDER BY n;
END $$;

-- The append must fail with this SQLSTATE, constraint name ('' = none) and message pattern,
-- and leave nothing behind.
CREATE FUNCTION pg_temp.append_fails(evs jsonb, want_state text, want_constraint text,
                                     want_message text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n_before bigint := (SELECT count(*) FROM events);
    st text; cn text; msg text;
BEGIN
    BEGIN
        PERFORM pg_temp.append(evs, '2026-01-02');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, cn = CONSTRAINT_NAME, msg = MESSAGE_TEXT;
        IF st <> want_state OR cn <> want_constraint OR msg NOT LIKE want_message THEN
            RAISE EXCEPTION 'check failed: wanted % "%" "%", got % "%" "%"',
                want_state, want_constraint, want_message, st, cn, msg;
        END IF;
        PERFORM pg_temp.eq((SELECT count(*) FROM events)::text, n_before::text, 'failed append left no events');
        RETURN;
    END;
    RAISE EXCEPTION 'check failed: append succeeded, wanted %: %', want_state, evs;
END $$;

-- Users ---------------------------------------------------------------------------------------

-- The literal form the C++ appender uses: one multi-row INSERT ... VALUES.
BEGIN;
SELECT set_config('pm.actor_type', 'system', true);
INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, data, actor_type, actor_id, occurred_at)
VALUES (gen_random_uuid(), 'user', 'U1', 1, 'UserCreated', '{"email": "Alice@Example.org", "password_hash": "h1", "role": "user"}', 'system', 'bootstrap', '2026-01-01 10:00'),
       (gen_random_uuid(), 'user', 'U2', 1, 'UserCreated', '{"email": "bob@example.org", "password_hash": "h2", "role": "admin"}', 'system', 'bootstrap', '2026-01-01 10:00'),
       (gen_random_uuid(), 'user', 'U1', 2, 'UserLoggedIn', '{}', 'user', 'U1', '2026-01-01 10:00'),
       (gen_random_uuid(), 'user', 'U1', 3, 'UserPasswordRehashed', '{"password_hash": "h1b"}', 'user', 'U1', '2026-01-01 10:00');
COMMIT;
SELECT pg_temp.eq((SELECT row(email, password_hash, role, session_version, disabled, is_deleted, last_login_at = created_at)::text
                   FROM users_projection WHERE id = 'U1'), '(Alice@Example.org,h1b,user,0,f,f,t)', 'UserCreated/LoggedIn/Rehashed');

SELECT pg_temp.append('[["user","U1","UserEmailChanged",{"email":"alice@example.org"}],
                        ["user","U1","UserPasswordChanged",{"password_hash":"h1c"}],
                        ["user","U1","UserRoleChanged",{"role":"admin"}],
                        ["user","U1","UserDisabled",{}]]', '2026-01-01 10:01');
SELECT pg_temp.eq((SELECT row(email, password_hash, role, session_version, disabled)::text
                   FROM users_projection WHERE id = 'U1'), '(alice@example.org,h1c,admin,3,t)', 'email/password/role/disabled');
SELECT pg_temp.append('[["user","U1","UserEnabled",{}], ["user","U1","UserRoleChanged",{"role":"user"}]]', '2026-01-01 10:02');
SELECT pg_temp.eq((SELECT row(disabled, session_version, updated_at = '2026-01-01 10:02')::text
                   FROM users_projection WHERE id = 'U1'), '(f,4,t)', 'UserEnabled does not bump sessions');

-- A live duplicate (case-insensitive) aborts the whole batch, names the event, keeps 23505 and
-- the constraint name; a deleted user's email can be taken again.
SELECT pg_temp.append_fails('[["user","U9","UserCreated",{"email":"x@example.org","password_hash":"h","role":"user"}],
                              ["user","U3","UserCreated",{"email":"ALICE@example.org","password_hash":"h","role":"user"}]]',
    '23505', 'users_projection_email_key',
    'projection of UserCreated (user/U3 version 1, position %) failed: duplicate key value violates unique constraint "users_projection_email_key"');
SELECT pg_temp.eq((SELECT count(*) FROM users_projection WHERE id IN ('U3', 'U9'))::text, '0', 'failed batch projected nothing');
SELECT pg_temp.append('[["user","U2","UserDeleted",{}],
                        ["user","U4","UserCreated",{"email":"Bob@example.org","password_hash":"h4","role":"user"}]]', '2026-01-01 10:03');
SELECT pg_temp.eq((SELECT string_agg(row(id, is_deleted, session_version)::text, ' ' ORDER BY id)
                   FROM users_projection WHERE lower(email) = 'bob@example.org'), '(U2,t,1) (U4,f,0)', 'UserDeleted, email reused');

-- Tokens --------------------------------------------------------------------------------------

SELECT pg_temp.append('[["token","T1","TokenCreated",{"value_hash":"aa","name":"t1","one_time":false,"max_uses":5},"user","U1"],
                        ["token","T2","TokenCreated",{"value_hash":"bb","name":"t2","one_time":true,"max_uses":1,"owner_id":"U4","expires_at":"2026-02-01T00:00:00Z"}],
                        ["token","T3","TokenCreated",{"value_hash":"cc","name":"t3","one_time":false,"max_uses":0},"system","bootstrap"],
                        ["token","T1","TokenRenamed",{"name":"t1 renamed"}],
                        ["token","T1","TokenUsed",{"device_id":"D1"}],
                        ["token","T1","TokenUsed",{"device_id":"D2"}],
                        ["token","T2","TokenDisabled",{"device_id":"D9"}],
                        ["token","T3","TokenDisabled",{}],
                        ["token","T3","TokenEnabled",{}],
                        ["token","T3","TokenDeleted",{}]]', '2026-01-01 11:00');
SELECT pg_temp.eq((SELECT string_agg(row(id, name, owner_id, created_by, current_uses, disabled, is_deleted, expires_at IS NOT NULL)::text, ' ' ORDER BY id)
                   FROM tokens_projection),
    '(T1,"t1 renamed",U1,U1,2,f,f,f) (T2,t2,U4,U2,0,t,f,t) (T3,t3,,bootstrap,0,f,t,f)', 'token events');
SELECT pg_temp.append_fails('[["token","T4","TokenCreated",{"value_hash":"aa","name":"dup","one_time":false,"max_uses":0}]]',
    '23505', 'tokens_projection_value_hash_key', 'projection of TokenCreated (token/T4 version 1, %');

-- Devices -------------------------------------------------------------------------------------

SELECT pg_temp.append('[["device","D1","DeviceRegistered",{"hostname":"h1","agent_version":"1.0","cert_fingerprint":"f1","cert_serial":"s1","cert_not_after":"2027-01-01T00:00:00Z","registration_token_id":"T2","assigned_user_id":"U4","labels":{"env":"prod"}},"system","registration"],
                        ["device","D2","DeviceRegistered",{"hostname":"h2","agent_version":"1.0","cert_fingerprint":"f2","cert_serial":"s2","cert_not_after":"2027-01-01T00:00:00Z","registration_token_id":"T1"},"system","registration"],
                        ["device","D3","DeviceRegistered",{"hostname":"h3","agent_version":"1.0","cert_fingerprint":"f3","cert_serial":"s3","cert_not_after":"2027-01-01T00:00:00Z","registration_token_id":"T1"},"system","registration"]]',
    '2026-01-01 12:00');
SELECT pg_temp.eq((SELECT row(hostname, agent_version, assigned_user_id, labels, cert_revoked, registered_at = '2026-01-01 12:00', last_seen_at = registered_at)::text
                   FROM devices_projection WHERE id = 'D1'), '(h1,1.0,U4,"{""env"": ""prod""}",f,t,t)', 'DeviceRegistered');

SELECT pg_temp.append('[["device","D1","DeviceHeartbeat",{"agent_version":"1.1","hostname":"","cpu_percent":3.5},"device","D1"],
                        ["device","D1","DeviceLabelSet",{"key":"env","value":"dev"}],
                        ["device","D1","DeviceLabelSet",{"key":"role","value":"web"}],
                        ["device","D1","DeviceLabelSet",{"key":"tmp","value":"x"}],
                        ["device","D1","DeviceLabelRemoved",{"key":"tmp"}],
                        ["device","D1","DeviceSyncIntervalSet",{"sync_interval_minutes":15}],
                        ["device","D1","DeviceCertificateRevoked",{"serial":"old-serial"}],
                        ["device","D1","DeviceUnassigned",{}],
                        ["device","D1","DeviceAssigned",{"user_id":"U1"}],
                        ["device","D2","DeviceAssigned",{"user_id":"U1"}],
                        ["device","D2","DeviceConnected",{"agent_version":"2.0","hostname":"h2-new","gateway_id":"g1"},"device","D2"]]',
    '2026-01-01 12:05');
SELECT pg_temp.eq((SELECT row(hostname, agent_version, labels, sync_interval_minutes, cert_revoked, assigned_user_id, last_seen_at = '2026-01-01 12:05')::text
                   FROM devices_projection WHERE id = 'D1'),
    '(h1,1.1,"{""env"": ""dev"", ""role"": ""web""}",15,f,U1,t)', 'heartbeat, labels, interval, foreign serial, reassignment');
SELECT pg_temp.eq((SELECT row(hostname, agent_version, assigned_user_id)::text FROM devices_projection WHERE id = 'D2'),
    '(h2-new,2.0,U1)', 'DeviceConnected, DeviceAssigned');

SELECT pg_temp.append('[["device","D2","DeviceDisconnected",{"reason":"eof"},"device","D2"],
                        ["device","D2","DeviceUnassigned",{}],
                        ["device","D2","DeviceCertificateRevoked",{"serial":"s2","reason":"lost"}],
                        ["device","D1","SecurityAlert",{"alert_type":"X","message":"m","details":{}},"device","D1"]]',
    '2026-01-01 12:10');
SELECT pg_temp.eq((SELECT row(cert_revoked, assigned_user_id IS NULL, last_seen_at = '2026-01-01 12:10')::text
                   FROM devices_projection WHERE id = 'D2'), '(t,t,t)', 'DeviceDisconnected, revoked current serial');
SELECT pg_temp.eq((SELECT (projection_version < (SELECT max(position) FROM events))::text FROM devices_projection WHERE id = 'D1'),
    'true', 'SecurityAlert changes nothing');
-- Registering an existing id again: new certificate, not revoked, labels merged, owner kept.
SELECT pg_temp.append('[["device","D2","DeviceRegistered",{"hostname":"h2","agent_version":"2.1","cert_fingerprint":"f2b","cert_serial":"s2b","cert_not_after":"2028-01-01T00:00:00Z","registration_token_id":"T1","labels":{"site":"b"}},"system","registration"],
                        ["device","D2","DeviceAssigned",{"user_id":"U4"}]]', '2026-01-01 12:15');
SELECT pg_temp.eq((SELECT row(cert_serial, cert_revoked, agent_version, labels, assigned_user_id, registered_at = '2026-01-01 12:15')::text
                   FROM devices_projection WHERE id = 'D2'), '(s2b,f,2.1,"{""site"": ""b""}",U4,t)', 'DeviceRegistered upsert');
SELECT pg_temp.append_fails('[["device","DX","DeviceHeartbeat",{}]]', 'P0002', '',
    'projection of DeviceHeartbeat (device/DX version 1, %) failed: devices_projection has no row for device/DX%');

-- Actions, sets, definitions ------------------------------------------------------------------

SELECT pg_temp.append('[["action","A1","ActionCreated",{"name":"install vim","description":"d","action_type":1,"desired_state":0,"params":{"name":"vim"},"timeout_seconds":300,"schedule":{"cron":"0 3 * * *"}}],
                        ["action","A2","ActionCreated",{"name":"a2","description":"","action_type":200,"desired_state":0,"params":{"script":"true"},"timeout_seconds":60}],
                        ["action","A3","ActionCreated",{"name":"a3","description":"","action_type":200,"desired_state":0,"params":{},"timeout_seconds":60}],
                        ["action","A1","ActionRenamed",{"name":"install neovim"}],
                        ["action","A1","ActionDescriptionUpdated",{"description":"editor"}],
                        ["action","A1","ActionSigned",{"signature":"AQID","params_canonical":"e30="}]]', '2026-01-01 13:00');
SELECT pg_temp.eq((SELECT row(name, description, signature, convert_from(params_canonical, 'UTF8'), schedule ->> 'cron')::text FROM actions_projection WHERE id = 'A1'),
    '("install neovim",editor,"\\x010203",{},"0 3 * * *")', 'ActionCreated/Renamed/DescriptionUpdated/Signed');
SELECT pg_temp.append('[["action","A1","ActionParamsUpdated",{"params":{"name":"neovim"},"timeout_seconds":600,"schedule":null}]]', '2026-01-01 13:01');
SELECT pg_temp.eq((SELECT row(params, timeout_seconds, desired_state, schedule IS NULL, signature IS NULL, params_canonical IS NULL)::text FROM actions_projection WHERE id = 'A1'),
    '("{""name"": ""neovim""}",600,0,t,t,t)', 'ActionParamsUpdated clears the signature');
SELECT pg_temp.append_fails('[["action","A9","ActionCreated",{"name":"a2","description":"","action_type":200,"desired_state":0,"params":{},"timeout_seconds":60}]]',
    '23505', 'actions_projection_name_key', 'projection of ActionCreated (action/A9 version 1, %');

SELECT pg_temp.append('[["action_set","S1","ActionSetCreated",{"name":"s1","description":""}],
                        ["action_set","S2","ActionSetCreated",{"name":"s2","description":""}],
                        ["action_set","S1","ActionSetRenamed",{"name":"base"}],
                        ["action_set","S1","ActionSetDescriptionUpdated",{"description":"base set"}],
                        ["action_set","S1","ActionSetMemberAdded",{"action_id":"A1","sort_order":10}],
                        ["action_set","S1","ActionSetMemberAdded",{"action_id":"A2","sort_order":20}],
                        ["action_set","S1","ActionSetMemberAdded",{"action_id":"A3","sort_order":30}],
                        ["action_set","S1","ActionSetMemberReordered",{"action_id":"A3","sort_order":5}],
                        ["action_set","S1","ActionSetMemberRemoved",{"action_id":"A1"}],
                        ["action_set","S2","ActionSetMemberAdded",{"action_id":"A2","sort_order":1}],
                        ["definition","F1","DefinitionCreated",{"name":"f1","description":""}],
                        ["definition","F2","DefinitionCreated",{"name":"f2","description":""}],
                        ["definition","F1","DefinitionRenamed",{"name":"desktop"}],
                        ["definition","F1","DefinitionDescriptionUpdated",{"description":"desk"}],
                        ["definition","F1","DefinitionMemberAdded",{"action_set_id":"S1","sort_order":1}],
                        ["definition","F1","DefinitionMemberAdded",{"action_set_id":"S2","sort_order":2}],
                        ["definition","F2","DefinitionMemberAdded",{"action_set_id":"S2","sort_order":1}],
                        ["definition","F2","DefinitionMemberAdded",{"action_set_id":"S1","sort_order":2}],
                        ["definition","F1","DefinitionMemberReordered",{"action_set_id":"S2","sort_order":0}],
                        ["definition","F2","DefinitionMemberRemoved",{"action_set_id":"S1"}]]', '2026-01-01 13:05');
SELECT pg_temp.eq((SELECT row(name, description, member_count)::text FROM action_sets_projection WHERE id = 'S1'), '(base,"base set",2)', 'set events');
SELECT pg_temp.eq((SELECT string_agg(set_id || ':' || action_id || '@' || sort_order, ' ' ORDER BY set_id, sort_order) FROM action_set_members_projection),
    'S1:A3@5 S1:A2@20 S2:A2@1', 'set members keep sort_order');
SELECT pg_temp.eq((SELECT string_agg(row(id, name, description, member_count)::text, ' ' ORDER BY id) FROM definitions_projection),
    '(F1,desktop,desk,2) (F2,f2,"",1)', 'definition events');
SELECT pg_temp.eq((SELECT string_agg(definition_id || ':' || action_set_id || '@' || sort_order, ' ' ORDER BY definition_id, sort_order) FROM definition_members_projection),
    'F1:S2@0 F1:S1@1 F2:S2@1', 'definition members keep sort_order');
-- The reference's bug: a member without sort_order must fail, not become 0.
SELECT pg_temp.append_fails('[["action_set","S1","ActionSetMemberAdded",{"action_id":"A1","order":3}]]', '23502', '',
    'projection of ActionSetMemberAdded (action_set/S1 version %) failed: null value in column "sort_order"%');

-- Deleting an action leaves its sets; deleting a set leaves its definitions; names come free.
SELECT pg_temp.append('[["action","A2","ActionDeleted",{}],
                        ["action_set","S2","ActionSetDeleted",{}],
                        ["definition","F2","DefinitionDeleted",{}],
                        ["action","A4","ActionCreated",{"name":"a2","description":"reuse","action_type":200,"desired_state":1,"params":{},"timeout_seconds":60}],
                        ["action_set","S3","ActionSetCreated",{"name":"s2","description":"reuse"}],
                        ["definition","F3","DefinitionCreated",{"name":"f2","description":"reuse"}]]', '2026-01-01 13:10');
SELECT pg_temp.eq((SELECT string_agg(set_id || ':' || action_id, ' ' ORDER BY set_id) FROM action_set_members_projection), 'S1:A3', 'ActionDeleted/ActionSetDeleted remove members');
SELECT pg_temp.eq((SELECT string_agg(row(id, is_deleted, member_count)::text, ' ' ORDER BY id) FROM action_sets_projection), '(S1,f,1) (S2,t,0) (S3,f,0)', 'set counts');
SELECT pg_temp.eq((SELECT string_agg(definition_id || ':' || action_set_id, ' ') FROM definition_members_projection), 'F1:S1', 'ActionSetDeleted leaves definitions');
SELECT pg_temp.eq((SELECT string_agg(row(id, is_deleted, member_count)::text, ' ' ORDER BY id) FROM definitions_projection), '(F1,f,1) (F2,t,0) (F3,f,0)', 'definition counts');
SELECT pg_temp.eq((SELECT count(*) FROM actions_projection WHERE name = 'a2')::text, '2', 'deleted action name reused');

-- Device groups -------------------------------------------------------------------------------

SELECT pg_temp.append('[["device_group","G1","DeviceGroupCreated",{"name":"g1","description":"","is_dynamic":false,"dynamic_query":""}],
                        ["device_group","G2","DeviceGroupCreated",{"name":"g2","description":"","is_dynamic":true,"dynamic_query":"labels.env equals dev"}],
                        ["device_group","G3","DeviceGroupCreated",{"name":"g3","description":"","is_dynamic":false,"dynamic_query":""}],
                        ["device_group","G1","DeviceGroupRenamed",{"name":"office"}],
                        ["device_group","G1","DeviceGroupDescriptionUpdated",{"description":"all office"}],
                        ["device_group","G1","DeviceGroupSyncIntervalSet",{"sync_interval_minutes":60}],
                        ["device_group","G1","DeviceGroupMemberAdded",{"device_id":"D1"}],
                        ["device_group","G1","DeviceGroupMemberAdded",{"device_id":"D2"}],
                        ["device_group","G1","DeviceGroupMemberAdded",{"device_id":"D3"}],
                        ["device_group","G1","DeviceGroupMemberRemoved",{"device_id":"D2"}],
                        ["device_group","G2","DeviceGroupMemberAdded",{"device_id":"D2"}],
                        ["device_group","G2","DeviceGroupMembershipEvaluated",{"added":["D1","D2","D3"],"removed":[]}],
                        ["device_group","G2","DeviceGroupMembershipEvaluated",{"added":[],"removed":["D2"]}],
                        ["device_group","G1","DeviceGroupMembershipEvaluated",{"added":["D2"],"removed":[]}],
                        ["device_group","G3","DeviceGroupMemberAdded",{"device_id":"D1"}],
                        ["device_group","G3","DeviceGroupMemberAdded",{"device_id":"D3"}]]', '2026-01-01 14:00');
SELECT pg_temp.eq((SELECT string_agg(row(id, name, description, sync_interval_minutes, member_count)::text, ' ' ORDER BY id) FROM device_groups_projection),
    '(G1,office,"all office",60,2) (G2,g2,"",0,2) (G3,g3,"",0,2)', 'group events; static/dynamic rules');
SELECT pg_temp.eq((SELECT string_agg(group_id || ':' || device_id, ' ' ORDER BY group_id, device_id) FROM device_group_members_projection),
    'G1:D1 G1:D3 G2:D1 G2:D3 G3:D1 G3:D3', 'group members');
SELECT pg_temp.append('[["device","D3","DeviceDeleted",{}],
                        ["device_group","G3","DeviceGroupQueryUpdated",{"is_dynamic":true,"dynamic_query":"labels.role equals web"}],
                        ["device_group","G4","DeviceGroupCreated",{"name":"g4","description":"","is_dynamic":false,"dynamic_query":""}],
                        ["device_group","G4","DeviceGroupMemberAdded",{"device_id":"D1"}],
                        ["device_group","G4","DeviceGroupDeleted",{}],
                        ["device_group","G5","DeviceGroupCreated",{"name":"g4","description":"reuse","is_dynamic":false,"dynamic_query":""}]]', '2026-01-01 14:05');
SELECT pg_temp.eq((SELECT string_agg(row(id, is_dynamic, is_deleted, member_count)::text, ' ' ORDER BY id) FROM device_groups_projection),
    '(G1,f,f,1) (G2,t,f,1) (G3,t,f,0) (G4,f,t,0) (G5,f,f,0)', 'DeviceDeleted recounts, QueryUpdated clears, GroupDeleted');
SELECT pg_temp.eq((SELECT string_agg(group_id || ':' || device_id, ' ' ORDER BY group_id, device_id) FROM device_group_members_projection),
    'G1:D1 G2:D1', 'members after DeviceDeleted/QueryUpdated/GroupDeleted');
SELECT pg_temp.eq((SELECT is_deleted::text FROM devices_projection WHERE id = 'D3'), 'true', 'DeviceDeleted soft delete');
SELECT pg_temp.append_fails('[["device_group","G6","DeviceGroupCreated",{"name":"g1","description":"","is_dynamic":false,"dynamic_query":""}],
                              ["device_group","G7","DeviceGroupCreated",{"name":"office","description":"","is_dynamic":false,"dynamic_query":""}]]',
    '23505', 'device_groups_projection_name_key', 'projection of DeviceGroupCreated (device_group/G7 version 1, %');

-- Assignments ---------------------------------------------------------------------------------

SELECT pg_temp.append('[["assignment","AS1","AssignmentCreated",{"source_type":"action","source_id":"A1","target_type":"device","target_id":"D1","mode":0,"sort_order":0}],
                        ["assignment","AS2","AssignmentCreated",{"source_type":"action_set","source_id":"S1","target_type":"device_group","target_id":"G1","mode":1,"sort_order":1}],
                        ["assignment","AS3","AssignmentCreated",{"source_type":"definition","source_id":"F1","target_type":"device","target_id":"D2","mode":0}],
                        ["assignment","AS1","AssignmentModeChanged",{"mode":2}],
                        ["assignment","AS3","AssignmentDeleted",{}],
                        ["assignment","AS4","AssignmentCreated",{"source_type":"definition","source_id":"F1","target_type":"device","target_id":"D2","mode":1}]]', '2026-01-01 15:00');
SELECT pg_temp.eq((SELECT string_agg(row(id, mode, sort_order, is_deleted)::text, ' ' ORDER BY id) FROM assignments_projection),
    '(AS1,2,0,f) (AS2,1,1,f) (AS3,0,0,t) (AS4,1,0,f)', 'assignment events; natural key reusable after delete');
SELECT pg_temp.append_fails('[["assignment","AS5","AssignmentCreated",{"source_type":"action_set","source_id":"S1","target_type":"device_group","target_id":"G1","mode":0}]]',
    '23505', 'assignments_projection_natural_key', 'projection of AssignmentCreated (assignment/AS5 version 1, %');

-- Executions: a guarded state machine ---------------------------------------------------------

SELECT pg_temp.append('[["execution","E1","ExecutionCreated",{"device_id":"D1","action_id":"A1","action_type":1,"desired_state":0,"params":{"name":"vim"},"timeout_seconds":300,"expires_at":"2026-01-02T00:00:00Z"}],
                        ["execution","E2","ExecutionCreated",{"device_id":"D1","action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}],
                        ["execution","E3","ExecutionCreated",{"device_id":"D1","action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}],
                        ["execution","E4","ExecutionCreated",{"device_id":"D1","action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}],
                        ["execution","E5","ExecutionCreated",{"device_id":"D1","action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}],
                        ["execution","E6","ExecutionCreated",{"device_id":"D2","action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}],
                        ["execution","E1","ExecutionDispatched",{"device_id":"D1","gateway_id":"g1"},"system","dispatcher"]]', '2026-01-01 16:00');
SELECT pg_temp.eq((SELECT row(status, action_id, created_by_type, created_by_id, dispatched_at = '2026-01-01 16:00', expires_at = '2026-01-02')::text FROM executions_projection WHERE id = 'E1'),
    '(dispatched,A1,user,U2,t,t)', 'ExecutionCreated/Dispatched');
SELECT pg_temp.append('[["execution","E1","ExecutionStarted",{},"device","D1"],
                        ["execution","E1","OutputChunk",{"stream":"stdout","data":"hello ","sequence":1},"device","D1"],
                        ["execution","E1","OutputChunk",{"stream":"stdout","data":"world","sequence":2},"device","D1"],
                        ["execution","E1","OutputChunk",{"stream":"stdout","data":"hello ","sequence":1},"device","D1"],
                        ["execution","E1","ExecutionCompleted",{"duration_ms":1500,"completed_at":"2026-01-01T16:00:30Z","output":{"stdout":"hello world","stderr":"","exit_code":0}},"device","D1"],
                        ["execution","E1","ExecutionDispatched",{"device_id":"D1"},"system","dispatcher"],
                        ["execution","E2","ExecutionFailed",{"error":"boom","duration_ms":10,"output":{"exit_code":2}},"device","D1"],
                        ["execution","E3","ExecutionDispatched",{"device_id":"D1"},"system","dispatcher"],
                        ["execution","E3","ExecutionExpired",{},"system","sweeper"],
                        ["execution","E4","ExecutionStarted",{},"device","D1"],
                        ["execution","E4","ExecutionExpired",{},"system","sweeper"],
                        ["execution","E4","ExecutionTimedOut",{"error":"too slow","duration_ms":30000},"device","D1"],
                        ["execution","E5","ExecutionSkipped",{"reason":"not applicable"},"device","D1"]]', '2026-01-01 16:01');
SELECT pg_temp.append('[["execution","E1","ExecutionFailed",{"error":"late","duration_ms":1}],
                        ["execution","E1","ExecutionStarted",{}],
                        ["execution","E3","ExecutionStarted",{}],
                        ["execution","E5","ExecutionCompleted",{"duration_ms":1}]]', '2026-01-01 16:02');
SELECT pg_temp.eq((SELECT row(status, completed_at = '2026-01-01 16:00:30', duration_ms, output ->> 'stdout', error, started_at = '2026-01-01 16:01', dispatched_at = '2026-01-01 16:00')::text
                   FROM executions_projection WHERE id = 'E1'), '(success,t,1500,"hello world",,t,t)', 'E1 lifecycle; late events ignored');
SELECT pg_temp.eq((SELECT string_agg(row(id, status, error, completed_at = '2026-01-01 16:01')::text, ' ' ORDER BY id) FROM executions_projection WHERE id <> 'E1'),
    '(E2,failed,boom,t) (E3,expired,,t) (E4,timeout,"too slow",t) (E5,skipped,"not applicable",t) (E6,pending,,)', 'state machine guard');
SELECT pg_temp.eq((SELECT string_agg(data, '' ORDER BY sequence) FROM execution_output_projection WHERE execution_id = 'E1'), 'hello world', 'OutputChunk, duplicate chunk kept once');
-- Created and OutputChunk are projected set-wise; a bad one is still named.
SELECT pg_temp.append_fails('[["user","U5","UserLoggedIn",{}],
                              ["execution","E8","ExecutionCreated",{"device_id":"D1","action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}],
                              ["execution","E9","ExecutionCreated",{"action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}]]', 'P0002', '',
    'projection of UserLoggedIn (user/U5 version 1, %) failed: users_projection has no row for user/U5%');
SELECT pg_temp.append_fails('[["execution","E8","ExecutionCreated",{"device_id":"D1","action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}],
                              ["execution","E9","ExecutionCreated",{"action_type":200,"desired_state":0,"params":{},"timeout_seconds":30}]]', '23502', '',
    'projection of ExecutionCreated (execution/E9 version 1, %) failed: null value in column "device_id"%');
SELECT pg_temp.append_fails('[["execution","E1","OutputChunk",{"stream":"stdin","data":"x","sequence":9}]]', '23514', 'pm_output_stream_check',
    'projection of OutputChunk (execution/E1 version %) failed: value for domain pm_output_stream violates check constraint%');

-- User selections -----------------------------------------------------------------------------

SELECT pg_temp.append('[["user_selection","US1","UserSelectionChanged",{"device_id":"D1","source_type":"action_set","source_id":"S1","selected":true},"user","U1"],
                        ["user_selection","US2","UserSelectionChanged",{"device_id":"D2","source_type":"definition","source_id":"F1","selected":true},"user","U4"]]', '2026-01-01 17:00');
SELECT pg_temp.append('[["user_selection","US3","UserSelectionChanged",{"device_id":"D1","source_type":"action_set","source_id":"S1","selected":false},"user","U1"]]', '2026-01-01 17:01');
SELECT pg_temp.eq((SELECT string_agg(row(id, device_id, selected, updated_at = '2026-01-01 17:01')::text, ' ' ORDER BY id) FROM user_selections_projection),
    '(US1,D1,f,t) (US2,D2,t,f)', 'UserSelectionChanged upserts on the natural key');

-- Unknown stream and event types are stored and ignored; appends need the system actor -------

SELECT pg_temp.append('[["gadget","X1","GadgetMade",{}], ["user","U1","UserGotHat",{}]]', '2026-01-01 18:00');
SELECT pg_temp.eq((SELECT count(*) FROM events WHERE stream_id = 'X1' OR event_type = 'UserGotHat')::text, '2', 'unknown types stored');
DO $$
DECLARE st text;
BEGIN
    PERFORM set_config('pm.actor_type', '', true);
    INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, data, actor_type, actor_id)
    VALUES (gen_random_uuid(), 'user', 'U8', 1, 'UserCreated', '{"email":"u8@x","password_hash":"h","role":"user"}', 'user', 'U1');
    RAISE EXCEPTION 'check failed: append without actor succeeded';
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END $$;

-- Every event type of docs/events.md was appended above.
SELECT pg_temp.eq((SELECT string_agg(t, ', ') FROM unnest(ARRAY[
    'UserCreated', 'UserEmailChanged', 'UserPasswordChanged', 'UserPasswordRehashed', 'UserRoleChanged', 'UserDisabled', 'UserEnabled', 'UserLoggedIn', 'UserDeleted',
    'TokenCreated', 'TokenRenamed', 'TokenUsed', 'TokenDisabled', 'TokenEnabled', 'TokenDeleted',
    'DeviceRegistered', 'DeviceHeartbeat', 'DeviceConnected', 'DeviceDisconnected', 'DeviceLabelSet', 'DeviceLabelRemoved', 'DeviceAssigned', 'DeviceUnassigned',
    'DeviceSyncIntervalSet', 'DeviceCertificateRevoked', 'DeviceDeleted', 'SecurityAlert',
    'ActionCreated', 'ActionRenamed', 'ActionDescriptionUpdated', 'ActionParamsUpdated', 'ActionSigned', 'ActionDeleted',
    'ActionSetCreated', 'ActionSetRenamed', 'ActionSetDescriptionUpdated', 'ActionSetMemberAdded', 'ActionSetMemberRemoved', 'ActionSetMemberReordered', 'ActionSetDeleted',
    'DefinitionCreated', 'DefinitionRenamed', 'DefinitionDescriptionUpdated', 'DefinitionMemberAdded', 'DefinitionMemberRemoved', 'DefinitionMemberReordered', 'DefinitionDeleted',
    'DeviceGroupCreated', 'DeviceGroupRenamed', 'DeviceGroupDescriptionUpdated', 'DeviceGroupQueryUpdated', 'DeviceGroupSyncIntervalSet', 'DeviceGroupMemberAdded',
    'DeviceGroupMemberRemoved', 'DeviceGroupMembershipEvaluated', 'DeviceGroupDeleted',
    'AssignmentCreated', 'AssignmentModeChanged', 'AssignmentDeleted',
    'ExecutionCreated', 'ExecutionDispatched', 'ExecutionStarted', 'ExecutionCompleted', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionSkipped', 'ExecutionExpired', 'OutputChunk',
    'UserSelectionChanged']) AS t WHERE t NOT IN (SELECT event_type FROM events)), NULL, 'event types never appended');

-- Replay: rebuilding, or replaying over the current state, gives identical rows ---------------

CREATE TEMP TABLE expected (tbl text, r text);
CREATE FUNCTION pg_temp.snapshot() RETURNS TABLE (tbl text, r text) LANGUAGE sql AS $$
    SELECT 'users', u::text FROM users_projection u UNION ALL
    SELECT 'tokens', t::text FROM tokens_projection t UNION ALL
    SELECT 'devices', d::text FROM devices_projection d UNION ALL
    SELECT 'actions', a::text FROM actions_projection a UNION ALL
    SELECT 'executions', x::text FROM executions_projection x UNION ALL
    SELECT 'output', o::text FROM execution_output_projection o UNION ALL
    SELECT 'sets', s::text FROM action_sets_projection s UNION ALL
    SELECT 'set_members', m::text FROM action_set_members_projection m UNION ALL
    SELECT 'definitions', f::text FROM definitions_projection f UNION ALL
    SELECT 'definition_members', m::text FROM definition_members_projection m UNION ALL
    SELECT 'groups', g::text FROM device_groups_projection g UNION ALL
    SELECT 'group_members', m::text FROM device_group_members_projection m UNION ALL
    SELECT 'assignments', a::text FROM assignments_projection a UNION ALL
    SELECT 'selections', s::text FROM user_selections_projection s
$$;
CREATE FUNCTION pg_temp.same(what text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE diff text;
BEGIN
    SELECT string_agg(format('%s %s %s', side, tbl, r), E'\n') INTO diff FROM (
        (SELECT 'lost', * FROM expected EXCEPT SELECT 'lost', * FROM pg_temp.snapshot())
        UNION ALL
        (SELECT 'new', * FROM pg_temp.snapshot() EXCEPT SELECT 'new', * FROM expected)) AS d(side, tbl, r);
    IF diff IS NOT NULL THEN
        RAISE EXCEPTION 'check failed: %: rows differ:%', what, E'\n' || diff;
    END IF;
END $$;

BEGIN;
SELECT pm_set_actor('system', 'smoke');
INSERT INTO expected SELECT * FROM pg_temp.snapshot();
SELECT pg_temp.eq((SELECT count(*) FROM expected)::text, '42', 'snapshot size');
SELECT pg_temp.eq(pm_rebuild_projections()::text, (SELECT count(*) FROM events WHERE stream_type <> 'gadget')::text, 'rebuild replays every projected event');
SELECT pg_temp.same('full rebuild');
SELECT pg_temp.eq(pm_rebuild_set(ARRAY['device_group'])::text, '{device,device_group}', 'rebuild group of device_group');
SELECT pg_temp.eq(pm_rebuild_set(ARRAY['definition', 'user'])::text, '{action,action_set,assignment,definition,user}', 'rebuild group of definition');
SELECT pm_rebuild_projections(ARRAY['device_group', 'execution']);
SELECT pg_temp.same('partial rebuild');
SELECT pg_temp.eq((SELECT row(last_position, replayed)::text FROM pm_replay_events(0, 1000000)),
    (SELECT row(max(position), count(*))::text FROM events), 'replay over the current state');
SELECT pg_temp.same('replay without truncate is a no-op');
-- In pages, as the C++ tool will show progress.
SELECT pm_truncate_projections();
DO $$
DECLARE last bigint := 0; n integer;
BEGIN
    LOOP
        SELECT r.last_position, r.replayed INTO last, n FROM pm_replay_events(last, 50) r;
        EXIT WHEN n < 50;
    END LOOP;
END $$;
SELECT pg_temp.same('paged replay after truncate');
-- Batches (the trigger, the replay) have exactly the effect of pm_project_event per event.
SELECT pm_truncate_projections();
DO $$
DECLARE e events;
BEGIN
    FOR e IN SELECT * FROM events ORDER BY position LOOP
        PERFORM pm_project_event(e);
    END LOOP;
END $$;
SELECT pg_temp.same('event by event');
COMMIT;

-- Row-level security --------------------------------------------------------------------------

CREATE FUNCTION pg_temp.visible() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(tbl || '=' || n, ' ' ORDER BY tbl) FROM (
        SELECT tbl, count(*) AS n FROM pg_temp.snapshot() GROUP BY tbl) c
$$;

-- No actor, or an unknown one: nothing visible, nothing writable.
RESET pm.actor_type;
SELECT pg_temp.eq(pg_temp.visible(), NULL, 'unset actor sees nothing');
BEGIN;
SELECT set_config('pm.actor_type', 'root', true);
SELECT pg_temp.eq(pg_temp.visible(), NULL, 'unknown actor type sees nothing');
COMMIT;
DO $$ BEGIN
    INSERT INTO users_projection (id, email, password_hash, role, created_at, updated_at, projection_version)
    VALUES ('UX', 'x', 'x', 'user', now(), now(), 0);
    RAISE EXCEPTION 'check failed: insert without actor succeeded';
EXCEPTION WHEN insufficient_privilege THEN NULL;
END $$;
DO $$ BEGIN
    PERFORM pm_set_actor('root', 'x');
    RAISE EXCEPTION 'check failed: pm_set_actor accepted root';
EXCEPTION WHEN invalid_parameter_value THEN NULL;
END $$;

BEGIN;
SELECT pm_set_actor('user', 'U1');
SELECT pg_temp.eq(pg_temp.visible(),
    'actions=4 definition_members=1 definitions=3 devices=1 executions=5 selections=1 set_members=1 sets=3 tokens=1 users=1', 'user U1 sees');
SELECT pg_temp.eq((SELECT string_agg(id, ' ') FROM devices_projection), 'D1', 'user: assigned devices only');
SELECT pg_temp.eq((SELECT string_agg(id, ' ') FROM tokens_projection), 'T1', 'user: own tokens only');
UPDATE users_projection SET email = 'hijack@x' WHERE id = 'U1';
SELECT pg_temp.eq((SELECT email FROM users_projection WHERE id = 'U1'), 'alice@example.org', 'user cannot write');
-- An append in a request transaction still needs the system actor for its projectors.
DO $$ BEGIN
    INSERT INTO events (event_id, stream_type, stream_id, stream_version, event_type, data, actor_type, actor_id)
    VALUES (gen_random_uuid(), 'user', 'U1', 99, 'UserLoggedIn', '{}', 'user', 'U1');
    RAISE EXCEPTION 'check failed: append as user actor succeeded';
EXCEPTION WHEN insufficient_privilege THEN NULL;
END $$;
COMMIT;

BEGIN;
SELECT pm_set_actor('device', 'D1');
SELECT pg_temp.eq(pg_temp.visible(),
    'actions=4 assignments=2 definition_members=1 definitions=3 devices=1 executions=5 group_members=2 output=2 selections=1 set_members=1 sets=3',
    'device D1 sees');
SELECT pg_temp.eq((SELECT string_agg(id, ' ' ORDER BY id) FROM assignments_projection), 'AS1 AS2', 'device: assignments to itself and its groups');
DELETE FROM executions_projection;
COMMIT;

BEGIN;
SELECT pm_set_actor('device', 'D2');
SELECT pg_temp.eq(pg_temp.visible(), 'actions=4 assignments=2 definition_members=1 definitions=3 devices=1 executions=1 selections=1 set_members=1 sets=3',
    'device D2 sees');
COMMIT;

BEGIN;
SELECT pm_set_actor('admin', 'U2');
SELECT pg_temp.eq(pg_temp.visible(), (SELECT string_agg(tbl || '=' || n, ' ' ORDER BY tbl) FROM (SELECT tbl, count(*) AS n FROM expected GROUP BY tbl) c),
    'admin sees everything (and the device could not delete executions)');
COMMIT;

RESET ROLE;
DROP OWNED BY pm_smoke_app;
DROP ROLE pm_smoke_app;
\echo smoke: all checks passed
