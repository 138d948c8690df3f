#!/usr/bin/env bash
# Subscription and export figures for docs/performance.md (issue 15), in one run on one tallyd:
#   1. catch-up: one subscriber from sequence 1 over a preloaded journal (events/s);
#   2, 3. with --postgres: tally-export over the preloaded journal (events/s), then its lag
#      behind an open-loop load at --export-rate (how long each write's oldest event waited
#      from its timestamp to the commit, and the most events it was behind at a report);
#   4. live lag: one subscriber beside an open-loop tally-load at --rate, by default half the
#      preload's closed-loop rate (the maximum, measured in the same run): p50/p99/max lag of
#      each batch's last event (arrival minus the event's timestamp), beside the load's own
#      p99 (request sent to durable answer: no event reaches a subscriber before it is durable);
#   5. commands with 16 live subscribers against none, alternating (closed-loop tally-load);
#      then again with the subscribers under SCHED_IDLE (chrt --idle), as if on other hosts:
#      the server's share of their cost (hub, sends, loopback) without their own CPU.
#   bench/subscriptions.sh [--build DIR] [--preload-seconds 5] [--rate N] [--rounds 2]
#       [--postgres] [--export-rate 50000]
# --postgres starts a throwaway PostgreSQL (Debian's, as `nobody` when run as root) with fsync
# off, as the export tests do: the figures are the exporter's and PostgreSQL's CPU, not a disk.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/tallyd_port.sh
source bench/tallyd_port.sh

build="build"
preload_seconds=5
rate=0
rounds=2
postgres=false
export_rate=50000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --preload-seconds) preload_seconds="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --postgres) postgres=true; shift ;;
    --export-rate) export_rate="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

data="$(mktemp -d "${TMPDIR:-/tmp}/tally-subscriptions-XXXXXX")"
chmod 755 "$data"
log="$data/tallyd.log"
"$build/net/tallyd" --data-dir "$data/tally" --port 0 --no-http 2>"$log" &
server=$!
pg_bin=""
cleanup() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [[ -n "$pg_bin" ]]; then
    as_pg "$pg_bin/pg_ctl" -D "$data/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT
as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u nobody -- "$@"; else "$@"; fi
}
port="$(tallyd_port "$log")" || exit 1
load=("$build/tools/load/tally-load" --port "$port" --json)
subscribe=("$build/bench/tally-subscribe-bench" --port "$port")
figure() { python3 -c "import json,sys; d=json.loads(sys.stdin.readline()); print($1)"; }

echo "== preload: ${preload_seconds} s of closed-loop commands"
"${load[@]}" --duration "$preload_seconds" --connections 4 --batch 64 2>/dev/null >"$data/preload.json"
figure '"%d commands, %.0f/s" % (d["commands"], d["commands_per_second"])' <"$data/preload.json"
if [[ "$rate" -eq 0 ]]; then
  rate="$(figure 'int(d["commands_per_second"] / 2)' <"$data/preload.json")"
fi

echo "== 1. catch-up: one subscriber from sequence 1"
for _ in $(seq 1 "$rounds"); do
  "${subscribe[@]}" --from 1 --until-durable --duration 120 |
    figure '"%d events in %.2f s: %.0f events/s" % (d["events"], d["seconds"], d["events_per_second"])'
done

if $postgres; then
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  mkdir -p "$data/pg"
  chown nobody "$data/pg" 2>/dev/null || true
  as_pg "$pg_bin/initdb" -D "$data/pg/data" --auth=trust -U tally --no-sync -E UTF8 >/dev/null
  as_pg "$pg_bin/pg_ctl" -D "$data/pg/data" -w -l "$data/pg/log" \
    -o "-c listen_addresses='' -c unix_socket_directories=$data/pg -c fsync=off" start >/dev/null
  conninfo="host=$data/pg user=tally dbname=postgres"
  exporter=("$build/tools/export/tally-export" --port "$port" --postgres "$conninfo" --json)
  echo "== 2. tally-export: the whole journal into PostgreSQL"
  start="$(date +%s.%N)"
  "${exporter[@]}" --schema catch_up --until-caught-up --progress-ms 100000 2>"$data/export.json"
  end="$(date +%s.%N)"
  tail -1 "$data/export.json" | python3 -c "import json,sys; d=json.loads(sys.stdin.readline()); s=$end-$start; print('%d events in %.2f s: %.0f events/s' % (d['events'], s, d['events']/s))"
  echo "== 3. tally-export following tally-load --rate $export_rate"
  "${exporter[@]}" --schema live --progress-ms 250 2>"$data/live.json" &
  follower=$!
  # It first copies what is there; the load starts once it has caught up.
  for _ in $(seq 1 600); do
    if [[ -s "$data/live.json" ]] && tail -1 "$data/live.json" | grep -q '"lag_events":0,'; then break; fi
    sleep 0.5
  done
  : >"$data/live.json"
  "${load[@]}" --duration 10 --rate "$export_rate" --connections 4 --batch 64 2>/dev/null |
    figure '"   the load: %.0f commands/s" % d["commands_per_second"]'
  sleep 2
  kill -TERM "$follower"
  wait "$follower" || true
  python3 - "$data/live.json" <<'PYTHON'
import json, sys
reports = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
seconds = sorted(report["lag_seconds_max"] for report in reports)
events = sorted(report["lag_events"] for report in reports)
if reports:
    print("   export lag over %d reports (every 250 ms): an event's wait from its timestamp to"
          " its commit: median %.3f s, max %.3f s; events behind at a report: max %d"
          % (len(reports), seconds[len(seconds) // 2], seconds[-1], events[-1]))
PYTHON
fi

echo "== 4. live lag: one subscriber beside tally-load --rate $rate"
"${load[@]}" --duration 10 --rate "$rate" --connections 4 --batch 64 2>/dev/null >"$data/load.json" &
loader=$!
sleep 1
"${subscribe[@]}" --duration 8 |
  figure '"%d events, %.0f/s; lag p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (d["events"], d["events_per_second"], d["lag_ms"]["p50"], d["lag_ms"]["p99"], d["lag_ms"]["max"])'
wait "$loader"
figure '"   the load: %.0f commands/s; its requests p99 %.1f ms (sent to durable answer)" % (d["commands_per_second"], d["latency_ns"]["p99"] / 1e6)' <"$data/load.json"

echo "== 5. closed-loop commands: no subscribers against 16 live ones, alternating"
for _ in $(seq 1 "$rounds"); do
  for priority in normal idle; do
    "${load[@]}" --duration 6 --connections 4 --batch 64 2>/dev/null |
      figure '"   none: %.0f commands/s" % d["commands_per_second"]'
    scheduling=()
    [[ "$priority" = idle ]] && scheduling=(chrt --idle 0)
    "${scheduling[@]}" "${subscribe[@]}" --subscribers 16 --duration 8 >"$data/sixteen.json" &
    subscribers=$!
    sleep 1
    "${load[@]}" --duration 6 --connections 4 --batch 64 2>/dev/null |
      PRIORITY="$priority" figure '"   16 subscribers (%s): %.0f commands/s" % (__import__("os").environ["PRIORITY"], d["commands_per_second"])'
    wait "$subscribers"
    figure '"   (each subscriber %.0f events/s at the slowest, lag p99 %.1f ms)" % (d["slowest_subscriber_events_per_second"], d["lag_ms"]["p99"])' <"$data/sixteen.json"
  done
done

