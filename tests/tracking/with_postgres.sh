#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server: initdb in a temporary folder owned by
# the postgres user (initdb refuses root), a private port and socket folder, no TCP listener.
# The command sees PLINTH_TEST_POSTGRES_URI. Exits 77 (skipped) when PostgreSQL is absent.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "SKIPPED: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 77
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/plinth-pg.XXXXXX")
chmod 755 "$DIR"
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
PORT=$(( 20000 + RANDOM % 20000 ))
stop() {
  as_pg "'$BIN/pg_ctl' -D '$DIR/data' -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT
as_pg "'$BIN/initdb' -D '$DIR/data' -A trust -U postgres" >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; exit 1; }
as_pg "'$BIN/pg_ctl' -w -D '$DIR/data' -l '$DIR/server.log' -o \"-k '$DIR' -p $PORT -c listen_addresses=''\" start" >/dev/null ||
  { cat "$DIR/server.log" >&2; exit 1; }
as_pg "'$BIN/createdb' -h '$DIR' -p $PORT -U postgres plinth"
export PLINTH_TEST_POSTGRES_URI="postgresql://postgres@/plinth?host=$DIR&port=$PORT"
"$@"
