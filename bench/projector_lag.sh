#!/usr/bin/env bash
# How far the projectors fall behind under load, and how fast they catch up after it: starts
# tallyd on a fresh temporary data directory, runs tally-load against it, and meanwhile asks
# for the projection status every --every seconds until both projectors have reached the
# durable sequence after the load ended (or --after more seconds passed). Prints one line per
# look: seconds since the load started, the durable sequence, and each projector's lag.
#
#   bench/projector_lag.sh [--build DIR] [--every S] [--after S] [-- tally-load flags]
#
# Examples (the figures in docs/performance.md, "Read side"):
#   bench/projector_lag.sh -- --duration 10 --accounts 100000 --batch 256 --connections 4 --rate 540000
#   bench/projector_lag.sh -- --duration 10 --accounts 100000 --batch 256 --pipeline 16 --connections 4
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/tallyd_port.sh
source bench/tallyd_port.sh

build="build"
every=0.5
after=30
while [[ $# -gt 0 && "$1" != "--" ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --every) every="$2"; shift 2 ;;
    --after) after="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "${1:-}" == "--" ]] && shift

data="$(mktemp -d "${TMPDIR:-/tmp}/tallyd-lag-XXXXXX")"
log="$data.log"
"$build/net/tallyd" --data-dir "$data" --port 0 --http-port 0 2>"$log" &
server=$!
load=""
cleanup() {
  [[ -n "$load" ]] && kill "$load" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data" "$log" "$data.load"
}
trap cleanup EXIT
port="$(tallyd_port "$log")" || exit 1

"$build/tools/load/tally-load" --port "$port" "$@" >"$data.load" 2>&1 &
load=$!
# The load has ended when the durable sequence stops moving (tally-load itself may still be
# running: its reserve check waits for the read models to catch up).
started=$(date +%s.%N)
previous_durable=-1
previous_time="$started"
ended=""
while true; do
  now=$(date +%s.%N)
  status="$("$build/tools/tally/tally" --port "$port" projections --json)"
  line="$(python3 -c '
import json, sys
status = json.loads(sys.argv[1])
lags = " ".join(p["name"] + " " + str(p["lag"]) for p in status["projectors"])
print(status["durable_sequence"], max(p["lag"] for p in status["projectors"]), lags)
' "$status")"
  read -r durable worst lags <<<"$line"
  if [[ -z "$ended" && "$durable" == "$previous_durable" && "$durable" != 0 ]]; then
    ended="$previous_time"
  fi
  printf '%6.1fs  durable %s  lag: %s%s\n' "$(echo "$now - $started" | bc)" "$durable" "$lags" \
    "${ended:+  (load ended)}"
  if [[ -n "$ended" && "$worst" == 0 ]]; then
    printf 'caught up %.1f s after the load ended (at most %s s late: one look)\n' \
      "$(echo "$now - $ended" | bc)" "$every"
    break
  fi
  if [[ -n "$ended" ]] && (( $(echo "$now - $ended > $after" | bc) )); then
    echo "still behind $after s after the load ended" >&2
    exit 1
  fi
  previous_durable="$durable"
  previous_time="$now"
  sleep "$every"
done
wait "$load" || { cat "$data.load" >&2; exit 1; }
load=""
grep -E '^throughput' "$data.load" || true
