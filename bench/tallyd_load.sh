#!/usr/bin/env bash
# End-to-end benchmark: starts tallyd on a fresh data directory, runs tally-load against it,
# stops tallyd (SIGTERM) and removes the directory. Every figure in docs/performance.md's
# end-to-end section comes from this script.
#   bench/tallyd_load.sh [--build DIR] [--server "tallyd flags"] [--stages] [--http] [--tls]
#       -- [tally-load flags]
# --stages: after the load, print `tally stats`' latency by stage (where the time went).
# --http: the load over HTTP/1.1 (tally-load --http-port, read from tallyd's log line
# event=http_listening): one deposit per request on keep-alive connections.
# --tls: tallyd with a self-signed certificate (openssl, made for the run), tally-load and
# tally verifying it (--tls-ca): the binary protocol over TLS.
# Example: bench/tallyd_load.sh --server "--sync group" -- --duration 10 --batch 64
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/tallyd_port.sh
source bench/tallyd_port.sh

build="build"
server_flags=""
stages=false
http=false
tls=false
while [[ $# -gt 0 && "$1" != "--" ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --server) server_flags="$2"; shift 2 ;;
    --stages) stages=true; shift ;;
    --http) http=true; shift ;;
    --tls) tls=true; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "${1:-}" == "--" ]] && shift

data="$(mktemp -d "${TMPDIR:-/tmp}/tallyd-bench-XXXXXX")"
log="$data.log"
: >"$log"
tls_server=()
tls_client=()
if $tls; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "$data.key.pem" -out "$data.cert.pem" 2>/dev/null
  tls_server=(--tls-cert "$data.cert.pem" --tls-key "$data.key.pem")
  tls_client=(--tls-ca "$data.cert.pem")
fi
# shellcheck disable=SC2086
"$build/net/tallyd" --data-dir "$data" --port 0 --http-port 0 "${tls_server[@]}" $server_flags \
  2>"$log" &
server=$!
cleanup() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data" "$log" "$data.key.pem" "$data.cert.pem"
}
trap cleanup EXIT
port="$(tallyd_port "$log")" || exit 1
load_flags=(--port "$port" "${tls_client[@]}")
if $http; then
  # Logged right after the binary listener's line.
  http_port=""
  for _ in $(seq 1 50); do
    http_port="$(sed -n 's/.*event=http_listening .* port=\([0-9]*\).*/\1/p' "$log")"
    [[ -n "$http_port" ]] && break
    sleep 0.1
  done
  if [[ -z "$http_port" ]]; then
    echo "tallyd logged no event=http_listening (started with --no-http?)" >&2
    cat "$log" >&2
    exit 1
  fi
  load_flags+=(--http-port "$http_port")
fi
"$build/tools/load/tally-load" "${load_flags[@]}" "$@"
if $stages; then
  "$build/tools/tally/tally" --port "$port" "${tls_client[@]}" stats | sed -n '/latency by stage/,$p'
fi
