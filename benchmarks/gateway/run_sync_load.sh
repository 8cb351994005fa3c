#!/usr/bin/env bash
# SyncActions load (issue 10): a throwaway PostgreSQL 15 (fsync on), pm-control and pm-gateway
# (release builds, mTLS), then sync_load: N devices each resolving to A actions, C calls at
# once for DURATION on open connections, and resolve_device alone on the same database.
# Everything it starts is stopped on exit.
#   benchmarks/gateway/run_sync_load.sh [DEVICES [ACTIONS [CONCURRENCY [DURATION]]]]
#   default 10000 50 64 20s
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
devices=${1:-10000}
actions=${2:-50}
concurrency=${3:-64}
duration=${4:-20s}
source "$repo/benchmarks/gateway/load_setup.sh"
load_setup sync-load daemons/pm-control daemons/pm-gateway daemons/pm-admin benchmarks/gateway/sync_load

pg_env=$(scripts/pg-throwaway start) || { echo "run_sync_load.sh: could not start PostgreSQL (the reason is above)" >&2; exit 1; }
eval "$pg_env"
admin=$PM_TEST_DATABASE_URL
psql "$admin" -qc "CREATE DATABASE pm_sync_load"
url=${admin%/*}/pm_sync_load
email=admin@example.com
password=load-test-password

$build/daemons/pm-control --dev --listen 127.0.0.1:18091 --database-url "$url" \
    --jwt-secret "$(openssl rand -hex 32)" --ca-cert "$work/ca.crt" --ca-key "$work/ca.key" \
    --admin-email "$email" --admin-password "$password" --gateway-url https://127.0.0.1:18090 \
    --register-limit 1000000 --log-level warn 2>"$work/control.log" &
pids+=($!)
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:18091/ready >/dev/null && break; sleep 0.1; done
$build/daemons/pm-admin issue-server-certificate --ca-cert "$work/ca.crt" --ca-key "$work/ca.key" \
    --out-dir "$work/gateway" 127.0.0.1 >/dev/null
$build/daemons/pm-gateway --addr 127.0.0.1:18090 --health-addr 127.0.0.1:18092 \
    --database-url "$url" --tls-cert "$work/gateway/server.crt" --tls-key "$work/gateway/server.key" \
    --tls-ca "$work/ca.crt" --log-level warn --max-connections 15000 >"$work/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:18092/ready >/dev/null && break; sleep 0.1; done

echo "== sync_load: $devices devices x $actions actions, $concurrency at once for $duration"
$build/benchmarks/gateway/sync_load --control-url http://127.0.0.1:18091 \
    --gateway-url https://127.0.0.1:18090 --email "$email" --password "$password" \
    --devices "$devices" --actions "$actions" --concurrency "$concurrency" \
    --duration "$duration" --state-dir "$work/agents" --database-url "$url"
echo "== gateway log (warnings)"
tail -5 "$work/gateway.log" || true
