#!/usr/bin/env bash
# The daemons as processes, on a private PostgreSQL: pm-control, pm-gateway (mTLS) and three
# simulated agents; PostgreSQL restarts; then a dispatch to every agent must still arrive and
# be answered (the gateway listens again and its pools reconnect), and stopping leaves no
# process behind.
#   postgres_restart_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
repo=$2
cd "$repo"
source tests/system/lib/daemons.sh
make_work_dir system-test
trap stop_daemons_and_postgres EXIT

email=admin@example.com; password=system-test-password
start_daemons "$email" "$password" --register-limit 1000
token=$(login "$email" "$password")
[[ -n $token ]] || fail "no access token"
reg=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d '{"name":"system test"}' \
    "http://127.0.0.1:$control/pm.v1.ControlService/CreateToken" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"]["value"])')
"$build/examples/agent-sim/pm-agent-sim" --control-url "http://127.0.0.1:$control" --token "$reg" \
    --count 3 --state-dir "$work/agents" --backoff-min 100ms --backoff-max 1s 2>"$work/agents.log" &
pids+=($!)
for _ in $(seq 1 300); do
    [[ $(curl -fs "http://127.0.0.1:$health/health" || true) == '{"status":"healthy","agents":3}' ]] && break
    sleep 0.1
done
[[ $(curl -fs "http://127.0.0.1:$health/health") == '{"status":"healthy","agents":3}' ]] || fail "agents did not connect"

echo "restarting PostgreSQL"
scripts/pg-throwaway restart "$work/pg"
sleep 1
wait_ok "http://127.0.0.1:$health/ready" 30 || fail "the gateway did not become ready again"
wait_ok "http://127.0.0.1:$control/ready" 30 || fail "pm-control did not become ready again"

scripts/demo-dispatch --control "http://127.0.0.1:$control" --health "http://127.0.0.1:$health/health" \
    --email "$email" --password "$password" --agents 3 --timeout 60 || fail "dispatch after the restart"

kill -TERM "${pids[@]}"
for p in "${pids[@]}"; do wait "$p" || fail "process $p did not exit cleanly (status $?)"; done
pids=()
for p in $(pgrep -f "$work" || true); do
    ps -o pid,args -p "$p" | grep -q postgres || fail "process left behind: $(ps -o args= -p "$p")"
done
echo "PASSED"
