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
source "$repo/benchmarks/gateway/load_setup.sh"
load_setup gateway-load daemons/pm-control daemons/pm-gateway daemons/pm-admin benchmarks/gateway/gateway_load

echo "== limits in this run"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1

pg_env=$(scripts/pg-throwaway start) || { echo "run_load.sh: could not start PostgreSQL (the reason is above)" >&2; exit 1; }
eval "$pg_env"
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
