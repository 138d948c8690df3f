#!/usr/bin/env bash
# Why are some journal syncs slow? Runs tallyd under tally-load (as tallyd_load.sh does) while
# perf records, system-wide, every fdatasync/fsync/sync_file_range/fallocate, every block
# request, the journaler's scheduling and ext4's unwritten-extent conversions; then
# bench/sync_trace.py tells, for this tallyd's journal syncs: percentiles, where the time of
# the slow ones went (blocked, waiting for a CPU, running), which other writers had large
# writes at the disk meanwhile, and how many conversions ran on a kernel worker.
#   bench/sync_trace.sh [--build DIR] [--server "tallyd flags"] [--keep DIR] [--slow-ms N] -- [tally-load flags]
# Needs perf and root (tracepoints). Example (issue 13's open loop):
#   bench/sync_trace.sh --build build -- --duration 20 --accounts 100000 --batch 64 --connections 4 --rate 336000
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/tallyd_port.sh
source bench/tallyd_port.sh

build="build"
server_flags=""
keep=""
slow_ms=10
while [[ $# -gt 0 && "$1" != "--" ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --server) server_flags="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --slow-ms) slow_ms="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "${1:-}" == "--" ]] && shift

work="${keep:-$(mktemp -d "${TMPDIR:-/tmp}/sync-trace-XXXXXX")}"
mkdir -p "$work"
data="$work/data"
mkdir -p "$data"
log="$work/tallyd.log"
: >"$log"
# shellcheck disable=SC2086
"$build/net/tallyd" --data-dir "$data" --port 0 --http-port 0 $server_flags 2>"$log" &
server=$!
recorder=""
cleanup() {
  [[ -n "$recorder" ]] && kill -INT "$recorder" 2>/dev/null && wait "$recorder" 2>/dev/null
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
  [[ -n "$keep" ]] || rm -rf "$work"
}
trap cleanup EXIT
port="$(tallyd_port "$log")" || exit 1
perf record -q -o "$work/perf.data" -a \
  -e syscalls:sys_enter_fdatasync -e syscalls:sys_exit_fdatasync \
  -e syscalls:sys_enter_fsync -e syscalls:sys_exit_fsync \
  -e syscalls:sys_enter_sync_file_range -e syscalls:sys_exit_sync_file_range \
  -e syscalls:sys_enter_fallocate -e syscalls:sys_exit_fallocate \
  -e block:block_rq_issue -e block:block_rq_complete \
  -e workqueue:workqueue_execute_start \
  -e sched:sched_switch --filter 'prev_comm == "journaler" || next_comm == "journaler"' \
  -e sched:sched_wakeup --filter 'comm == "journaler"' 2>"$work/perf.log" &
recorder=$!
sleep 1
"$build/tools/load/tally-load" --port "$port" "$@" || true
kill -INT "$recorder" && wait "$recorder" 2>/dev/null || true
recorder=""
perf script -i "$work/perf.data" -F comm,pid,tid,cpu,time,event,trace 2>/dev/null >"$work/perf.txt"
python3 bench/sync_trace.py "$work/perf.txt" "$server" "$slow_ms"
