#!/usr/bin/env bash
# A local Resync cluster in one command: a throwaway PostgreSQL (initdb in a temporary folder, a free
# loopback port), Resync's schema (applied by the first silo), three silo processes with PostgreSQL
# clustering and storage. Ctrl+C stops all of it and deletes the database folder.
#
#   scripts/local-cluster.sh [SILOS]        (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
silos=${1:-3}

dotnet build Silo -c Release -v quiet -nologo >/dev/null
postgres=$(bash scripts/postgres-temp.sh start)
connection=$(echo "$postgres" | sed -n 's/^RESYNC_POSTGRES=//p')
folder=$(echo "$postgres" | sed -n 's/^RESYNC_POSTGRES_DIR=//p')
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping silos and PostgreSQL"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # A clean stop; a silo that is still shutting down after 15 s is killed.
  for _ in $(seq 1 30); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  bash scripts/postgres-temp.sh stop "$folder"
}
trap cleanup INT TERM EXIT

for i in $(seq 0 $((silos - 1))); do
  dotnet Silo/bin/Release/net10.0/Resync.Silo.dll --clustering postgres --connection-string "$connection" \
    --silo-port $((11111 + i)) --gateway-port $((30000 + i)) >"$folder/silo-$i.log" 2>&1 &
  pids+=($!)
done

echo "PostgreSQL: $connection"
echo "$silos silos on ports 11111.. (gateways 30000..); logs in $folder"
echo "try:  dotnet run --project Client -- --clustering postgres --connection-string \"$connection\" status"
echo "Ctrl+C to stop"
wait
