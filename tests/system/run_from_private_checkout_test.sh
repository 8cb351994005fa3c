#!/usr/bin/env bash
# scripts/run --once from a checkout in a directory only its owner may enter (mode 0700, as
# /root is): PostgreSQL runs as the postgres user, who cannot go there, so the cluster has to
# live elsewhere, and a second run must find it again with its data. Also: a script that
# cannot go on says what to do, never "unbound variable".
#   run_from_private_checkout_test.sh BUILD_DIR SOURCE_DIR
# The checkout is a `git clone --shared` of SOURCE_DIR at its working tree's state (tracked
# files, uncommitted changes included). It reuses BUILD_DIR through PM_BUILD_DIR instead of
# building the clone: a fresh release build takes minutes even with ccache, and what is tested
# here is the scripts, not the compiler.
set -euo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
fail() { echo "FAILED: $*" >&2; exit 1; }

git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1 ||
    { echo "SKIPPED: $source_dir is not a git checkout, which this test clones"; exit 77; }

top=$(mktemp -d "${TMPDIR:-/tmp}/pm-private.XXXXXX")
chmod 700 "$top"
checkout=$top/checkout
cleanup() {
    [[ -x $checkout/scripts/pg-throwaway ]] &&
        "$checkout/scripts/pg-throwaway" stop --remove "$checkout/.pm-data/pg" >/dev/null 2>&1 || true
    rm -rf "$top"
}
trap cleanup EXIT

# The working tree as a commit (a stash object, no ref moved), so edits not yet committed are
# what is tested.
revision=$(git -C "$source_dir" stash create)
revision=${revision:-$(git -C "$source_dir" rev-parse HEAD)}
git clone --quiet --shared --no-checkout "$source_dir" "$checkout"
git -C "$checkout" -c advice.detachedHead=false checkout --quiet "$revision"

if [[ $(id -u) == 0 ]] && id postgres >/dev/null 2>&1; then
    runuser -u postgres -- test -x "$checkout" && fail "the postgres user can enter $checkout: the test would prove nothing"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export PM_BUILD_DIR=$build PM_AGENTS=3
export PM_CONTROL_PORT=$(free_port) PM_GATEWAY_PORT=$(free_port) PM_GATEWAY_HEALTH_PORT=$(free_port)

run_once() { # LOG
    timeout 240 "$checkout/scripts/run" --once >"$1" 2>&1 || { cat "$1"; fail "scripts/run --once failed (status $?)"; }
    ! grep -q "unbound variable" "$1" || { cat "$1"; fail "an unset variable in the output"; }
}

echo "first run"
run_once "$top/first.log"
grep -q "is up on port" "$top/first.log" || { cat "$top/first.log"; fail "PostgreSQL did not come up"; }
grep -q "^Running" "$top/first.log" || { cat "$top/first.log"; fail "the run did not get to its summary"; }
if [[ $(id -u) == 0 ]]; then
    [[ -f $checkout/.pm-data/pg/cluster-location ]] || fail "as root, the cluster was not moved out of the private checkout"
    cluster=$(cat "$checkout/.pm-data/pg/cluster-location")
    runuser -u postgres -- test -w "$cluster/data" || fail "the postgres user cannot write $cluster/data"
fi

echo "second run: the same cluster, the same devices"
run_once "$top/second.log"
grep -q "is up on port" "$top/second.log" || { cat "$top/second.log"; fail "PostgreSQL did not come up again"; }
# The cluster is stopped again: start it to count what the two runs stored.
pg_env=$("$checkout/scripts/pg-throwaway" start "$checkout/.pm-data/pg") || fail "the kept cluster does not start"
eval "$pg_env"
devices=$(psql "postgresql://postgres@127.0.0.1:$PM_PG_PORT/powermanage" -Atc \
    "SELECT count(*) FROM devices_projection WHERE NOT is_deleted")
"$checkout/scripts/pg-throwaway" stop "$checkout/.pm-data/pg"
[[ $devices == "$PM_AGENTS" ]] ||
    fail "the second run found $devices devices, expected the first run's $PM_AGENTS (data not kept, or agents enrolled again)"

echo "failures say what to do"
out=$(PM_BUILD_DIR=$top/no-such-build "$checkout/scripts/run" --once 2>&1) && fail "a missing build tree was accepted"
grep -q "PM_BUILD_DIR=.* is not a directory" <<<"$out" || fail "missing build tree, unclear message: $out"
out=$(PGBIN=$top/no-such-postgres "$checkout/scripts/run" --once 2>&1) && fail "a missing PostgreSQL was accepted"
grep -q "PostgreSQL 15 not found.*scripts/setup" <<<"$out" || fail "missing PostgreSQL, unclear message: $out"
grep -q "could not start PostgreSQL" <<<"$out" || fail "scripts/run did not say it could not start PostgreSQL: $out"
! grep -q "unbound variable" <<<"$out" || fail "an unset variable after a failed start: $out"
echo "PASSED"
