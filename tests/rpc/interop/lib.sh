# shellcheck shell=bash
# Shared by the interop scripts (sourced, not run): tool checks, throwaway certificates, starting
# and stopping pm_echo_server, and the pass/fail tally. Callers set `set -euo pipefail` first.

interop_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
repo_dir=$(cd "$interop_dir/../../.." && pwd)

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

# need_tool NAME...: fails (never skips) when a tool is missing.
need_tool() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || die "$t is missing; run scripts/setup first"
    done
}

# need_node_dir DIR: DIR must hold the `npm ci` result and the generated code (setup_node.sh).
need_node_dir() {
    need_tool node npm
    [[ -x $1/node_modules/.bin/buf ]] ||
        die "no node_modules in $1; run tests/rpc/interop/setup_node.sh $1 (the ctest fixture" \
            "rpc.interop.npm_ci does this; it needs node and npm from scripts/setup)"
    [[ -f $1/gen/echo_pb.js ]] || die "no generated code in $1/gen; run setup_node.sh $1"
}

# make_certs DIR: a throwaway CA, a server certificate for 127.0.0.1 and localhost, a client
# certificate whose CN is a ULID-like device id, and a client certificate from a second CA the
# server does not trust. All ECDSA P-256, valid for one day.
make_certs() {
    local d=$1 name
    mkdir -p "$d"
    local crockford=0123456789ABCDEFGHJKMNPQRSTVWXYZ i
    client_cn=01  # a ULID: 26 Crockford base32 characters, the first at most 7
    for ((i = 0; i < 24; i++)); do client_cn+=${crockford:RANDOM%32:1}; done
    for name in ca other-ca; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
            -subj "/CN=pm interop test $name" -keyout "$d/$name.key" -out "$d/$name.pem" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
            2>/dev/null
    done
    issue() { # NAME CA CN EXTENSIONS...
        local n=$1 ca=$2 cn=$3; shift 3
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
            -keyout "$d/$n.key" -out "$d/$n.csr" 2>/dev/null
        printf '%s\n' "$@" >"$d/$n.ext"
        openssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -CAcreateserial \
            -days 1 -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null
    }
    issue server ca localhost "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature"
    issue client ca "$client_cn" "extendedKeyUsage=clientAuth" "keyUsage=critical,digitalSignature"
    issue stranger other-ca "$client_cn" "extendedKeyUsage=clientAuth" \
        "keyUsage=critical,digitalSignature"
    openssl verify -CAfile "$d/ca.pem" "$d/server.pem" "$d/client.pem" >/dev/null ||
        die "generated certificates do not verify"
}

# start_server BINARY LOGFILE ARGS...: starts pm_echo_server on a free loopback port and waits
# (up to 30 s; sanitizer builds start slowly) for "listening on <port>". Sets server_pid and
# server_port. stop_server (also run by the EXIT trap) ends it.
server_pids=()
declare -A server_logs=()
start_server() {
    local bin=$1 log=$2; shift 2
    : >"$log"
    "$bin" --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
    server_pid=$!
    server_pids+=("$server_pid")
    server_logs[$server_pid]=$log
    local i
    for ((i = 0; i < 300; i++)); do
        server_port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$log")
        [[ -n $server_port ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; die "$bin $* exited during start"; }
        sleep 0.1
    done
    cat "$log" >&2
    die "$bin $* printed no 'listening on <port>' within 30 s"
}

# stop_server [PID]: SIGTERM to the given server (else to every one still running), 10 s to
# exit, then SIGKILL. A server that had already died, or exits other than by 0 / SIGTERM (say a
# sanitizer abort), counts as a failed case with its log.
stop_server() {
    local pid pids=("$@") status
    ((${#pids[@]})) || pids=("${server_pids[@]}")
    for pid in "${pids[@]}"; do
        [[ -n ${server_logs[$pid]:-} ]] || continue
        local log=${server_logs[$pid]} alive=1 i
        unset "server_logs[$pid]"
        kill -0 "$pid" 2>/dev/null || alive=0
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        status=0
        wait "$pid" 2>/dev/null || status=$?
        if ((!alive)); then
            fail "server $pid" "had died before the end of its cases (status $status)" "$log"
        elif ((status != 0 && status != 143)); then
            fail "server $pid" "exit status $status after SIGTERM" "$log"
        fi
    done
}

passed=0
failed=0
failed_names=()
pass() {
    passed=$((passed + 1))
    printf 'PASS  %s\n' "$1"
}
fail() { # NAME WHY [DETAILS-FILE...]
    local name=$1 why=$2 f; shift 2
    failed=$((failed + 1))
    failed_names+=("$name")
    printf 'FAIL  %s: %s\n' "$name" "$why"
    for f in "$@"; do
        [[ -s $f ]] && tail -n 40 "$f" | sed 's/^/      | /'
    done
    return 0
}
summary() { # exit status for the script
    echo "$passed passed, $failed failed"
    if ((failed)); then
        printf '  failed: %s\n' "${failed_names[@]}"
        return 1
    fi
    return 0
}
