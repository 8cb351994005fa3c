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
work=$(mktemp -d /tmp/pm-system-test.XXXXXX)
chmod 755 "$work"  # the cluster runs as the postgres user, which must reach pg/ inside
pids=()
cleanup() {
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    [[ -n ${PM_PG_DIR:-} ]] && scripts/pg-throwaway stop --remove "$PM_PG_DIR"
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -15 "$f"; done; exit 1; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_ok() { # URL SECONDS
    for _ in $(seq 1 $(($2 * 10))); do curl -fs "$1" >/dev/null && return 0; sleep 0.1; done
    return 1
}

pg_env=$(scripts/pg-throwaway start "$work/pg") || fail "cannot start PostgreSQL"
eval "$pg_env"
url=${PM_TEST_DATABASE_URL%/*}/powermanage
psql "$PM_TEST_DATABASE_URL" -qc "CREATE DATABASE powermanage"
control=$(free_port); gateway=$(free_port); health=$(free_port)
email=admin@example.com; password=system-test-password

"$build/daemons/pm-control" --dev --listen "127.0.0.1:$control" --database-url "$url" \
    --jwt-secret "$(openssl rand -hex 32)" --ca-cert "$work/ca.crt" --ca-key "$work/ca.key" \
    --admin-email "$email" --admin-password "$password" --register-limit 1000 \
    --gateway-url "https://127.0.0.1:$gateway" 2>"$work/control.log" &
pids+=($!)
wait_ok "http://127.0.0.1:$control/ready" 30 || fail "pm-control not ready"
"$build/daemons/pm-admin" issue-server-certificate --ca-cert "$work/ca.crt" --ca-key "$work/ca.key" \
    --out-dir "$work/gw" 127.0.0.1 >/dev/null
"$build/daemons/pm-gateway" --addr "127.0.0.1:$gateway" --health-addr "127.0.0.1:$health" \
    --database-url "$url" --tls-cert "$work/gw/server.crt" --tls-key "$work/gw/server.key" \
    --tls-ca "$work/ca.crt" >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_ok "http://127.0.0.1:$health/ready" 30 || fail "pm-gateway not ready"

token=$(curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
    "http://127.0.0.1:$control/pm.v1.ControlService/Login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
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
