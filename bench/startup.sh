#!/usr/bin/env bash
# Start-up benchmark: how long tallyd takes from its launch to its first answer, and, after a
# restart on a journal of --events events, until both read models are complete.
#
#   bench/startup.sh [--build DIR] [--runs N] [--events N] [--data DIR] [--server "flags"]
#                    [--make "flags"] [--load "flags"]
#
#   empty:   (always) --runs launches on a fresh, empty data directory each: milliseconds to
#            the first answer, each run and the median.
#   journal: (with --events N) a data directory with N events or more, made with tally-load
#            against a tallyd started with --make's flags, then stopped (SIGTERM); then --runs
#            restarts on it: milliseconds to the first answer and until both read models have
#            applied everything recovery found, each run and the medians, with where each
#            started from (the ledger's snapshot, each read model's checkpoint).
#
# The probe is `tally projections --json` (answered at once, whatever the read models' state),
# run back to back from the launch on; its own run time (a few milliseconds, printed as
# "probe" against a running server) is the figures' resolution. Restarts read a journal the
# page cache already holds: a cold start is slower by the disk's read time.
#
# --data DIR keeps the made data directory in DIR (created) and, when DIR already holds a
# journal, uses it as it is instead of making one: make 5 M events once, restart many times.
# --server: flags for every measured tallyd; --make: for the tallyd the journal is made with
# (default: ledger snapshots and read-model checkpoints every 1 M events); --load: tally-load's.
#
# Examples (the figures of issue 13):
#   bench/startup.sh --build build --runs 10
#   bench/startup.sh --build build --runs 5 --events 5000000 --data /tmp/tally-startup-5m
set -euo pipefail
cd "$(dirname "$0")/.."

build="build"
runs=10
events=0
data=""
server_flags=""
make_flags="--snapshot-every-events 1000000 --checkpoint-every-events 1000000"
load_flags="--duration 5 --connections 2 --batch 256 --pipeline 16 --accounts 100000"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --server) server_flags="$2"; shift 2 ;;
    --make) make_flags="$2"; shift 2 ;;
    --load) load_flags="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
tallyd="$build/net/tallyd"
tally="$build/tools/tally/tally"
for program in "$tallyd" "$tally" "$build/tools/load/tally-load"; do
  [[ -x "$program" ]] || { echo "no $program: build it (--build DIR)" >&2; exit 2; }
done

scratch="$(mktemp -d "${TMPDIR:-/tmp}/tallyd-startup-XXXXXX")"
server=""
stop_server() {
  if [[ -n "$server" ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
cleanup() {
  stop_server
  rm -rf "$scratch"
}
trap cleanup EXIT

# A sleep without a process: read's timeout on a pipe nothing is ever written to.
exec {never_written}<> <(:)
pause() {
  read -r -t "$1" -u "$never_written" || true
}

# Microseconds since the epoch, without a process per look (bash 5's EPOCHREALTIME).
now_us() {
  local now="${EPOCHREALTIME/[.,]/}"
  echo "$now"
}

# The median of the numbers on standard input.
median() {
  sort -n | awk '{ value[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    if (NR % 2) { print value[(NR + 1) / 2] } else { print (value[NR / 2] + value[NR / 2 + 1]) / 2 }
  }'
}

milliseconds() {  # microseconds -> milliseconds, one decimal
  awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'
}

# launch DATA LOG [flags...]: starts tallyd in the background (pid in $server) and sets
# $launched to the time it was started.
launch() {
  local directory="$1" log="$2"
  shift 2
  : >"$log"
  launched="$(now_us)"
  # shellcheck disable=SC2086
  "$tallyd" --data-dir "$directory" --port 0 --http-port 0 "$@" $server_flags 2>"$log" &
  server=$!
}

# first_answer LOG: waits for tallyd's port in its log, then probes until an answer comes;
# sets $port, $answered (the time) and $status (the answer: the projection status as JSON).
first_answer() {
  local log="$1"
  port=""
  while [[ -z "$port" ]]; do
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "tallyd exited" >&2; exit 1; }
    port="$(sed -n 's/.*event=listening .* port=\([0-9]*\).*/\1/p' "$log")"
    # Not a busy loop: on 2 cores, spinning would take a core from the start-up it measures.
    [[ -n "$port" ]] || pause 0.001
  done
  until status="$("$tally" --port "$port" --timeout-ms 1000 projections --json 2>/dev/null)"; do
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "tallyd exited" >&2; exit 1; }
  done
  answered="$(now_us)"
}

# Prints "<durable sequence> <lowest applied sequence> <name:checkpoint_sequence:events_applied>..."
# of a projection status.
projection_fields() {
  python3 -c '
import json, sys
status = json.loads(sys.argv[1])
projectors = status["projectors"]
print(status["durable_sequence"], min(p["applied_sequence"] for p in projectors),
      " ".join("%s:%s:%s" % (p["name"], p.get("checkpoint_sequence", 0), p["events_applied"])
               for p in projectors))
' "$1"
}

# The time tally projections itself takes against a running server: the probe's resolution.
probe_time() {
  local started
  started="$(now_us)"
  "$tally" --port "$port" projections --json >/dev/null
  echo $(($(now_us) - started))
}

echo "== empty data directory: launch to first answer, $runs runs"
first_answers=()
for run in $(seq 1 "$runs"); do
  directory="$scratch/empty-$run"
  launch "$directory" "$scratch/empty.log"
  first_answer "$scratch/empty.log"
  elapsed=$((answered - launched))
  first_answers+=("$elapsed")
  printf 'run %2d: first answer %8s ms   (probe %s ms)\n' "$run" "$(milliseconds "$elapsed")" \
    "$(milliseconds "$(probe_time)")"
  stop_server
  rm -rf "$directory"
done
printf 'median: first answer %s ms\n' \
  "$(milliseconds "$(printf '%s\n' "${first_answers[@]}" | median)")"

[[ "$events" -gt 0 ]] || exit 0

directory="${data:-$scratch/journal}"
mkdir -p "$directory"
if [[ -d "$directory/journal" ]]; then
  echo "== journal: using $directory as it is"
else
  echo "== journal: making $events events in $directory (tallyd $make_flags)"
  launch "$directory" "$scratch/make.log" $make_flags
  first_answer "$scratch/make.log"
  durable=0
  while [[ "$durable" -lt "$events" ]]; do
    # shellcheck disable=SC2086
    if ! "$build/tools/load/tally-load" --port "$port" $load_flags >"$scratch/load.out" \
      2>"$scratch/load.err"; then
      cat "$scratch/load.out" "$scratch/load.err" >&2
      exit 1
    fi
    grep -E '^throughput' "$scratch/load.out" || true
    read -r durable _ _ <<<"$(projection_fields "$("$tally" --port "$port" projections --json)")"
    echo "durable sequence: $durable"
  done
  stop_server
fi

echo "== journal: restart to first answer and to complete read models, $runs runs"
to_answer=()
to_complete=()
for run in $(seq 1 "$runs"); do
  launch "$directory" "$scratch/restart.log"
  first_answer "$scratch/restart.log"
  # Complete: both read models have applied all that recovery found (the durable sequence:
  # nothing new is written meanwhile). Looked at every 50 ms.
  while true; do
    read -r durable lowest models <<<"$(projection_fields "$status")"
    [[ "$lowest" -ge "$durable" ]] && break
    pause 0.05
    status="$("$tally" --port "$port" projections --json)"
  done
  complete="$(now_us)"
  to_answer+=("$((answered - launched))")
  to_complete+=("$((complete - launched))")
  # The ledger's part: where recovery started and how long it took.
  recovered="$(sed -n 's/.*event=recovered \(snapshot_sequence=[0-9]*\) \(events_replayed=[0-9]*\).* \(duration_ms=[0-9.]*\).*/\1 \2 \3/p' \
    "$scratch/restart.log")"
  printf 'run %2d: first answer %8s ms, read models complete %8s ms   (sequence %s; %s;' \
    "$run" "$(milliseconds "$((answered - launched))")" \
    "$(milliseconds "$((complete - launched))")" "$durable" "$recovered"
  printf ' model:checkpoint:applied %s)\n' "$models"
  stop_server
done
printf 'median: first answer %s ms, read models complete %s ms\n' \
  "$(milliseconds "$(printf '%s\n' "${to_answer[@]}" | median)")" \
  "$(milliseconds "$(printf '%s\n' "${to_complete[@]}" | median)")"
