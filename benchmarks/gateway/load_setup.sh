# Sourced by run_load.sh and run_sync_load.sh: checks that the release binaries they run exist,
# raises the open-file limit, makes a work directory, and on exit stops every process in `pids`
# (newest first), the throwaway PostgreSQL and the work directory (tests/system/lib/daemons.sh).
#   load_setup NAME BINARY...   (binaries relative to build/release)
source "$repo/tests/system/lib/daemons.sh"
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
    make_work_dir "$name"
    trap stop_daemons_and_postgres EXIT
    echo "== machine"
    nproc; grep -m1 'model name' /proc/cpuinfo || true; free -g | head -2; uptime
}
