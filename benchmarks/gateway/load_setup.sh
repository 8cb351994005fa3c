# Sourced by run_load.sh and run_sync_load.sh: checks that the release binaries they run exist,
# raises the open-file limit, makes a work directory, and stops every process in `pids` (newest
# first), the throwaway PostgreSQL and the work directory on exit.
#   load_setup NAME BINARY...   (binaries relative to build/release)
load_setup() {
    local name=$1
    shift
    build=build/release
    local b
    for b in "$@"; do
        [[ -x $build/$b ]] || { echo "$name: $build/$b is missing; run scripts/bench or build $build" >&2; exit 1; }
    done
    # 10,000 agents are 10,000 sockets in each process; the machine allows 20,000 files each.
    ulimit -n 20000
    work=$(mktemp -d "/tmp/pm-$name.XXXXXX")
    pids=()
    trap load_cleanup EXIT
    echo "== machine"
    nproc; grep -m1 'model name' /proc/cpuinfo || true; free -g | head -2; uptime
}

load_cleanup() {
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    [[ -n ${PM_PG_DIR:-} ]] && scripts/pg-throwaway stop --remove "$PM_PG_DIR"
    rm -rf "$work"
}
