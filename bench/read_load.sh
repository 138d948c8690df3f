#!/usr/bin/env bash
# Queries under command load: what a second client that only reads costs the writers, and what
# the reads get. Each phase starts tallyd on a fresh temporary data directory and stops it after:
#   (a) baseline: one tally-load, commands only, open loop at --rate for --duration seconds;
#   (b) the same command run, with a second tally-load alongside that only reads
#       (--read-weight 1, closed loop, --readers connections of --reader-pipeline queries in
#       flight each). The reader opens its own accounts first and only then does the command run
#       start (its checks would count the reader's openings otherwise). The reader then reads
#       for --duration seconds plus as long as the command run took to open its accounts in
#       (a), less 0.2 s: its figures are all taken while the command run opens its accounts or
#       sends its load, and it stops just before the load ends;
#   (c) with --reader-alone, the reader alone on a fresh tallyd, for comparison.
# Prints commands/s in (a) and (b), the drop in percent, and the reader's queries/s and latency.
# With --keep DIR every tally-load report and tallyd log is kept in DIR; a failed run is printed.
#
#   bench/read_load.sh [options] [-- extra tally-load flags for the command runs]
#
# Options:
#   --build DIR            build directory (default: build)
#   --server "FLAGS"       extra tallyd flags (default: none: group sync, the defaults)
#   --rate N               commands/s of the open-loop command runs (default: 540000); 0: closed
#                          loop (tally-load --pipeline requests in flight), the capacity left
#   --duration S           seconds of each command run (default: 10)
#   --accounts N           accounts the command runs open first (default: 100000)
#   --batch N              commands per request of the command runs (default: 256)
#   --connections N        connections of the command runs (default: 4)
#   --readers N            connections of the reader (default: 2)
#   --reader-pipeline N    queries in flight per reader connection (default: 4)
#   --reader-accounts N    accounts the reader opens and reads (default: 10000)
#   --reader-alone         (c): then the reader alone on a fresh tallyd for --duration seconds
#   --keep DIR             keep every tally-load report and tallyd log in DIR
#
# Example: bench/read_load.sh --duration 15 --rate 540000
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/tallyd_port.sh
source bench/tallyd_port.sh

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

build="build"
server_flags=""
rate=540000
duration=10
accounts=100000
batch=256
connections=4
readers=2
reader_pipeline=4
reader_accounts=10000
keep=""
reader_alone=0
while [[ $# -gt 0 && "$1" != "--" ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --server) server_flags="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --accounts) accounts="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --readers) readers="$2"; shift 2 ;;
    --reader-pipeline) reader_pipeline="$2"; shift 2 ;;
    --reader-accounts) reader_accounts="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --reader-alone) reader_alone=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "read_load.sh: unknown option $1" >&2; usage 2 ;;
  esac
done
[[ "${1:-}" == "--" ]] && shift
extra=("$@")

load="$build/tools/load/tally-load"
tallyd="$build/net/tallyd"
for program in "$load" "$tallyd"; do
  [[ -x "$program" ]] || { echo "read_load.sh: $program is missing; build it first" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/read-load-XXXXXX")"
server=""
reader=""
stop_server() {
  if [[ -n "$server" ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
  rm -rf "$work/data"
}
cleanup() {
  if [[ -n "$reader" ]]; then
    kill -TERM "$reader" 2>/dev/null || true
    wait "$reader" 2>/dev/null || true
  fi
  stop_server
  if [[ -n "$keep" ]]; then
    mkdir -p "$keep"
    cp "$work"/*.txt "$work"/*.log "$keep"/ 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Starts tallyd on a fresh data directory; sets $server and $port.
start_server() {
  local log="$work/tallyd-$1.log"
  : >"$log"
  # shellcheck disable=SC2086
  "$tallyd" --data-dir "$work/data" --port 0 --http-port 0 $server_flags 2>"$log" &
  server=$!
  port="$(tallyd_port "$log")" || exit 1
}

# The number after "key": in a one-line JSON report (a key that occurs once).
json_field() {
  sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" "$1"
}

# A percentile ($2: p50, p99...) of the command requests' latency in milliseconds, from a JSON
# report.
command_latency_ms() {
  sed -n "s/.*\"latency_ns\":{[^}]*\"$2\":\([0-9]*\).*/\1/p" "$1" |
    awk '{ printf "%.2f", $1 / 1e6 }'
}

command_flags=(--duration "$duration" --accounts "$accounts" --batch "$batch"
               --connections "$connections" --rate "$rate" --json "${extra[@]}")

# A command run's report must have passed both checks; prints it and fails otherwise.
check_command_run() {
  local report="$1" status="$2"
  if [[ "$status" != 0 ]] || ! grep -q '"check":"passed"' "$report"; then
    echo "read_load.sh: the command run $report failed (exit $status):" >&2
    cat "$report" "${report%.txt}.log" >&2
    exit 1
  fi
}

echo "read_load.sh: tallyd ${server_flags:-(defaults)}; commands: ${command_flags[*]}"
echo "read_load.sh: reader: --read-weight 1 --connections $readers --pipeline $reader_pipeline" \
     "--accounts $reader_accounts (closed loop)"

# (a) the baseline.
start_server a
status=0
"$load" --port "$port" "${command_flags[@]}" >"$work/a-commands.txt" 2>"$work/a-commands.log" ||
  status=$?
check_command_run "$work/a-commands.txt" "$status"
stop_server
baseline="$(json_field "$work/a-commands.txt" commands_per_second)"
# The reader reads while the command run of (b) opens its accounts (as long as in (a)) and then
# sends its load, and stops a fifth of a second before that load would end: it must not run on
# alone (it answers many times faster then), and the command run's final checks wait for the
# read model to catch up, which is not load.
open_seconds="$(json_field "$work/a-commands.txt" open_seconds)"
reader_duration="$(awk -v duration="$duration" -v open="$open_seconds" \
  'BEGIN { printf "%.1f", duration + open - 0.2 }')"

# Starts the reader in the background ($reader) and returns once it has opened its accounts and
# only reads. Its report goes to $work/$1-reader.txt.
start_reader() {
  "$load" --port "$port" --read-weight 1 --connections "$readers" --pipeline "$reader_pipeline" \
    --accounts "$reader_accounts" --duration "$2" >"$work/$1-reader.txt" 2>"$work/$1-reader.log" &
  reader=$!
  local opened="opening accounts: $reader_accounts / $reader_accounts"
  for _ in $(seq 1 1200); do
    grep -q "$opened" "$work/$1-reader.log" && return 0
    kill -0 "$reader" 2>/dev/null || break
    sleep 0.05
  done
  echo "read_load.sh: the reader did not open its accounts:" >&2
  cat "$work/$1-reader.txt" "$work/$1-reader.log" >&2
  exit 1
}

# Waits for the reader. With a command run alongside, its own totals check cannot pass (the
# command run wrote meanwhile: exit 1), but it must have kept its connections and had every
# query answered.
finish_reader() {
  local reader_status=0
  wait "$reader" || reader_status=$?
  reader=""
  if [[ "$reader_status" -gt 1 ]] || grep -q '^failure:' "$work/$1-reader.txt" ||
     ! grep -q '^query errors: 0; unexpected answers 0' "$work/$1-reader.txt"; then
    echo "read_load.sh: the reader failed (exit $reader_status):" >&2
    cat "$work/$1-reader.txt" >&2
    exit 1
  fi
}

# "12,345 queries/s; ..." and "p50 ... max ..." of a reader's report.
reader_figures() {
  local queries latency
  queries="$(sed -n 's/^queries: //p' "$work/$1-reader.txt")"
  latency="$(sed -n 's/^latency per query (ms): //p' "$work/$1-reader.txt")"
  printf '%s\n    latency (ms): %s\n' "$queries" "$latency"
}

# (b) the same command run with the reader alongside; the reader's openings come first, so the
# command run's checks see only its own commands.
start_server b
start_reader b "$reader_duration"
status=0
"$load" --port "$port" "${command_flags[@]}" >"$work/b-commands.txt" 2>"$work/b-commands.log" ||
  status=$?
finish_reader b
check_command_run "$work/b-commands.txt" "$status"
stop_server
loaded="$(json_field "$work/b-commands.txt" commands_per_second)"

# (c) optional: the reader alone, for comparison.
if [[ "$reader_alone" == 1 ]]; then
  start_server c
  start_reader c "$duration"
  finish_reader c
  stop_server
fi

command_figures() {
  printf '%s commands/s (p50 %s ms, p99 %s ms)' "$(json_field "$1" commands_per_second)" \
    "$(command_latency_ms "$1" p50)" "$(command_latency_ms "$1" p99)"
}
printf '(a) commands only:            %s\n' "$(command_figures "$work/a-commands.txt")"
printf '(b) commands with the reader: %s\n' "$(command_figures "$work/b-commands.txt")"
printf 'drop: %s%%\n' \
  "$(awk -v a="$baseline" -v b="$loaded" 'BEGIN { printf "%.1f", 100 * (a - b) / a }')"
printf '(b) reader, %s s from the command run'"'"'s start (%s s of it openings in (a)): %s\n' \
  "$reader_duration" "$open_seconds" "$(reader_figures b)"
if [[ "$reader_alone" == 1 ]]; then
  printf '(c) reader alone, %s s: %s\n' "$duration" "$(reader_figures c)"
fi
