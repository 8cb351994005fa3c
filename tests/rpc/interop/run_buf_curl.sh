#!/usr/bin/env bash
# buf curl (connect-go inside) and curl against pm_echo_server in every protocol / HTTP version /
# TLS mode the server offers. Each case compares the exact JSON output, the exit code and the
# HTTP version actually spoken (from buf curl -v). One line per case, then "N passed, M failed".
#   tests/rpc/interop/run_buf_curl.sh SERVER [NODE_DIR]
# SERVER: the pm_echo_server binary. NODE_DIR: where setup_node.sh ran (default: this folder).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

(($# >= 1)) || die "usage: $0 PM_ECHO_SERVER [NODE_DIR]"
server_bin=$(realpath "$1")
node_dir=$(realpath "${2:-$interop_dir}")
[[ -x $server_bin ]] || die "$server_bin is not an executable"
need_tool jq curl openssl timeout
need_node_dir "$node_dir"
buf=$node_dir/node_modules/.bin/buf

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm-interop-buf.XXXXXX")
trap 'stop_server; rm -rf "$tmp"' EXIT
make_certs "$tmp/certs"
c=$tmp/certs
"$buf" build "$repo_dir/tests/rpc/echo.proto" -o "$tmp/echo.binpb"

# ---- What the echo service answers (tests/rpc/echo.proto). Requests are buf curl -d input;
# ---- wanted outputs are JSON arrays of every response message, proto3 JSON (zero values omitted).
# Unary echoes message, number (int64: a JSON string, here above 2^53) and tags.
unary_req='{"message":"hello interop","number":"9007199254740993","tags":["a","b"]}'
unary_want='[{"message":"hello interop","number":"9007199254740993","tags":["a","b"]}]'
unary_obj=$(jq -c '.[0]' <<<"$unary_want")  # the same, as one object (curl)
stream_req='{"message":"tick","count":3}'
stream_want='[{"message":"tick"},{"message":"tick","index":1},{"message":"tick","index":2}]'
client_req='{"message":"a"} {"message":"b"} {"message":"c"}'
client_want='[{"message":"abc","index":3}]'
bidi_req='{"message":"one"} {"message":"two"} {"message":"three"}'
bidi_want='[{"message":"one"},{"message":"two","index":1},{"message":"three","index":2}]'
# A failure after a message has already gone out: the error must arrive after that message.
bidi_fail_req='{"message":"one"} {"message":"fail:aborted"}'
bidi_fail_want='[{"message":"one"}]'

# Connect/gRPC code numbers; buf curl exits with code << 3 when the RPC fails.
declare -A code_num=([canceled]=1 [unknown]=2 [invalid_argument]=3 [deadline_exceeded]=4
    [not_found]=5 [already_exists]=6 [permission_denied]=7 [resource_exhausted]=8
    [failed_precondition]=9 [aborted]=10 [out_of_range]=11 [unimplemented]=12 [internal]=13
    [unavailable]=14 [data_loss]=15 [unauthenticated]=16)

n=0
# bc NAME HTTP-VERSION WANT-JSON-ARRAY|error:CODE|refused METHOD DATA BUF-CURL-ARGS...
#   HTTP-VERSION: 1.1 or 2.0, as buf curl -v reports the response line ("" when refused).
bc() {
    local name=$1 want_http=$2 want=$3 method=$4 data=$5; shift 5
    local out=$tmp/out.$n err=$tmp/err.$n rc=0
    n=$((n + 1))
    timeout 60 "$buf" curl -v --schema "$tmp/echo.binpb" "$@" -d "$data" \
        "$base/pm.test.v1.EchoService/$method" >"$out" 2>"$err" || rc=$?
    grep -v '^buf: ' "$err" >"$err.msg" || true
    if [[ $want == refused ]]; then
        # Must fail before any RPC outcome: a transport-level error (exit < 8, or canceled /
        # unknown / unavailable from the TLS alert or reset), and no response message at all.
        if ((rc == 0)); then
            fail "$name" "the server accepted the call" "$out"
        elif [[ -s $out ]]; then
            fail "$name" "refused, but a response arrived" "$out"
        elif ((rc >= 8 && rc != 14 << 3 && rc != 2 << 3 && rc != 1 << 3)); then
            fail "$name" "exit $rc: an RPC error, not a refused connection" "$err.msg"
        else
            pass "$name (refused: $(grep -v '^\s*$' "$err.msg" | tr -s ' \n' ' ' | cut -c1-90))"
        fi
        return 0
    fi
    local got_http
    got_http=$(sed -n 's/^buf: < (#[0-9]*) HTTP\/\([0-9.]*\) .*/\1/p' "$err" | head -1)
    if [[ $got_http != "$want_http" ]]; then
        fail "$name" "spoke HTTP/${got_http:-none}, wanted HTTP/$want_http (exit $rc)" "$err.msg"
        return 0
    fi
    if [[ $want == error:* ]]; then
        local code=${want#error:} want_msgs='[]'
        if [[ $method == Bidi ]]; then want_msgs=$bidi_fail_want; fi
        local want_rc=$((code_num[$code] << 3)) got_code got_msgs
        got_code=$(jq -rs '.[0].code // "none"' "$err.msg" 2>/dev/null || echo unparsable)
        got_msgs=$(jq -cs . "$out" 2>/dev/null || echo unparsable)
        if ((rc != want_rc)); then
            fail "$name" "exit $rc, wanted $want_rc ($code)" "$out" "$err.msg"
        elif [[ $got_code != "$code" ]]; then
            fail "$name" "error code '$got_code', wanted '$code'" "$err.msg"
        elif ! jq -en --argjson a "$got_msgs" --argjson b "$want_msgs" '$a == $b' >/dev/null; then
            fail "$name" "messages before the error: got $got_msgs, wanted $want_msgs"
        else
            pass "$name (exit $rc, code $code)"
        fi
        return 0
    fi
    local got
    if ((rc != 0)); then
        fail "$name" "exit $rc" "$out" "$err.msg"
    elif ! got=$(jq -cs . "$out" 2>/dev/null); then
        fail "$name" "output is not JSON" "$out"
    elif ! jq -en --argjson a "$got" --argjson b "$want" '$a == $b' >/dev/null; then
        fail "$name" "got $got, wanted $want"
    else
        local line
        for line in "${want_meta[@]}"; do
            if ! grep -Fxqi "buf: < (#1) $line" "$err"; then
                fail "$name" "no response header/trailer '$line'" "$err"
                return 0
            fi
        done
        pass "$name"
    fi
}
want_meta=()  # response metadata lines bc_meta wants in buf curl -v's output

# bc_meta NAME HTTP-VERSION "LINE|LINE..." BUF-CURL-ARGS...: unary with x-echo-header and
# x-echo-trailer, which the server returns as a header and a trailer (unary only).
bc_meta() {
    local name=$1 http=$2
    IFS='|' read -r -a want_meta <<<"$3"
    shift 3
    bc "$name" "$http" '[{"message":"meta"}]' Unary '{"message":"meta"}' \
        -H 'x-echo-header: h-value' -H 'x-echo-trailer: t-value' "$@"
    want_meta=()
}

# cj NAME HTTP-VERSION STATUS WANT-JSON BODY CURL-ARGS...: a Connect unary call with the JSON
# codec as a browser sends it (plain curl, Content-Type: application/json).
cj() {
    local name=$1 want_http=$2 want_status=$3 want=$4 body=$5; shift 5
    local out=$tmp/out.$n err=$tmp/err.$n rc=0 meta
    n=$((n + 1))
    meta=$(timeout 60 curl -sS --max-time 30 "$@" -H 'Content-Type: application/json' \
        -H 'Connect-Protocol-Version: 1' --data-binary "$body" -o "$out" \
        -w '%{http_version} %{http_code} %{content_type}' \
        "$base/pm.test.v1.EchoService/Unary" 2>"$err") || rc=$?
    if [[ $want == refused ]]; then
        if ((rc == 0)); then
            fail "$name" "the server answered HTTP $meta" "$out"
        else
            pass "$name (refused: $(tr -s ' \n' ' ' <"$err" | cut -c1-90))"
        fi
        return 0
    fi
    local http status ctype got
    read -r http status ctype <<<"$meta" || true
    if ((rc != 0)); then
        fail "$name" "curl exit $rc" "$err"
    elif [[ $http != "$want_http" || $status != "$want_status" ]]; then
        fail "$name" "HTTP/$http $status, wanted HTTP/$want_http $want_status" "$out"
    elif [[ ${ctype%%;*} != application/json ]]; then
        fail "$name" "Content-Type '$ctype', wanted application/json" "$out"
    elif ! got=$(jq -c . "$out" 2>/dev/null); then
        fail "$name" "body is not JSON" "$out"
    elif ! jq -en --argjson a "$got" --argjson b "$want" "$cj_compare" >/dev/null; then
        fail "$name" "got $got, wanted $want"
    else
        pass "$name"
    fi
}
cj_compare='$a == $b'
# Errors carry a free-text message; only the code is compared exactly.
cj_error() {
    local old=$cj_compare
    cj_compare='$a.code == $b.code and ($a.message | type) == "string"'
    cj "$@"
    cj_compare=$old
}

# status NAME WANT-HTTP-STATUS URL-PATH CURL-ARGS...: only the HTTP status of a raw request.
status() {
    local name=$1 want=$2 path=$3 got; shift 3
    got=$(timeout 60 curl -sS --max-time 30 -o "$tmp/out.$n" -w '%{http_code}' "$@" "$base$path" \
        2>"$tmp/err.$n") || true
    n=$((n + 1))
    if [[ $got == "$want" ]]; then
        pass "$name (HTTP $got)"
    else
        fail "$name" "HTTP ${got:-none}, wanted $want" "$tmp/out.$((n - 1))" "$tmp/err.$((n - 1))"
    fi
}

# ---------------------------------------------------------------- cleartext: HTTP/1.1 and h2c
start_server "$server_bin" "$tmp/server-clear.log"
base=http://127.0.0.1:$server_port
echo "== cleartext server on port $server_port"
h2=(--http2-prior-knowledge)
bc "connect h1 unary (proto)" 1.1 "$unary_want" Unary "$unary_req"
bc "connect h1 server-stream" 1.1 "$stream_want" ServerStream "$stream_req"
bc "connect h1 client-stream" 1.1 "$client_want" ClientStream "$client_req"
bc "connect h2c unary" 2.0 "$unary_want" Unary "$unary_req" "${h2[@]}"
bc "connect h2c server-stream" 2.0 "$stream_want" ServerStream "$stream_req" "${h2[@]}"
bc "connect h2c client-stream" 2.0 "$client_want" ClientStream "$client_req" "${h2[@]}"
bc "connect h2c bidi" 2.0 "$bidi_want" Bidi "$bidi_req" "${h2[@]}"
bc "grpc h2c unary" 2.0 "$unary_want" Unary "$unary_req" --protocol grpc "${h2[@]}"
bc "grpc h2c server-stream" 2.0 "$stream_want" ServerStream "$stream_req" --protocol grpc "${h2[@]}"
bc "grpc h2c client-stream" 2.0 "$client_want" ClientStream "$client_req" --protocol grpc "${h2[@]}"
bc "grpc h2c bidi" 2.0 "$bidi_want" Bidi "$bidi_req" --protocol grpc "${h2[@]}"
bc "grpc-web h1 unary" 1.1 "$unary_want" Unary "$unary_req" --protocol grpcweb
bc "grpc-web h1 server-stream" 1.1 "$stream_want" ServerStream "$stream_req" --protocol grpcweb
bc "grpc-web h2c unary" 2.0 "$unary_want" Unary "$unary_req" --protocol grpcweb "${h2[@]}"
bc "grpc-web h2c server-stream" 2.0 "$stream_want" ServerStream "$stream_req" --protocol grpcweb \
    "${h2[@]}"
bc "grpc-web h2c client-stream" 2.0 "$client_want" ClientStream "$client_req" --protocol grpcweb \
    "${h2[@]}"
bc "grpc-web h2c bidi" 2.0 "$bidi_want" Bidi "$bidi_req" --protocol grpcweb "${h2[@]}"
bc_meta "connect h1 unary header + trailer" 1.1 \
    'X-Echo-Header: h-value|Trailer-X-Echo-Trailer: t-value'
bc_meta "connect h2c unary header + trailer" 2.0 \
    'X-Echo-Header: h-value|Trailer-X-Echo-Trailer: t-value' "${h2[@]}"
bc_meta "grpc h2c unary header + trailer" 2.0 'X-Echo-Header: h-value|X-Echo-Trailer: t-value' \
    --protocol grpc "${h2[@]}"
bc_meta "grpc-web h1 unary header" 1.1 'X-Echo-Header: h-value' --protocol grpcweb
bc "connect h1 unary error not_found" 1.1 error:not_found Unary '{"message":"fail:not_found"}'
bc "connect h2c unary error invalid_argument" 2.0 error:invalid_argument Unary \
    '{"message":"fail:invalid_argument"}' "${h2[@]}"
bc "connect h1 server-stream error not_found" 1.1 error:not_found ServerStream \
    '{"message":"fail:not_found","count":2}'
bc "connect h2c bidi error after a message" 2.0 error:aborted Bidi "$bidi_fail_req" "${h2[@]}"
bc "grpc h2c unary error not_found" 2.0 error:not_found Unary '{"message":"fail:not_found"}' \
    --protocol grpc "${h2[@]}"
bc "grpc h2c bidi error after a message" 2.0 error:aborted Bidi "$bidi_fail_req" \
    --protocol grpc "${h2[@]}"
bc "grpc-web h1 unary error permission_denied" 1.1 error:permission_denied Unary \
    '{"message":"fail:permission_denied"}' --protocol grpcweb
bc "grpc-web h2c bidi error after a message" 2.0 error:aborted Bidi "$bidi_fail_req" \
    --protocol grpcweb "${h2[@]}"
cj "curl connect h1 unary (json)" 1.1 200 "$unary_obj" "$unary_req" --http1.1
cj "curl connect h2c unary (json)" 2 200 "$unary_obj" "$unary_req" --http2-prior-knowledge
cj "curl connect h1 unary (json, int64 as a JSON number)" 1.1 200 '{"message":"n","number":"42"}' \
    '{"message":"n","number":42}' --http1.1
cj_error "curl connect h1 json error not_found -> 404" 1.1 404 '{"code":"not_found"}' \
    '{"message":"fail:not_found"}' --http1.1
# Full-duplex bidi cannot run on HTTP/1.1: refused up front, 505 as connect-go does.
printf '\0\0\0\0\x0f{"message":"x1"}' >"$tmp/envelope.bin"
status "curl connect h1 bidi is refused" 505 /pm.test.v1.EchoService/Bidi --http1.1 \
    -H 'Content-Type: application/connect+json' --data-binary @"$tmp/envelope.bin"
cj_error "curl connect h2c json error unauthenticated -> 401" 2 401 '{"code":"unauthenticated"}' \
    '{"message":"fail:unauthenticated"}' --http2-prior-knowledge
stop_server "$server_pid"

# ---------------------------------------------------------------- TLS 1.3, ALPN h2 and http/1.1
tls=(--tls-cert "$c/server.pem" --tls-key "$c/server.key" --tls-ca "$c/ca.pem")
ca=(--cacert "$c/ca.pem")
mine=(--cert "$c/client.pem" --key "$c/client.key")
stranger=(--cert "$c/stranger.pem" --key "$c/stranger.key")
curl_ca=(--cacert "$c/ca.pem")
curl_mine=(--cert "$c/client.pem" --key "$c/client.key")
curl_stranger=(--cert "$c/stranger.pem" --key "$c/stranger.key")

start_server "$server_bin" "$tmp/server-tls-none.log" "${tls[@]}" --client-auth none
base=https://127.0.0.1:$server_port
echo "== TLS server, --client-auth none, on port $server_port"
bc "tls connect unary" 2.0 "$unary_want" Unary "$unary_req" "${ca[@]}"
bc "tls connect server-stream" 2.0 "$stream_want" ServerStream "$stream_req" "${ca[@]}"
bc "tls connect bidi" 2.0 "$bidi_want" Bidi "$bidi_req" "${ca[@]}"
bc "tls grpc unary" 2.0 "$unary_want" Unary "$unary_req" --protocol grpc "${ca[@]}"
bc "tls grpc server-stream" 2.0 "$stream_want" ServerStream "$stream_req" --protocol grpc "${ca[@]}"
bc "tls grpc bidi" 2.0 "$bidi_want" Bidi "$bidi_req" --protocol grpc "${ca[@]}"
bc "tls grpc-web unary" 2.0 "$unary_want" Unary "$unary_req" --protocol grpcweb "${ca[@]}"
bc "tls grpc-web bidi" 2.0 "$bidi_want" Bidi "$bidi_req" --protocol grpcweb "${ca[@]}"
bc "tls grpc unary error not_found" 2.0 error:not_found Unary '{"message":"fail:not_found"}' \
    --protocol grpc "${ca[@]}"
bc "tls connect unary with an unneeded client cert" 2.0 "$unary_want" Unary "$unary_req" \
    "${ca[@]}" "${mine[@]}"
cj "tls curl connect h1 unary (json)" 1.1 200 "$unary_obj" "$unary_req" --http1.1 "${curl_ca[@]}"
cj "tls curl connect h2 unary (json, ALPN)" 2 200 "$unary_obj" "$unary_req" --http2 "${curl_ca[@]}"
cj_error "tls curl connect h1 json error not_found -> 404" 1.1 404 '{"code":"not_found"}' \
    '{"message":"fail:not_found"}' --http1.1 "${curl_ca[@]}"
stop_server "$server_pid"

start_server "$server_bin" "$tmp/server-tls-required.log" "${tls[@]}" --client-auth required
base=https://127.0.0.1:$server_port
echo "== TLS server, --client-auth required, on port $server_port"
bc "mtls connect unary" 2.0 "$unary_want" Unary "$unary_req" "${ca[@]}" "${mine[@]}"
bc "mtls connect server-stream" 2.0 "$stream_want" ServerStream "$stream_req" "${ca[@]}" \
    "${mine[@]}"
bc "mtls connect bidi" 2.0 "$bidi_want" Bidi "$bidi_req" "${ca[@]}" "${mine[@]}"
bc "mtls grpc unary" 2.0 "$unary_want" Unary "$unary_req" --protocol grpc "${ca[@]}" "${mine[@]}"
bc "mtls grpc bidi" 2.0 "$bidi_want" Bidi "$bidi_req" --protocol grpc "${ca[@]}" "${mine[@]}"
bc "mtls grpc-web unary" 2.0 "$unary_want" Unary "$unary_req" --protocol grpcweb "${ca[@]}" \
    "${mine[@]}"
bc "mtls grpc-web server-stream" 2.0 "$stream_want" ServerStream "$stream_req" --protocol grpcweb \
    "${ca[@]}" "${mine[@]}"
bc "mtls connect whoami = client cert CN" 2.0 "[{\"message\":\"$client_cn\"}]" Unary \
    '{"message":"whoami"}' "${ca[@]}" "${mine[@]}"
bc "mtls grpc whoami = client cert CN" 2.0 "[{\"message\":\"$client_cn\"}]" Unary \
    '{"message":"whoami"}' --protocol grpc "${ca[@]}" "${mine[@]}"
bc "mtls connect unary error permission_denied" 2.0 error:permission_denied Unary \
    '{"message":"fail:permission_denied"}' "${ca[@]}" "${mine[@]}"
cj "mtls curl connect h1 unary (json)" 1.1 200 "$unary_obj" "$unary_req" --http1.1 \
    "${curl_ca[@]}" "${curl_mine[@]}"
bc "mtls without a client cert is refused (connect)" "" refused Unary "$unary_req" "${ca[@]}"
bc "mtls without a client cert is refused (grpc)" "" refused Unary "$unary_req" --protocol grpc \
    "${ca[@]}"
bc "mtls with an untrusted CA's client cert is refused" "" refused Unary "$unary_req" "${ca[@]}" \
    "${stranger[@]}"
cj "mtls curl h1 without a client cert is refused" "" "" refused "$unary_req" --http1.1 \
    "${curl_ca[@]}"
cj "mtls curl h2 with an untrusted CA's client cert is refused" "" "" refused "$unary_req" \
    --http2 "${curl_ca[@]}" "${curl_stranger[@]}"
stop_server "$server_pid"

start_server "$server_bin" "$tmp/server-tls-optional.log" "${tls[@]}" --client-auth optional
base=https://127.0.0.1:$server_port
echo "== TLS server, --client-auth optional, on port $server_port"
bc "optional-mtls connect unary without a cert" 2.0 "$unary_want" Unary "$unary_req" "${ca[@]}"
bc "optional-mtls whoami without a cert is empty" 2.0 '[{}]' Unary '{"message":"whoami"}' \
    "${ca[@]}"
bc "optional-mtls whoami with a cert = its CN" 2.0 "[{\"message\":\"$client_cn\"}]" Unary \
    '{"message":"whoami"}' "${ca[@]}" "${mine[@]}"
bc "optional-mtls connect unary with a cert" 2.0 "$unary_want" Unary "$unary_req" "${ca[@]}" \
    "${mine[@]}"
bc "optional-mtls grpc bidi with a cert" 2.0 "$bidi_want" Bidi "$bidi_req" --protocol grpc \
    "${ca[@]}" "${mine[@]}"
bc "optional-mtls with an untrusted CA's client cert is refused" "" refused Unary "$unary_req" \
    "${ca[@]}" "${stranger[@]}"
cj "optional-mtls curl h1 without a cert" 1.1 200 "$unary_obj" "$unary_req" --http1.1 \
    "${curl_ca[@]}"
stop_server "$server_pid"

summary
