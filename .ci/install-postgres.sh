#!/usr/bin/env bash
# Installs Debian's PostgreSQL, starts a throwaway cluster on a local port
# for the tests of storage/postgres and prints its DSN (everything else
# goes to stderr). PostgreSQL refuses to run as root: the cluster belongs
# to the postgres user the package creates.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
fi
BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
# The first free local port from 55432 (a cluster left from an earlier run
# keeps its own).
PORT=""
for p in $(seq "${YISHI_PG_PORT:-55432}" 55532); do
  if ! (echo > "/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT="$p"; break; fi
done
[ -n "$PORT" ] || { echo "no free port for PostgreSQL in 55432-55532" >&2; exit 1; }
DIR="$(mktemp -d /tmp/yishi-pg.XXXXXX)"
chown postgres "$DIR"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U yishi --no-sync -E UTF8 >&2
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=on" start >&2
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U yishi yishi_test >&2
echo "postgres://yishi@127.0.0.1:$PORT/yishi_test?sslmode=disable"
