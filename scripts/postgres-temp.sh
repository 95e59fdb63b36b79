#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and local clusters: a data folder in a temporary directory, a free
# loopback port, trust authentication, and a database named "resync". RESYNC_POSTGRES_LISTEN=<address> makes it
# listen on that address instead, open to every host that reaches it (the network fault tests run it so, inside a
# network namespace of their own).
#
#   scripts/postgres-temp.sh start        prints RESYNC_POSTGRES=<connection string> and RESYNC_POSTGRES_DIR=<folder>
#   scripts/postgres-temp.sh stop DIR     stops that server and deletes its folder
#
# As root, the server runs as the "postgres" user (PostgreSQL refuses to run as root).
set -euo pipefail

# Debian keeps the server programs out of PATH.
for bin in /usr/lib/postgresql/*/bin; do
  [ -d "$bin" ] && PATH="$PATH:$bin"
done

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    command -v initdb >/dev/null || { echo "error: initdb not found; install PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
      useradd --system --no-create-home postgres
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/resync-pg-XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner initdb --pgdata="$dir/data" --username=postgres --auth=trust --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    listen=${RESYNC_POSTGRES_LISTEN:-127.0.0.1}
    if [ "$listen" != 127.0.0.1 ]; then
      echo "host all all 0.0.0.0/0 trust" >>"$dir/data/pg_hba.conf"
    fi
    port=""
    for candidate in $(seq 54320 54420); do
      if ! (exec 3<>"/dev/tcp/$listen/$candidate") 2>/dev/null; then port=$candidate; break; fi
    done
    [ -n "$port" ] || { echo "error: no free port in 54320-54420" >&2; exit 1; }
    as_owner pg_ctl --pgdata="$dir/data" --log="$dir/postgres.log" --wait --timeout=60 \
      -o "-p $port -k $dir -c listen_addresses=$listen -c fsync=off -c max_connections=200" start >/dev/null \
      || { cat "$dir/postgres.log" >&2; exit 1; }
    as_owner psql -h "$listen" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE resync" >/dev/null
    echo "RESYNC_POSTGRES=Host=$listen;Port=$port;Username=postgres;Database=resync"
    echo "RESYNC_POSTGRES_DIR=$dir"
    ;;
  stop)
    dir="${2:?usage: postgres-temp.sh stop DIR}"
    as_owner pg_ctl --pgdata="$dir/data" --mode=fast --wait stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
