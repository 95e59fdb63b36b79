#!/usr/bin/env bash
# A local Resync cluster in one command: a throwaway PostgreSQL (initdb in a temporary folder, a free
# loopback port), Resync's schema (applied by the first silo), silo processes with PostgreSQL clustering
# and storage. It runs until Ctrl+C (or SIGTERM), and only then stops the silos it started and the
# database; a silo that dies meanwhile is reported and the rest keep running, so a silo can be killed and
# restarted by hand (the script prints the command). The silos' logs are kept in a folder of their own.
#
# Each silo serves its health endpoints, /metrics and the live dashboard on its HTTP port.
#
#   scripts/local-cluster.sh [SILOS]        (default 3; ports from RESYNC_SILO_PORT=11111, RESYNC_GATEWAY_PORT=30000
#                                            and RESYNC_HTTP_PORT=8080)
set -euo pipefail
cd "$(dirname "$0")/.."
silos=${1:-3}
silo_port=${RESYNC_SILO_PORT:-11111}
gateway_port=${RESYNC_GATEWAY_PORT:-30000}
http_port=${RESYNC_HTTP_PORT:-8080}

dotnet build Silo -c Release -v quiet -nologo >/dev/null
dotnet build Client -c Release -v quiet -nologo >/dev/null
postgres=$(bash scripts/postgres-temp.sh start)
connection=$(echo "$postgres" | sed -n 's/^RESYNC_POSTGRES=//p')
folder=$(echo "$postgres" | sed -n 's/^RESYNC_POSTGRES_DIR=//p')
logs=$(mktemp -d "${TMPDIR:-/tmp}/resync-cluster-logs-XXXXXX")
# A throwaway deployment certificate: the silos and their clients talk mutual TLS, pinned to it.
certificate=$logs/deployment.pfx
dotnet Client/bin/Release/net10.0/Resync.Client.dll certificate create "$certificate" >/dev/null
pids=()
cleanup() {
  status=$?
  trap - INT TERM EXIT
  echo "stopping the silos this script started, then PostgreSQL; logs kept in $logs"
  for pid in "${pids[@]}"; do [ "$pid" != 0 ] && kill -TERM "$pid" 2>/dev/null || true; done
  # A clean stop; a silo that is still shutting down after 15 s is killed.
  for _ in $(seq 1 30); do
    alive=0
    for pid in "${pids[@]}"; do [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do [ "$pid" != 0 ] && kill -KILL "$pid" 2>/dev/null || true; done
  bash scripts/postgres-temp.sh stop "$folder"
  exit "$status"
}
trap cleanup INT TERM EXIT

# The command of silo $1, appending to its log: the script starts each silo with it and prints it for a restart.
silo_command() {
  echo "dotnet $PWD/Silo/bin/Release/net10.0/Resync.Silo.dll --clustering postgres --connection-string \"$connection\" --silo-port $((silo_port + $1)) --gateway-port $((gateway_port + $1)) --http-port $((http_port + $1)) --dashboard --certificate \"$certificate\" >>$logs/silo-$1.log 2>&1"
}

for i in $(seq 0 $((silos - 1))); do
  eval "$(silo_command "$i") &"
  pids+=($!)
done

echo "PostgreSQL: $connection"
echo "$silos silos on ports $silo_port.. (gateways $gateway_port..), pids ${pids[*]}; logs in $logs"
echo "dashboard: http://127.0.0.1:$http_port/dashboard/ (silo 0; silo i at port $http_port+i), health at /health/ready, metrics at /metrics"
echo "certificate: $certificate"
echo "try:      dotnet run --project Client -- --clustering postgres --connection-string \"$connection\" --certificate \"$certificate\" status"
echo "restart silo 1 after a kill:  $(silo_command 1) &"
echo "Ctrl+C to stop"
reported=()
while true; do
  for i in "${!pids[@]}"; do
    if [ -z "${reported[$i]:-}" ] && ! kill -0 "${pids[$i]}" 2>/dev/null; then
      pid=${pids[$i]}
      code=0; wait "$pid" 2>/dev/null || code=$?
      echo "silo $i (pid $pid) exited with code $code; its log: $logs/silo-$i.log; the cluster goes on. To start it again: $(silo_command "$i") &"
      reported[$i]=1
      # Not signalled at the stop: its pid may be another process's by then.
      pids[$i]=0
    fi
  done
  sleep 1
done
