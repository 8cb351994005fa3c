#!/usr/bin/env bash
# RPC throughput against a ceiling: Debian's nginx answering a fixed 200 to POST (the most a
# loopback HTTP server does on this machine with these clients), then pm_echo_server's Connect
# unary Echo with the same load: HTTP/1.1 + JSON under wrk, h2c + binary proto under h2load.
# Prints requests/s per case and pm/nginx ratios. Loopback only; every run is time-bounded.
#   benchmarks/rpc/nginx_baseline.sh [options] [PM_ECHO_SERVER]
#     -d SECONDS       length of each run (default 10)
#     -c CONNECTIONS   wrk connections / h2load clients (defaults 32 / 16)
#     -m STREAMS       h2load concurrent streams per connection (default 10)
#     -t THREADS       client threads for wrk and h2load (default: half the cores, at least 1)
# PM_ECHO_SERVER defaults to build/release/tests/rpc/pm_echo_server; without one, only the nginx
# baseline runs. Needs nginx, wrk, h2load (nghttp2-client), curl and protoc.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)

duration=10
wrk_conns=32
h2_clients=16
h2_streams=10
threads=$(($(nproc) / 2))
((threads >= 1)) || threads=1
while getopts 'd:c:m:t:h' opt; do
    case $opt in
    d) duration=$OPTARG ;;
    c) wrk_conns=$OPTARG h2_clients=$OPTARG ;;
    m) h2_streams=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
server_bin=${1:-$repo/build/release/tests/rpc/pm_echo_server}

die() {
    echo "nginx_baseline: $*" >&2
    exit 1
}
for t in wrk h2load curl protoc; do
    command -v "$t" >/dev/null || die "$t is missing; run scripts/setup first"
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx ]] ||
    die "nginx is missing; run scripts/setup (or apt-get install --no-install-recommends nginx)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm-rpc-bench.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
wait_http() { # URL CURL-ARGS...: up to 10 s for any HTTP answer
    local url=$1 i; shift
    for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null "$@" "$url" && return 0
        sleep 0.1
    done
    die "nothing answers at $url"
}

# ---- the request bodies: EchoRequest{message: "hello"} (tests/rpc/echo.proto)
echo_proto=$repo/tests/rpc/echo.proto
json_body='{"message":"hello"}'
printf '%s' "$json_body" >"$tmp/body.json"
if [[ -f $echo_proto ]]; then
    protoc -I "$repo/tests/rpc" --encode=pm.test.v1.EchoRequest "$echo_proto" \
        <<<'message: "hello"' >"$tmp/body.binpb"
fi
cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$json_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connect-Protocol-Version"] = "1"
EOF

# ---- measuring. Each prints "<requests/s>" on stdout; the tool's own summary goes to stderr.
run_wrk() { # URL
    local out=$tmp/wrk.out rps non2xx
    timeout $((duration + 30)) wrk -t "$threads" -c "$wrk_conns" -d "${duration}s" \
        -s "$tmp/post.lua" "$1" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $1"; }
    sed 's/^/    /' "$out" |
        grep -E 'Latency|Req/Sec|requests in|Non-2xx|Socket errors|Requests/sec' >&2
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out")
    [[ -z $non2xx ]] || die "wrk on $1: $non2xx non-2xx answers"
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$out")
    echo "${rps%.*}"
}
run_h2load() { # URL H2LOAD-ARGS...
    local url=$1 out=$tmp/h2load.out rps failed; shift
    timeout $((duration + 30)) h2load -t "$threads" -c "$h2_clients" -m "$h2_streams" \
        -D "$duration" --warm-up-time 1 "$@" "$url" >"$out" 2>&1 ||
        { cat "$out" >&2; die "h2load failed on $url"; }
    sed 's/^/    /' "$out" |
        grep -E '^ *(finished in|requests:|status codes:|time for request:)' >&2
    failed=$(sed -n 's/^requests: .* \([0-9]*\) failed, \([0-9]*\) errored.*/\1 \2/p' "$out")
    [[ $failed == "0 0" ]] || die "h2load on $url: failed, errored = ${failed:-unparsable}"
    grep -Eq '^requests: [1-9][0-9]* total' "$out" || die "h2load on $url: no request completed"
    if ! grep -Eq '^status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx' "$out"; then
        die "h2load on $url: non-2xx answers ($(grep '^status codes' "$out"))"
    fi
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$out")
    echo "${rps%.*}"
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "== machine: $(nproc) cores, $cpu"
wrk_version=$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2 || true)  # wrk --version exits 1
echo "   $("$nginx" -v 2>&1), $wrk_version, $(h2load --version)"
echo "   each run ${duration}s; wrk -t $threads -c $wrk_conns;" \
    "h2load -t $threads -c $h2_clients -m $h2_streams"
echo "   client and server share this machine's cores: compare ratios, not absolute figures"

# ---- nginx: one HTTP/1.1 port and one h2c (prior knowledge) port, fixed 200 for any POST
h1_port=$(free_port)
h2_port=$(free_port)
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp"
chmod -R a+rwx "$tmp/nginx/tmp"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/tmp/body;
    proxy_temp_path $tmp/nginx/tmp/proxy;
    fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
    uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
    scgi_temp_path $tmp/nginx/tmp/scgi;
    keepalive_requests 1000000;
    default_type application/json;
    server {
        listen 127.0.0.1:$h1_port;
        location / { return 200 '{"message":"hello"}'; }
    }
    server {
        listen 127.0.0.1:$h2_port http2;
        location / { return 200 '{"message":"hello"}'; }
    }
}
EOF
"$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" \
    -g 'daemon off;' &
pids+=($!)
wait_http "http://127.0.0.1:$h1_port/"
wait_http "http://127.0.0.1:$h2_port/" --http2-prior-knowledge

echo "== nginx, fixed 200, HTTP/1.1 (wrk, POST json)"
nginx_h1=$(run_wrk "http://127.0.0.1:$h1_port/pm.test.v1.EchoService/Unary")
echo "   nginx h1: $nginx_h1 req/s"
echo "== nginx, fixed 200, h2c (h2load, POST proto)"
nginx_h2_body=$tmp/body.binpb
[[ -f $nginx_h2_body ]] || nginx_h2_body=$tmp/body.json
nginx_h2=$(run_h2load "http://127.0.0.1:$h2_port/pm.test.v1.EchoService/Unary" \
    -d "$nginx_h2_body" -H 'content-type: application/proto')
echo "   nginx h2c: $nginx_h2 req/s"
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
pids=()

if [[ ! -x $server_bin ]]; then
    echo "== no pm_echo_server at $server_bin: nginx baseline only"
    exit 0
fi
[[ -f $tmp/body.binpb ]] || die "$echo_proto is missing (needed for the proto body)"

# ---- pm_echo_server, cleartext (HTTP/1.1 and h2c on one port), Connect unary Echo
"$server_bin" --listen 127.0.0.1:0 >"$tmp/pm.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
    pm_port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/pm.log")
    [[ -n $pm_port ]] && break
    sleep 0.1
done
[[ -n ${pm_port:-} ]] || { cat "$tmp/pm.log" >&2; die "pm_echo_server did not start"; }
url=http://127.0.0.1:$pm_port/pm.test.v1.EchoService/Unary
# One checked call each way first, so a broken server cannot produce a fast "benchmark".
got=$(curl -sS --http1.1 -H 'Content-Type: application/json' --data-binary @"$tmp/body.json" "$url")
[[ $got == "$json_body" ]] || die "pm_echo_server h1 JSON answered '$got', wanted '$json_body'"
curl -sS --http2-prior-knowledge -H 'Content-Type: application/proto' \
    --data-binary @"$tmp/body.binpb" -o "$tmp/answer.binpb" "$url"
cmp -s "$tmp/answer.binpb" "$tmp/body.binpb" ||
    die "pm_echo_server h2c proto answer differs from the request:" \
        "$(od -An -tx1 "$tmp/answer.binpb")"

echo "== pm_echo_server, Connect unary, HTTP/1.1 + JSON (wrk)"
pm_h1=$(run_wrk "$url")
echo "   pm h1 json: $pm_h1 req/s"
echo "== pm_echo_server, Connect unary, h2c + proto (h2load)"
pm_h2=$(run_h2load "$url" -d "$tmp/body.binpb" -H 'content-type: application/proto' \
    -H 'connect-protocol-version: 1')
echo "   pm h2c proto: $pm_h2 req/s"

echo "== summary (requests/s; ratio = pm / nginx)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
row() { printf '   %-28s %10s %10s %7s\n' "$@"; }
row case nginx pm ratio
row "HTTP/1.1 (wrk, json)" "$nginx_h1" "$pm_h1" "$(ratio "$pm_h1" "$nginx_h1")"
row "h2c (h2load, proto)" "$nginx_h2" "$pm_h2" "$(ratio "$pm_h2" "$nginx_h2")"
