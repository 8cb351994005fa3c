#!/usr/bin/env bash
# The gateway's load benchmark: a throwaway PostgreSQL 15 (fsync on), pm-control and pm-gateway
# (release builds, mTLS), then gateway_load with N simulated agents in another process. Prints
# the machine's limits measured in the same run (openssl speed, the TLS handshake ceiling) next
# to the figures. Everything it starts is stopped on exit.
#   benchmarks/gateway/run_load.sh [AGENTS [RATES [DURATION]]]   default 10000 100,1000 10s
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
agents=${1:-10000}
rates=${2:-100,1000}
duration=${3:-10s}
build=build/release
for b in daemons/pm-control daemons/pm-gateway daemons/pm-admin benchmarks/gateway/gateway_load; do
    [[ -x $build/$b ]] || { echo "run_load.sh: $build/$b is missing; run scripts/bench or build $build" >&2; exit 1; }
done
# 10,000 agents are 10,000 sockets in each process; the machine allows 20,000 files each.
ulimit -n 20000

work=$(mktemp -d /tmp/pm-gateway-load.XXXXXX)
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
nproc; grep -m1 'model name' /proc/cpuinfo || true; free -g | head -2
echo "== limits in this run"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1

eval "$(scripts/pg-throwaway start)"
admin=$PM_TEST_DATABASE_URL
psql "$admin" -qc "CREATE DATABASE pm_load"
url=${admin%/*}/pm_load
email=admin@example.com
password=load-test-password

$build/daemons/pm-control --dev --listen 127.0.0.1:18081 --database-url "$url" \
    --jwt-secret "$(openssl rand -hex 32)" --ca-cert "$work/ca.crt" --ca-key "$work/ca.key" \
    --admin-email "$email" --admin-password "$password" --gateway-url https://127.0.0.1:18080 \
    --register-limit 1000000 --log-level warn 2>"$work/control.log" &
pids+=($!)
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:18081/ready >/dev/null && break; sleep 0.1; done
$build/daemons/pm-admin issue-server-certificate --ca-cert "$work/ca.crt" --ca-key "$work/ca.key" \
    --out-dir "$work/gateway" 127.0.0.1 >/dev/null
$build/daemons/pm-gateway --addr 127.0.0.1:18080 --health-addr 127.0.0.1:18082 \
    --database-url "$url" --tls-cert "$work/gateway/server.crt" --tls-key "$work/gateway/server.key" \
    --tls-ca "$work/ca.crt" --log-level warn --max-connections 15000 >"$work/gateway.log" 2>&1 &
pids+=($!)
gateway_pid=$!
for _ in $(seq 1 300); do curl -fs http://127.0.0.1:18082/ready >/dev/null && break; sleep 0.1; done

echo "== gateway_load: $agents agents, rates $rates for $duration each"
$build/benchmarks/gateway/gateway_load --control-url http://127.0.0.1:18081 --email "$email" \
    --password "$password" --agents "$agents" --state-dir "$work/agents" \
    --gateway-pid "$gateway_pid" --rates "$rates" --duration "$duration"
echo "== gateway health after the run"
curl -fs http://127.0.0.1:18082/health; echo
