# Sourced by the bench scripts that start tallyd with --port 0.
#
# tallyd_port LOG: prints the port tallyd listens on once its log (LOG, its standard error)
# says so, waiting up to 30 s; otherwise prints the log to standard error and fails.
tallyd_port() {
  local log="$1" port=""
  for _ in $(seq 1 300); do
    port="$(sed -n 's/.*event=listening .* port=\([0-9]*\).*/\1/p' "$log")"
    if [[ -n "$port" ]]; then
      echo "$port"
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}
