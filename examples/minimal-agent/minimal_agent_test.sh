#!/usr/bin/env bash
# pm-agent against the real daemons on a private PostgreSQL: it enrols with a registration
# token, connects to pm-gateway over mTLS, runs a dispatched shell action (the file it writes
# exists, the execution is recorded as succeeded with its output), reports a failing script as
# failed with its exit code, and refuses, without running them, two executions whose stored
# signature no longer fits (params changed after signing; signed by another CA).
#   minimal_agent_test.sh BUILD_DIR SOURCE_DIR PM_AGENT PM_CA
set -euo pipefail
build=$1
repo=$2
agent_bin=$3
pmca=$4
cd "$repo"
source tests/system/lib/daemons.sh
make_work_dir agent-test
agent_pid=
cleanup() {
    [[ -n $agent_pid ]] && { kill -TERM "$agent_pid" 2>/dev/null || true; wait "$agent_pid" 2>/dev/null || true; }
    stop_daemons_and_postgres
}
trap cleanup EXIT
rpc() { # METHOD JSON: the answer's JSON on stdout
    curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d "$2" \
        "http://127.0.0.1:$control/pm.v1.ControlService/$1"
}
# JSON is picked apart with string_field (sed) where a regular answer makes that safe: the
# polls run many times.
agents_connected() { curl -fs "http://127.0.0.1:$health/health" | sed -n 's/.*"agents":\([0-9]*\).*/\1/p'; }
start_agent() {
    "$agent_bin" --state-dir "$work/agent" --control-url "http://127.0.0.1:$control" \
        --token "${reg:-}" --backoff-min 100ms --backoff-max 1s --heartbeat 2s \
        >>"$work/agent.log" 2>&1 &
    agent_pid=$!
    for _ in $(seq 1 300); do [[ $(agents_connected) == 1 ]] && return 0; sleep 0.1; done
    fail "pm-agent did not connect"
}
stop_agent() {
    kill -TERM "$agent_pid"
    wait "$agent_pid" || fail "pm-agent did not exit cleanly on SIGTERM (status $?)"
    agent_pid=
    for _ in $(seq 1 100); do [[ $(agents_connected) == 0 ]] && return 0; sleep 0.1; done
    fail "the gateway still counts the agent"
}
dispatch() { # SCRIPT [TIMEOUT_SECONDS] (no "): the new execution's id
    [[ $1 != *'"'* ]] || fail "dispatch: the test's scripts must not contain double quotes"
    local script=${1//\\/\\\\}  # JSON-escape the backslashes
    rpc DispatchAction "{\"deviceId\":\"$device\",\"inlineAction\":{
        \"id\":{\"value\":\"01JDXMQ7Z00000000000000000\"},\"type\":\"ACTION_TYPE_SHELL\",
        \"shell\":{\"script\":\"$script\"},\"timeoutSeconds\":${2:-30}}}" | string_field id
}
wait_done() { # EXECUTION_ID: its final JSON in $work/<id>.json
    for _ in $(seq 1 300); do
        rpc GetExecution "{\"id\":\"$1\"}" >"$work/$1.json"
        grep -Eq '"status":"EXECUTION_STATUS_(SUCCESS|FAILED|TIMEOUT)"' "$work/$1.json" && return 0
        sleep 0.1
    done
    fail "execution $1 did not finish: $(cat "$work/$1.json")"
}
# The execution's status, error, exit code, stdout and stderr of the result, then stdout and
# stderr as streamed live (OutputChunks); one per line, each without its final newline.
facts() {
    python3 -c 'import json,sys
e = json.load(open(sys.argv[1]))["execution"]; o = e.get("output", {}); l = e.get("liveOutput", {})
for v in (e.get("status"), e.get("error", ""), o.get("exitCode", 0), o.get("stdout", ""),
          o.get("stderr", ""), l.get("stdout", ""), l.get("stderr", "")):
    print(str(v).rstrip("\n").replace("\n", "|"))' "$work/$1.json"
}

email=admin@example.com; password=agent-test-password
start_daemons "$email" "$password"
token=$(login "$email" "$password")
reg=$(rpc CreateToken '{"name":"minimal agent test"}' | string_field value)
[[ -n $token && -n $reg ]] || fail "no access token or registration token"

# Enrolment: the state folder gets a private key and the device id.
start_agent
device=$(sed -n 's/^device_id=//p' "$work/agent/identity")
[[ -n $device ]] || fail "no device id in $work/agent/identity"
[[ $(stat -c %a "$work/agent/key.pem") == 600 ]] || fail "key.pem is readable by others"

# A real run: the file appears, the execution succeeded, stdout and stderr recorded (in the
# result and as streamed while it ran).
ok=$(dispatch "echo hello > '$work/x'; echo line-on-stdout; echo line-on-stderr >&2")
wait_done "$ok"
[[ $(cat "$work/x" 2>/dev/null) == hello ]] || fail "the script did not write $work/x"
[[ $(facts "$ok") == $'EXECUTION_STATUS_SUCCESS\n\n0\nline-on-stdout\nline-on-stderr\nline-on-stdout\nline-on-stderr' ]] ||
    fail "the run is not recorded as succeeded with its output: $(cat "$work/$ok.json")"

# A failing script: failed, with its exit code and a sentence.
bad=$(dispatch "echo about-to-fail; exit 3")
wait_done "$bad"
[[ $(facts "$bad") == $'EXECUTION_STATUS_FAILED\nthe script exited with status 3\n3\nabout-to-fail\n\nabout-to-fail' ]] ||
    fail "exit 3 is not recorded as failed with its code: $(cat "$work/$bad.json")"

# A script past its timeout is killed with everything it started, and recorded as timed out.
slow=$(dispatch "sleep 59.25 & echo started; sleep 59.25" 1)
wait_done "$slow"
[[ $(facts "$slow") == $'EXECUTION_STATUS_TIMEOUT\nkilled after 1 s (the action\'s timeout)\n137\nstarted\n\nstarted' ]] ||
    fail "the slow script is not recorded as timed out: $(cat "$work/$slow.json")"
pgrep -f "sleep 59.25" >/dev/null && fail "the timed-out script's background process survived"

# Output that is not UTF-8 is recorded with '?' for the bad bytes (proto strings are UTF-8).
bytes=$(dispatch "printf 'caf\\303\\251 \\377\\n'")
wait_done "$bytes"
[[ $(facts "$bytes" | head -4) == $'EXECUTION_STATUS_SUCCESS\n\n0\ncafé ?' ]] ||
    fail "non-UTF-8 output: $(cat "$work/$bytes.json")"

# Another action type, signed and valid, is answered as not supported, never run.
package=$(rpc DispatchAction "{\"deviceId\":\"$device\",\"inlineAction\":{
    \"id\":{\"value\":\"01JDXMQ7Z00000000000000000\"},\"type\":\"ACTION_TYPE_PACKAGE\",
    \"package\":{\"name\":\"htop\"}}}" | string_field id)
wait_done "$package"
[[ $(facts "$package" | head -2) == $'EXECUTION_STATUS_FAILED\naction type ACTION_TYPE_PACKAGE is not supported by this example agent (shell only)' ]] ||
    fail "a package action: $(cat "$work/$package.json")"

# Tampering: with the agent offline, two executions are stored, then their rows changed the
# way an attacker with database access would; the gateway pushes them when the agent returns.
stop_agent
changed=$(dispatch "true")
foreign=$(dispatch "touch '$work/foreign'")
psql "$url" -qc "UPDATE executions_projection SET params_canonical =
    '{\"script\":\"touch $work/changed\"}' WHERE id = '$changed'"
"$pmca" init --out-dir "$work/other-ca" >/dev/null
canonical=$(psql "$url" -tAc "SELECT params_canonical FROM executions_projection WHERE id = '$foreign'")
other_sig=$(printf '%s' "$canonical" | "$pmca" sign-action \
    --ca-cert "$work/other-ca/ca.crt" --ca-key "$work/other-ca/ca.key" \
    --action-id "$foreign" --action-type 200)
psql "$url" -qc "UPDATE executions_projection SET signature = decode('$other_sig', 'base64')
    WHERE id = '$foreign'"
start_agent  # the same state folder: no second enrolment
for id in "$changed" "$foreign"; do
    wait_done "$id"
    { read -r status; read -r error; } < <(facts "$id")
    [[ $status == EXECUTION_STATUS_FAILED && $error == *"signature does not verify"* ]] ||
        fail "tampered execution $id was not refused: $(cat "$work/$id.json")"
done
sleep 0.5  # a script, had one started, would have had time to run
[[ ! -e $work/changed && ! -e $work/foreign ]] || fail "a tampered action ran"
grep -q "enrolled as device" "$work/agent.log" || fail "no enrolment in the agent log"
[[ $(grep -c "enrolled as device" "$work/agent.log") == 1 ]] || fail "the agent enrolled twice"
stop_agent
echo "PASSED"
