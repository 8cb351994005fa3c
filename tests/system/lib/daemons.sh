# Sourced by the shell tests that run the daemons as processes on a private PostgreSQL
# (tests/system/*.sh, examples/minimal-agent/minimal_agent_test.sh,
# examples/all-in-one/all_in_one_test.sh) and, for its cleanup, by
# the gateway load benchmarks. The caller sets `build` (the build directory), calls
# make_work_dir, and runs from the source directory, where scripts/pg-throwaway is.

# Makes the private directory `work` (/tmp/pm-NAME.XXXXXX) and an empty `pids` array, to which
# the caller adds every process it starts in the background.
make_work_dir() { # NAME
    work=$(mktemp -d "/tmp/pm-$1.XXXXXX")
    chmod 755 "$work"  # the cluster runs as the postgres user, which must reach work/pg
    pids=()
}

# Stops every process in `pids`, newest first, then the throwaway PostgreSQL, and removes
# `work`: meant for `trap stop_daemons_and_postgres EXIT`.
stop_daemons_and_postgres() {
    local i
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    [[ -n ${PM_PG_DIR:-} ]] && scripts/pg-throwaway stop --remove "$PM_PG_DIR"
    rm -rf "$work"
}

# Says what failed and shows the end of every log in `work`, then exits 1.
fail() { echo "FAILED: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

# A TCP port no one listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Polls URL until it answers 2xx, for at most SECONDS; returns 1 when it never did.
wait_ok() { # URL SECONDS
    for _ in $(seq 1 $(($2 * 10))); do curl -fs "$1" >/dev/null && return 0; sleep 0.1; done
    return 1
}

# The first string field NAME of the JSON on stdin. sed, not python3, where a regular answer
# makes that safe: on a shared machine every python3 start costs up to seconds.
string_field() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }

# Starts a throwaway PostgreSQL in work/pg with a database `powermanage`, then pm-control
# (--dev: it makes the CA in work/ca.crt and work/ca.key, and the admin EMAIL with PASSWORD;
# the extra flags are added to its command) and pm-gateway over mTLS with a server certificate
# from pm-admin, and waits until both are ready. Sets `url` (the database), the ports
# `control`, `gateway` and `health` (the gateway's health server), and PM_PG_DIR; logs go to
# work/control.log and work/gateway.log.
start_daemons() { # EMAIL PASSWORD [PM-CONTROL FLAG...]
    local admin_email=$1 admin_password=$2
    shift 2
    local pg_env
    pg_env=$(scripts/pg-throwaway start "$work/pg") || fail "cannot start PostgreSQL"
    eval "$pg_env"
    url=${PM_TEST_DATABASE_URL%/*}/powermanage
    psql "$PM_TEST_DATABASE_URL" -qc "CREATE DATABASE powermanage"
    control=$(free_port); gateway=$(free_port); health=$(free_port)
    "$build/daemons/pm-control" --dev --listen "127.0.0.1:$control" --database-url "$url" \
        --jwt-secret "$(openssl rand -hex 32)" --ca-cert "$work/ca.crt" --ca-key "$work/ca.key" \
        --admin-email "$admin_email" --admin-password "$admin_password" "$@" \
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
}

# Logs EMAIL in to pm-control; prints the access token (empty when the answer had none).
login() { # EMAIL PASSWORD
    curl -fsS -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$2\"}" \
        "http://127.0.0.1:$control/pm.v1.ControlService/Login" | string_field accessToken
}
