#!/usr/bin/env bash
# pm-all-in-one as a process on a private PostgreSQL: logs in to ControlService, calls the site
# service without a pm session (with its own key), reads the plain routes, enrols one
# simulated agent through Register, dispatches an action to it and waits for its answer, then
# stops on SIGTERM with status 0 and leaves no process behind.
#   all_in_one_test.sh PM_ALL_IN_ONE PM_AGENT_SIM SOURCE_DIR
set -euo pipefail
binary=$1
agent_sim=$2
repo=$3
cd "$repo"
# The shell tests' shared set-up: make_work_dir, stop_daemons_and_postgres, fail, free_port,
# wait_ok.
source tests/system/lib/daemons.sh
make_work_dir all-in-one-test
trap stop_daemons_and_postgres EXIT
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

pg_env=$(scripts/pg-throwaway start "$work/pg") || fail "cannot start PostgreSQL"
eval "$pg_env"
url=${PM_TEST_DATABASE_URL%/*}/powermanage
psql "$PM_TEST_DATABASE_URL" -qc "CREATE DATABASE powermanage"
api=$(free_port); gateway=$(free_port); health=$(free_port)
email=admin@example.com; password=all-in-one-test-password
base=http://127.0.0.1:$api

"$binary" --database-url "$url" --listen "127.0.0.1:$api" --gateway-listen "127.0.0.1:$gateway" \
    --gateway-health "127.0.0.1:$health" --state-dir "$work/state" --admin-email "$email" \
    --admin-password "$password" --register-limit 1000 --site-name test-site --site-key k3y \
    2>"$work/all-in-one.log" &
pids+=($!)
wait_ok "$base/ready" 60 || fail "the API is not ready"
wait_ok "http://127.0.0.1:$health/ready" 30 || fail "the gateway is not ready"
[[ -s $work/state/ca.crt && -s $work/state/gateway.crt ]] || fail "no development CA or gateway certificate"

# ControlService: Login with the bootstrap admin; without a session it refuses.
token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    "$base/pm.v1.ControlService/Login" | json_field '["accessToken"]') || fail "Login"
[[ -n $token ]] || fail "Login gave no access token"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' \
    "$base/pm.v1.ControlService/GetCurrentUser")
[[ $code == 401 ]] || fail "GetCurrentUser without a session answered HTTP $code, not 401"

# The site service: no pm session, its own key instead.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' \
    "$base/example.allinone.v1.SiteService/Status")
[[ $code == 401 ]] || fail "SiteService/Status without its key answered HTTP $code, not 401"
site=$(curl -fsS -H 'Content-Type: application/json' -H 'x-site-key: k3y' -d '{}' \
    "$base/example.allinone.v1.SiteService/Status") || fail "SiteService/Status with its key"
[[ $(json_field '["siteName"]' <<<"$site") == test-site ]] || fail "SiteService/Status: $site"
[[ $(json_field '["events"]' <<<"$site") -gt 0 ]] || fail "SiteService/Status counted no events: $site"
[[ $(curl -fsS "$base/site/status") == *"site test-site: 0 agents connected"* ]] || fail "/site/status"
[[ $(curl -fsS "$base/") == *"no console is installed"* ]] || fail "the console seam at /"

# One simulated agent: Register at the API, then the gateway's mTLS stream.
reg=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d '{"name":"all-in-one test"}' \
    "$base/pm.v1.ControlService/CreateToken" | json_field '["token"]["value"]') || fail "CreateToken"
"$agent_sim" --control-url "$base" --token "$reg" --count 1 --state-dir "$work/agents" \
    --backoff-min 100ms --backoff-max 1s 2>"$work/agents.log" &
pids+=($!)
for _ in $(seq 1 300); do
    [[ $(curl -fs "http://127.0.0.1:$health/health" || true) == '{"status":"healthy","agents":1}' ]] && break
    sleep 0.1
done
[[ $(curl -fs "http://127.0.0.1:$health/health") == '{"status":"healthy","agents":1}' ]] || fail "the agent did not connect"
[[ $(curl -fsS "$base/site/status") == *"1 agents connected"* ]] || fail "/site/status does not see the agent"

# One action dispatched through ControlService, executed by the agent, its result recorded.
scripts/demo-dispatch --control "$base" --health "http://127.0.0.1:$health/health" \
    --email "$email" --password "$password" --agents 1 --timeout 60 >"$work/dispatch.log" 2>&1 ||
    fail "dispatch: $(tail -3 "$work/dispatch.log")"

# SIGTERM: the agent first (its reconnects would only add noise), then the host; both exit 0.
kill -TERM "${pids[1]}"; wait "${pids[1]}" || true
kill -TERM "${pids[0]}"
status=0; wait "${pids[0]}" || status=$?
pids=()
[[ $status == 0 ]] || fail "pm-all-in-one exited with status $status on SIGTERM"
grep -q '"stopped"\|stopped' "$work/all-in-one.log" || fail "no 'stopped' in the log"
for p in $(pgrep -f "$work" || true); do
    ps -o pid,args -p "$p" | grep -q postgres || fail "process left behind: $(ps -o args= -p "$p")"
done
echo "all-in-one: PASSED"
