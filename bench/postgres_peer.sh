#!/usr/bin/env bash
# The Postgres event store peer: the design of the event-sourced banks Tally's users come from
# (a NestJS core-banking service, CQRS banks), measured on this machine so that Tally's targets
# against "Postgres" have a figure taken beside tallyd's. A deposit is ONE transaction that
#   1. reads the account's current version (SELECT ... FOR UPDATE on the `accounts` projection),
#   2. appends an event row to `events` (stream_id, version, type, payload jsonb, created_at;
#      primary key (stream_id, version)),
#   3. updates the account's balance and version in `accounts`,
# committed durably (fsync on, synchronous_commit on: the defaults, set explicitly). 1,000
# accounts are made beforehand; each transaction picks one at random.
#
#   bench/postgres_peer.sh [--clients N] [--seconds S] [--keep-dir DIR]
#
#   --clients N     pgbench clients, one thread each (-c N -j N); default 1
#   --seconds S     length of the run (-T S); default 20
#   --keep-dir DIR  make the scratch directory (database and socket) inside DIR, created if
#                   missing and kept, instead of in ${TMPDIR:-/tmp}: put DIR on the disk
#                   tallyd's data directory is on, so both pay the same syncs
#   PG_BIN          environment: PostgreSQL's programs (default /usr/lib/postgresql/15/bin)
#
# Starts its own scratch server (initdb, pg_ctl) listening only on a Unix socket in the scratch
# directory, runs pgbench (-n -M prepared, the transaction below) over it, then stops the
# server and removes the scratch directory, on any exit. As root, the server runs as the
# `postgres` user (else `nobody`): initdb and postgres refuse to run as root.
# Prints the server's durability settings, pgbench's report (tps, latency average, failures),
# a check that every transaction wrote one event, and last a line other scripts can grep, with
# pgbench's figures as it printed them:
#   postgres_peer clients=1 tps=861.983364 latency_avg_ms=1.160
# Example: bench/postgres_peer.sh --clients 4 --seconds 20 --keep-dir /var/tmp/bench
set -euo pipefail
cd "$(dirname "$0")/.."

readonly accounts=1000
readonly port=54329 # names the socket file only: the server listens on no TCP port
readonly database=bank
readonly role=bench
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"

clients=1
seconds=20
keep_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --keep-dir) keep_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$clients" =~ ^[1-9][0-9]*$ ]] || { echo "--clients: a positive integer" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "--seconds: a positive integer" >&2; exit 2; }
for program in initdb pg_ctl pgbench psql; do
  [[ -x "$pg_bin/$program" ]] || { echo "no $pg_bin/$program: set PG_BIN" >&2; exit 2; }
done

# initdb and postgres refuse root: as root, the server side runs as an unprivileged user.
server_user=""
if [[ "$(id -u)" -eq 0 ]]; then
  if id postgres >/dev/null 2>&1; then server_user=postgres; else server_user=nobody; fi
fi

# as_server COMMAND...: runs COMMAND as the server's user, from the scratch directory (that
# user may not be allowed into the caller's working directory).
as_server() {
  if [[ -n "$server_user" ]]; then
    (cd "$scratch" && runuser -u "$server_user" -- "$@")
  else
    (cd "$scratch" && "$@")
  fi
}

parent="${keep_dir:-${TMPDIR:-/tmp}}"
mkdir -p "$parent"
scratch="$(mktemp -d "$(cd "$parent" && pwd)/postgres-peer-XXXXXX")"
data="$scratch/data"
log="$scratch/server.log"        # written by the server's user
initdb_log="$scratch/initdb.log" # written by this shell
pgbench_pid=""

# Ends pgbench if it is running, stops the server if it got as far as starting (immediate: the
# data is thrown away, so a shutdown checkpoint would only be writes for nothing), then removes
# the scratch directory.
cleanup() {
  local pid
  if [[ -n "$pgbench_pid" ]]; then
    kill -TERM "$pgbench_pid" 2>/dev/null || true
    wait "$pgbench_pid" 2>/dev/null || true
  fi
  if [[ -f "$data/postmaster.pid" ]]; then
    if ! as_server "$pg_bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
      # pg_ctl could not stop it: kill this run's postmaster, by the pid it wrote.
      pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
      if [[ "$pid" =~ ^[0-9]+$ ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
# Ctrl-C or kill: leave through the EXIT trap, so the server is stopped there too.
trap 'exit 130' INT
trap 'exit 143' TERM

# fail MESSAGE: prints initdb's and the server's logs (where their reasons are) and exits.
fail() {
  local file
  for file in "$initdb_log" "$log"; do
    if [[ -s "$file" ]]; then tail -n 20 "$file" >&2; fi
  done
  echo "postgres_peer: $1" >&2
  exit 1
}

# The socket's path must fit in sun_path (107 bytes): a deep --keep-dir can exceed it.
check_socket_path() {
  local socket="$scratch/.s.PGSQL.$port"
  [[ ${#socket} -le 107 ]] || fail "socket path too long (${#socket} > 107 bytes): $socket"
}

# Makes the cluster as the server's user, with the durability settings spelt out: the figure
# is only a peer if each commit waits for its WAL to reach the disk, as the banks' do.
init_cluster() {
  if [[ -n "$server_user" ]]; then
    chown "$server_user": "$scratch"
    as_server test -w "$scratch" ||
      fail "user $server_user cannot write $scratch: pick a --keep-dir it can reach"
  fi
  as_server "$pg_bin/initdb" -D "$data" --username="$role" --auth=trust --encoding=UTF8 \
    --locale=C >"$initdb_log" 2>&1 || fail "initdb failed"
  cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$scratch'
port = $port
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
}

start_server() {
  as_server "$pg_bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null ||
    fail "the server did not start"
}

# psql_run ARGS...: psql against the scratch server, stopping at the first error.
psql_run() {
  "$pg_bin/psql" -h "$scratch" -p "$port" -U "$role" -X -q -v ON_ERROR_STOP=1 "$@"
}

# The event store and its projection, and $accounts accounts at version 0.
make_schema() {
  psql_run -d postgres -c "CREATE DATABASE $database"
  psql_run -d "$database" <<EOF
CREATE TABLE events (
  stream_id  text        NOT NULL,
  version    bigint      NOT NULL,
  type       text        NOT NULL,
  payload    jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, version)
);
CREATE TABLE accounts (
  stream_id text   PRIMARY KEY,
  balance   bigint NOT NULL,
  version   bigint NOT NULL
);
INSERT INTO accounts SELECT 'account-' || i, 0, 0 FROM generate_series(1, $accounts) AS i;
VACUUM ANALYZE accounts;
EOF
}

# The deposit. FOR UPDATE: two clients on one account would otherwise both read version v and
# one would fail on the primary key with v + 1, which pgbench cannot retry (it retries only
# serialization failures and deadlocks); the row lock is how such services serialize a stream.
write_transaction() {
  cat >"$scratch/deposit.sql" <<EOF
\\set id random(1, $accounts)
\\set amount random(1, 100000)
BEGIN;
SELECT version FROM accounts WHERE stream_id = 'account-' || :id FOR UPDATE \\gset
INSERT INTO events (stream_id, version, type, payload)
  VALUES ('account-' || :id, :version + 1, 'MoneyDeposited',
          jsonb_build_object('amount', :amount::bigint, 'currency', 'EUR'::text));
UPDATE accounts SET balance = balance + :amount, version = :version + 1
  WHERE stream_id = 'account-' || :id;
COMMIT;
EOF
}

print_settings() {
  psql_run -d "$database" -At -F ' ' -c "SELECT 'server: PostgreSQL ' ||
    current_setting('server_version') || ', fsync=' || current_setting('fsync') ||
    ' synchronous_commit=' || current_setting('synchronous_commit') ||
    ' wal_sync_method=' || current_setting('wal_sync_method')"
  echo "data directory: $data ($(df -P "$data" | awk 'NR == 2 { print $1 }'))"
}

# In the background with a wait: a signal to this script alone (kill, timeout) is then acted
# on at once, not after the run's --seconds; cleanup ends pgbench.
run_pgbench() {
  "$pg_bin/pgbench" -h "$scratch" -p "$port" -U "$role" -n -M prepared -c "$clients" \
    -j "$clients" -T "$seconds" -f "$scratch/deposit.sql" "$database" >"$scratch/pgbench.out" \
    2>"$scratch/pgbench.err" &
  pgbench_pid=$!
  if ! wait "$pgbench_pid"; then
    pgbench_pid=""
    cat "$scratch/pgbench.out" "$scratch/pgbench.err" >&2
    fail "pgbench failed"
  fi
  pgbench_pid=""
  cat "$scratch/pgbench.out"
}

# Every committed deposit appended one event and moved its account's version by one.
check_events() {
  local events versions
  read -r events versions < <(psql_run -d "$database" -At -F ' ' -c \
    "SELECT (SELECT count(*) FROM events), (SELECT sum(version) FROM accounts)")
  echo "events: $events (sum of account versions: $versions)"
  [[ "$events" == "$versions" ]] || fail "events and account versions disagree"
}

summary() {
  local tps latency
  tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$scratch/pgbench.out")"
  latency="$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$scratch/pgbench.out")"
  [[ -n "$tps" && -n "$latency" ]] || fail "no tps or latency average in pgbench's report"
  echo "postgres_peer clients=$clients tps=$tps latency_avg_ms=$latency"
}

check_socket_path
init_cluster
start_server
make_schema
write_transaction
print_settings
run_pgbench
check_events
summary
