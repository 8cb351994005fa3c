#!/usr/bin/env bash
# Starts pm_echo_server with TLS and required client certificates (throwaway CA) and runs the
# connect-node client against it (node_client.mjs).
#   tests/rpc/interop/run_node.sh SERVER [NODE_DIR]
# SERVER: the pm_echo_server binary. NODE_DIR: where setup_node.sh ran (default: this folder).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

(($# >= 1)) || die "usage: $0 PM_ECHO_SERVER [NODE_DIR]"
server_bin=$(realpath "$1")
node_dir=$(realpath "${2:-$interop_dir}")
[[ -x $server_bin ]] || die "$server_bin is not an executable"
need_tool openssl timeout
need_node_dir "$node_dir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm-interop-node.XXXXXX")
trap 'stop_server; rm -rf "$tmp"' EXIT
make_certs "$tmp/certs"
c=$tmp/certs

# The client must sit next to node_modules and gen/ (ES modules resolve from their own folder).
if [[ $node_dir != "$interop_dir" ]]; then
    cp "$interop_dir/node_client.mjs" "$node_dir/node_client.mjs"
fi

start_server "$server_bin" "$tmp/server.log" --tls-cert "$c/server.pem" --tls-key "$c/server.key" \
    --tls-ca "$c/ca.pem" --client-auth required
echo "== TLS server, --client-auth required, on port $server_port (client CN $client_cn)"
rc=0
(cd "$node_dir" && timeout 300 node node_client.mjs --port "$server_port" --certs "$c" \
    --cn "$client_cn") || rc=$?
if ((rc)); then
    echo "-- server output (last 50 lines):"
    tail -n 50 "$tmp/server.log"
fi
stop_server "$server_pid"  # a crash or an unclean exit is a failure too
((failed == 0)) || rc=1
exit "$rc"
