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
build=build/release
for b in daemons/pm-control daemons/pm-gateway daemons/pm-admin benchmarks/gateway/sync_load; do
    [[ -x $build/$b ]] || { echo "run_sync_load.sh: $build/$b is missing; build $build" >&2; exit 1; }
done
ulimit -n 20000

work=$(mktemp -d /tmp/pm-sync-load.XXXXXX)
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

echo "== machine"
nproc; grep -m1 'model name' /proc/cpuinfo || true; uptime

eval "$(scripts/pg-throwaway start)"
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
