#!/usr/bin/env bash
# corosync 3's sync phase on this machine, for the benchmark to report beside Resync's in the same run.
#
#   scripts/corosync/side-by-side.sh [--runs R]      (R defaults to 5; root, Linux)
#
# Three corosync nodes on one machine, as /work/shared/COROSYNC.md describes: each in its own mount and UTS
# namespace (hostname nI, a private /run, an overlay on /etc that adds /etc/libqb/force-filesystem-sockets,
# its own /tmp and a private /dev/shm), knet on 127.0.0.1..3, token 300, token_coefficient 0, knet pings
# every 200 ms with a 500 ms timeout. logtime.c, preloaded, stamps on CLOCK_MONOTONIC the log messages that
# bound a sync phase; the same program stamps the spawn and the signals, on the same clock.
#
# After a warm-up (n1, n2 settle; n3 joins and stops), each of R runs: n3 joins (spawned while n1 and n2
# are settled), n3 is killed with SIGKILL (then restarted, settled, unmeasured), n3 is stopped with SIGTERM.
# For each event, per node that is a member afterwards: the sync phase, "A new membership (...) was formed"
# to "Completed service synchronization"; the run's figure is the max over those nodes ("sync_of_nodes").
# The whole time is the spawn or the signal to the last of those nodes' "Completed". span_ms is the
# cluster-wide span of the same sync: the earliest node's "formed" to the last node's "Completed".
#
# Prints ONE JSON object on standard output:
#   {"version":"3.1.7","nodes":3,"runs":R,"sync_of_nodes":"max",
#    "join":{"sync_ms":[...],"whole_ms":[...],"span_ms":[...]},"kill":{...},"stop":{...}}
# or, when it cannot measure (no corosync and no install, no namespaces, a node that does not settle within
# 20 s, ...), {"skipped":"<why>"}, and exits 0 either way. Everything else goes to standard error. Every
# corosync it started is killed and its folder removed on any exit; the nodes also die with this script
# (parent-death signal), should it be killed outright.
set -euo pipefail
set -o errtrace

exec 3>&1 1>&2 # standard output is for the one JSON object (fd 3); anything else goes to standard error

RUNS=5
SETTLE_SECONDS=20
QUIET_SECONDS=0.4 # after a settle, before the next event: lets the last sync's traffic and logging drain
NODES=3
PORT=25405 # knet's UDP port on 127.0.0.1..3 (the first free from here); not corosync's 5405, not to meet a real one

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=""
created_policy=""
printed=""
declare -a PIDS=()

log() { printf '[corosync side-by-side] %s\n' "$*" >&2; }

emit() {
  [ -n "$printed" ] && return 0
  printed=1
  printf '%s\n' "$1" >&3
}

skip() {
  # In a subshell (a command substitution), only fail: the script itself then reports it, once.
  [ "$BASHPID" = "$$" ] || exit 1
  local why=${1//\\/ }
  why=${why//\"/\'}
  why=$(printf '%s' "$why" | tr '\n\r\t' '   ')
  log "skipped: $why"
  emit "{\"skipped\":\"$why\"}"
  exit 0
}

# On any exit. A failure that no trap saw (set -u's, say) still gets its one JSON object, and exit status 0.
cleanup() {
  local status=$? pid
  trap - ERR
  if [ -z "$printed" ]; then
    log "stopped unexpectedly, exit status $status"
    emit "{\"skipped\":\"side-by-side.sh stopped unexpectedly with exit status $status (see its standard error)\"}"
  fi
  for pid in "${PIDS[@]}"; do
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      alive "$pid" || break
      sleep 0.1
    done
  done
  if [ -n "$work" ] && [ -d "$work" ]; then
    rm -rf --one-file-system "$work" || true
  fi
  if [ -n "$created_policy" ]; then
    rm -f /usr/sbin/policy-rc.d || true
  fi
  exit 0
}

# Whether process $1 runs: not gone, and not a zombie that nobody reaped yet.
alive() {
  local _pid _comm state
  [ -n "$1" ] || return 1
  read -r _pid _comm state _ 2>/dev/null </proc/"$1"/stat || return 1
  [ "$state" != Z ]
}

trap 'skip "side-by-side.sh failed at line $LINENO (see its standard error)"' ERR
trap 'cleanup' EXIT
trap 'skip "interrupted"' INT TERM

while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=${2:-}; shift 2 || skip "--runs needs a number" ;;
    --runs=*) RUNS=${1#--runs=}; shift ;;
    *) skip "unknown argument $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || skip "--runs needs a positive whole number, not $RUNS"

[ "$(uname -s)" = Linux ] || skip "corosync's side-by-side needs Linux"
[ "$(id -u)" = 0 ] || skip "corosync's side-by-side needs root (mount namespaces, overlay and tmpfs mounts)"

# ---- install --------------------------------------------------------------------------------------------

install_packages() {
  command -v apt-get >/dev/null || skip "corosync is not installed and there is no apt-get to install it"
  # The package enables corosync.service; nothing may start it. Debian's hook: a policy-rc.d saying 101.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  log "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >&2 || skip "apt-get update failed"
  timeout 600 apt-get install -y -qq --no-install-recommends "$@" >&2 || skip "apt-get install $* failed"
  if [ -n "$created_policy" ]; then
    rm -f /usr/sbin/policy-rc.d
    created_policy=""
  fi
}

missing=()
command -v corosync >/dev/null || missing+=(corosync libqb-dev)
[ -e /usr/include/qb/qblog.h ] || [[ " ${missing[*]} " == *" libqb-dev "* ]] || missing+=(libqb-dev)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
[ ${#missing[@]} -eq 0 ] || install_packages "${missing[@]}"
for tool in corosync corosync-quorumtool gcc unshare nsenter setpriv timeout mount hostname; do
  command -v "$tool" >/dev/null || skip "$tool is missing"
done
version=$(corosync -v 2>/dev/null | sed -n "s/.*version '\([^']*\)'.*/\1/p" | head -n1)
[ -n "$version" ] || skip "corosync -v did not say its version"
log "corosync $version"

# ---- shim, folders, configuration -----------------------------------------------------------------------

# Not under /tmp: each node binds its own folder over /tmp, and must still see its configuration and the shim.
# A run killed outright (SIGKILL: no trap) leaves its folder behind; its nodes died with it. Remove such.
for stale in /var/tmp/resync-corosync.*; do
  [ -f "$stale/owner" ] || continue
  owner=$(cat "$stale/owner" 2>/dev/null || true)
  if [[ $owner =~ ^[0-9]+$ ]] && ! kill -0 "$owner" 2>/dev/null; then
    log "removing $stale, left by a run that was killed"
    rm -rf --one-file-system "$stale" || true
  fi
done
if command -v ss >/dev/null; then
  while [ -n "$(ss -Hlun "sport = :$PORT" 2>/dev/null)" ]; do
    PORT=$((PORT + 1))
    [ "$PORT" -lt 25505 ] || skip "no free UDP port in 25405-25504 for knet"
  done
fi
work=$(mktemp -d /var/tmp/resync-corosync.XXXXXX)
echo $$ >"$work/owner"
gcc -O2 -Wall -shared -fPIC -o "$work/liblogtime.so" "$here/logtime.c" -ldl >&2 || skip "the logtime shim did not compile"
gcc -O2 -Wall -DLOGTIME_TOOL -o "$work/logtime" "$here/logtime.c" >&2 || skip "the logtime helper did not compile"

for i in $(seq 1 $NODES); do
  d=$work/n$i
  mkdir -p "$d/run" "$d/tmp" "$d/state" "$d/etcov"
  chmod 1777 "$d/tmp"
  {
    cat <<EOF
totem {
  version: 2
  cluster_name: resyncbench
  transport: knet
  crypto_cipher: none
  crypto_hash: none
  token: 300
  token_coefficient: 0
  interface {
    linknumber: 0
    knet_ping_interval: 200
    knet_ping_timeout: 500
    mcastport: $PORT
  }
}
nodelist {
EOF
    for j in $(seq 1 $NODES); do
      printf '  node {\n    ring0_addr: 127.0.0.%d\n    name: n%d\n    nodeid: %d\n  }\n' "$j" "$j" "$j"
    done
    cat <<EOF
}
quorum {
  provider: corosync_votequorum
}
logging {
  to_logfile: yes
  logfile: $d/corosync.log
  to_stderr: no
  to_syslog: no
  timestamp: hires
  debug: on
}
system {
  state_dir: $d/state
  move_to_root_cgroup: no
}
EOF
  } >"$d/corosync.conf"
done

# The node's own namespaces, then corosync in the foreground with the shim. It keeps this script's pid as
# its parent, with SIGKILL as its parent-death signal.
NODE_SETUP='set -e
hostname "n$1"
mount --bind "$2/run" /run
mount -t tmpfs -o size=8m tmpfs "$2/etcov"
mkdir -p "$2/etcov/upper/libqb" "$2/etcov/work"
: >"$2/etcov/upper/libqb/force-filesystem-sockets"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$2/etcov/upper,workdir=$2/etcov/work" /etc
mount --bind "$2/tmp" /tmp
mount -t tmpfs -o size=128m tmpfs /dev/shm
[ "${4:-}" = probe ] && exit 0
exec env LD_PRELOAD="$3" LOGTIME_FILE="$2/logtime.txt" corosync -f -c "$2/corosync.conf"'

# The same namespaces and mounts once, without corosync, to say plainly when this machine does not allow them.
if ! probe=$(unshare -m -u --propagation private -- bash -c "$NODE_SETUP" node 1 "$work/n1" "" probe 2>&1 3>&-); then
  skip "this machine does not allow a node's private namespaces and mounts (unshare -m -u, bind, tmpfs and overlay mounts): $(tail -n 1 <<<"$probe")"
fi

# Spawns node $1; prints nothing; sets PIDS[$1].
spawn() {
  local i=$1 d=$work/n$1
  setpriv --pdeathsig KILL -- unshare -m -u --propagation private -- \
    bash -c "$NODE_SETUP" node "$i" "$d" "$work/liblogtime.so" >>"$d/stdout.log" 2>&1 3>&- &
  PIDS[$i]=$!
  disown "${PIDS[$i]}" # bash still reaps it; no "Killed" notice on a SIGKILL
}

now_ns() { local t; t=$("$work/logtime" now); echo "${t/./}"; }

# ---- reading the stamps ---------------------------------------------------------------------------------

# For node $1, after monotonic time $2 (ns): sets LAST_FORMED and LAST_COMPLETED (ns, 0 if none), the last
# "Completed" after $2 and the last "formed" before it; PENDING=1 if a membership formed after that "Completed"
# (a sync under way). Bash builtins only: it runs every 50 ms while the nodes sync.
read_node() {
  local file=$work/n$1/logtime.txt ts _pid rest t formed=0
  LAST_FORMED=0
  LAST_COMPLETED=0
  PENDING=""
  [ -f "$file" ] || return 0
  while read -r ts _pid rest; do
    t=${ts/./}
    [[ $t =~ ^[0-9]+$ ]] || continue
    case $rest in
      "A new membership ("*) formed=$t; PENDING=1 ;;
      "Completed service synchronization"*)
        PENDING=""
        if [ "$t" -gt "$2" ]; then LAST_COMPLETED=$t; LAST_FORMED=$formed; fi ;;
    esac
  done <"$file"
}

quorate_with() { # node, votes
  local out
  out=$(timeout 3 nsenter -t "${PIDS[$1]}" -m -u corosync-quorumtool -s 2>&1) || true
  grep -Eq '^Quorate: +Yes' <<<"$out" && grep -Eq "^Total votes: +$2\$" <<<"$out"
}

describe_nodes() {
  local i
  for i in "$@"; do
    log "n$i (pid ${PIDS[$i]:-none}) stamps:"
    tail -n 8 "$work/n$i/logtime.txt" 2>/dev/null | sed 's/^/    /' >&2 || true
    log "n$i output:"
    tail -n 5 "$work/n$i/stdout.log" 2>/dev/null | sed 's/^/    /' >&2 || true
  done
}

# Waits, bounded, until every node in "$@" has completed a sync after $T0 (ns), has no membership newer
# than it, and says it is quorate with as many votes as there are such nodes. Sets SYNC_MS (max over the
# nodes), WHOLE_MS and SPAN_MS; fails with a skip naming $WHAT otherwise.
settle() {
  local nodes=("$@") deadline i all max_sync=0 last=0 first=0 s
  deadline=$(($(now_ns) + SETTLE_SECONDS * 1000000000))
  while true; do
    all=1
    for i in "${nodes[@]}"; do
      if ! alive "${PIDS[$i]:-}"; then
        describe_nodes "${nodes[@]}"
        skip "corosync node n$i exited during $WHAT (see standard error for its output)"
      fi
    done
    for i in "${nodes[@]}"; do
      read_node "$i" "$T0"
      if [ "$LAST_COMPLETED" -eq 0 ] || [ "$LAST_FORMED" -eq 0 ] || [ -n "$PENDING" ]; then all=""; break; fi
    done
    if [ -n "$all" ]; then
      for i in "${nodes[@]}"; do
        quorate_with "$i" "${#nodes[@]}" || { all=""; break; }
      done
    fi
    if [ -n "$all" ]; then
      break
    fi
    if [ "$(now_ns)" -gt "$deadline" ]; then
      describe_nodes "${nodes[@]}"
      skip "corosync nodes ${nodes[*]/#/n} did not settle within $SETTLE_SECONDS s during $WHAT"
    fi
    sleep 0.05
  done
  # Read once more: the stamps are final now.
  DETAIL=""
  for i in "${nodes[@]}"; do
    read_node "$i" "$T0"
    s=$((LAST_COMPLETED - LAST_FORMED))
    DETAIL+="${DETAIL:+, }n$i $(ms "$s") (formed +$(ms $((LAST_FORMED - T0))))"
    [ "$s" -gt "$max_sync" ] && max_sync=$s
    [ "$LAST_COMPLETED" -gt "$last" ] && last=$LAST_COMPLETED
    { [ "$first" -eq 0 ] || [ "$LAST_FORMED" -lt "$first" ]; } && first=$LAST_FORMED
  done
  SYNC_MS=$(ms "$max_sync")
  WHOLE_MS=$(ms $((last - T0)))
  SPAN_MS=$(ms $((last - first)))
}

ms() { local us=$(($1 / 1000)); printf '%d.%03d' $((us / 1000)) $((us % 1000)); }

quiet() { sleep "$QUIET_SECONDS"; }

# Waits, bounded, for node $1 to exit.
await_exit() {
  local i=$1 n
  for n in $(seq 1 200); do
    alive "${PIDS[$i]}" || break
    sleep 0.05
  done
  alive "${PIDS[$i]}" && skip "corosync node n$i did not exit within 10 s of $2"
  PIDS[$i]=""
}

# ---- the events -----------------------------------------------------------------------------------------

declare -A SYNC WHOLE SPAN

record() { # event
  SYNC[$1]+="${SYNC[$1]:+,}$SYNC_MS"
  WHOLE[$1]+="${WHOLE[$1]:+,}$WHOLE_MS"
  SPAN[$1]+="${SPAN[$1]:+,}$SPAN_MS"
  log "  $1: sync $SYNC_MS ms (max over nodes), whole $WHOLE_MS ms, span $SPAN_MS ms; per node, ms: $DETAIL"
}

join_n3() {
  T0=$(now_ns)
  spawn 3
  WHAT="n3's join"
  settle 1 2 3
}

# signal_n3 NUMBER NAME: signals node n3 and waits until n1 and n2 settle without it and n3 is gone.
signal_n3() {
  local t
  t=$("$work/logtime" kill "$1" "${PIDS[3]}") || skip "could not $2 corosync node n3"
  T0=${t/./}
  WHAT="n3's $2"
  settle 1 2
  await_exit 3 "a $2"
}

kill_n3() { signal_n3 9 SIGKILL; }

stop_n3() { signal_n3 15 SIGTERM; }

log "work folder $work; starting n1 and n2"
T0=$(now_ns)
spawn 1
spawn 2
WHAT="n1 and n2's start"
settle 1 2
quiet

log "warm-up: n3 joins and stops"
join_n3
quiet
stop_n3
quiet

for run in $(seq 1 "$RUNS"); do
  log "run $run of $RUNS"
  join_n3
  record join
  quiet
  kill_n3
  record kill
  quiet
  join_n3 # unmeasured: n3 back for the clean stop
  quiet
  stop_n3
  record stop
  quiet
done

event_json() { printf '"%s":{"sync_ms":[%s],"whole_ms":[%s],"span_ms":[%s]}' "$1" "${SYNC[$1]}" "${WHOLE[$1]}" "${SPAN[$1]}"; }
emit "{\"version\":\"$version\",\"nodes\":$NODES,\"runs\":$RUNS,\"sync_of_nodes\":\"max\",$(event_json join),$(event_json kill),$(event_json stop)}"
