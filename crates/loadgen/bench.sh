#!/usr/bin/env bash
# bench.sh [OUT_DIR]: the whole comparison on this machine, floor and Livedesk in the same run.
# Servers run pinned to CPU 0 (taskset -c 0), the load generator to CPU 1, on loopback.
# Results: one JSON file per run in OUT_DIR (default target/bench/<time>), summary.md there.
#
#   QUICK=1        seconds and small counts: a smoke run, not a benchmark (about 2 minutes)
#   PG_URL=...     also run on PostgreSQL (a database the bench may fill); by default a local
#                  server answering pg_isready on 127.0.0.1:5432 is used when there is one
#   NO_PG=1        skip PostgreSQL
#   PEERS=1        also run the peers of ../shared/bench (Socket.IO, ejabberd, Prosody; setup.sh, run-suite.sh)
#   PEERS_ONLY=1   run only those peers (and our floor in their protocol), into OUT_DIR
#   FRESH=1        make the fixtures again (they are cached under target/bench/state)
#   IDLE_MAX=N     the large idle hold (default 50000 sockets; cut to the open-file limit)
#   LD_BIN=PATH    use this livedesk binary instead of building one
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-$root/target/bench/$(date +%Y%m%d-%H%M%S)}
state=$root/target/bench/state${QUICK:+-quick}
mkdir -p "$out" "$state"
out=$(cd "$out" && pwd)  # absolute: the peers' scripts run from their own directory
[ -n "${FRESH:-}" ] && rm -rf "$state" && mkdir -p "$state"

if [ -n "${LD_BIN:-}" ]; then
  cargo build --release -q -p livedesk-loadgen
  LD=$LD_BIN
else
  cargo build --release -q -p livedesk -p livedesk-loadgen
  LD=$root/target/release/livedesk
fi
LG=$root/target/release/livedesk-loadgen
FLOOR=$root/target/release/livedesk-floor
LD_PORT=${LD_PORT:-18080}
FLOOR_PORT=${FLOOR_PORT:-13000}
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
export LIVEDESK_LIMITS__LOGIN=1000000/s LIVEDESK_LIMITS__MESSAGES=1000000/s
export LIVEDESK_LIMITS__WIDGET_SESSIONS=1000000/s LIVEDESK_LOG_FORMAT=text
export LIVEDESK_LIMITS__CONVERSATIONS=1000000/s
unset LIVEDESK_CONFIG

if [ -n "${QUICK:-}" ]; then
  ROOMS=5 SIZE=4 RATE=200 DUR=3 WARM=1 BURST=100 IDLE=200 IDLE_BIG=500 STORM_ROOMS=5 STORM_SIZE=10
  STORM_RATE=50 SENDERS=8 WINDOW=8 REPEAT=2 SETUP_ROOMS=6 AGENTS=3 IDLE_VISITORS=50 CHAT_RATE=50
else
  ROOMS=50 SIZE=10 RATE=4000 DUR=10 WARM=2 BURST=2000 IDLE=2000 IDLE_BIG=${IDLE_MAX:-50000}
  STORM_ROOMS=100 STORM_SIZE=100 STORM_RATE=200 SENDERS=64 WINDOW=16 REPEAT=5 SETUP_ROOMS=100
  AGENTS=9 IDLE_VISITORS=2000 CHAT_RATE=1000
fi

limit=$(ulimit -n)
if [ "$IDLE_BIG" -gt "$((limit - 1000))" ]; then
  echo "note: the open-file limit is $limit: the large idle hold is cut to $((limit - 1000)) sockets" >&2
  IDLE_BIG=$((limit - 1000))
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on port $1" >&2; return 1; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
lg() { taskset -c 1 "$LG" "$@"; }
run() { local name=$1; shift; echo "== $name" >&2; lg run --label "$name" --out "$out/$name.json" "$@" > /dev/null; sleep 2; }

start_floor() {
  taskset -c 0 "$FLOOR" --listen "127.0.0.1:$FLOOR_PORT" > "$out/floor.log" 2>&1 &
  SRV=$!; pids+=("$SRV"); wait_port "$FLOOR_PORT"
}
# start_livedesk DATA_DIR [DATABASE_URL]
start_livedesk() {
  local db=()
  [ -n "${2:-}" ] && db=(--database-url "$2")
  taskset -c 0 "$LD" serve --listen "127.0.0.1:$LD_PORT" --data-dir "$1" "${db[@]}" >> "$out/livedesk.log" 2>&1 &
  SRV=$!; pids+=("$SRV"); wait_port "$LD_PORT"
}
# fixture NAME DATA_DIR [DATABASE_URL]: made once, then cached with its database
fixture() {
  local f=$state/$1.json db=()
  [ -n "${3:-}" ] && db=(--database-url "$3")
  if [ ! -s "$f" ]; then
    echo "== setup $1" >&2
    "$LG" setup --url "http://127.0.0.1:$LD_PORT" --bin "$LD" --data-dir "$2" "${db[@]}" \
      --rooms "$SETUP_ROOMS" --room-size "$SIZE" --agents-per-room "$AGENTS" \
      --idle-visitors "$IDLE_VISITORS" --out "$f.tmp" && mv "$f.tmp" "$f"
  fi
  echo "$f"
}
fl() { echo --target floor --url "ws://127.0.0.1:$FLOOR_PORT/ws"; }

if [ -z "${PEERS_ONLY:-}" ]; then
# ---- floor
start_floor
run floor-fanout $(fl) --scenario fanout --rooms "$ROOMS" --room-size "$SIZE" --rate "$RATE" --duration "$DUR" --warmup "$WARM" --server-pid "$SRV"
run floor-chat $(fl) --scenario chat --rooms "$ROOMS" --room-size 2-4 --rate "$CHAT_RATE" --duration "$DUR" --warmup "$WARM" --server-pid "$SRV"
run floor-burst $(fl) --scenario burst --rooms "$ROOMS" --room-size "$SIZE" --burst "$BURST" --duration "$DUR" --warmup "$WARM" --server-pid "$SRV"
stop "$SRV"; start_floor
run floor-idle $(fl) --scenario idle --clients "$IDLE" --duration 3 --server-pid "$SRV"
stop "$SRV"; start_floor
run floor-idle-big $(fl) --scenario idle --clients "$IDLE_BIG" --source-ips 8 --duration 5 --server-pid "$SRV"
stop "$SRV"

# ---- Livedesk on one backend: bench_backend NAME DATA_DIR [DATABASE_URL]
bench_backend() {
  local name=$1 data=$2 url=${3:-} fx
  start_livedesk "$data" "$url"
  fx=$(fixture "$name" "$data" "$url")
  local ld=(--fixture "$fx" --server-pid "$SRV")
  run "$name-fanout" "${ld[@]}" --scenario fanout --rooms "$ROOMS" --room-size "$SIZE" --rate "$RATE" --duration "$DUR" --warmup "$WARM" --baseline "$out/floor-fanout.json"
  run "$name-chat" "${ld[@]}" --scenario chat --rooms "$ROOMS" --room-size 2-4 --rate "$CHAT_RATE" --duration "$DUR" --warmup "$WARM" --baseline "$out/floor-chat.json"
  run "$name-burst" "${ld[@]}" --scenario burst --rooms "$ROOMS" --room-size "$SIZE" --burst "$BURST" --duration "$DUR" --warmup "$WARM" --baseline "$out/floor-burst.json"
  run "$name-persist" "${ld[@]}" --scenario persist --senders "$SENDERS" --window "$WINDOW" --duration "$DUR" --warmup "$WARM"
  run "$name-storm" "${ld[@]}" --scenario storm --rooms "$STORM_ROOMS" --room-size "$STORM_SIZE" --rate "$STORM_RATE" --duration "$((DUR + 5))" --drain 30
  stop "$SRV"; start_livedesk "$data" "$url"
  run "$name-idle" --fixture "$fx" --server-pid "$SRV" --scenario idle --clients "$IDLE" --duration 3
  stop "$SRV"; start_livedesk "$data" "$url"
  run "$name-idle-big" --fixture "$fx" --server-pid "$SRV" --scenario idle --clients "$IDLE_BIG" --source-ips 8 --duration 5
  stop "$SRV"
  local db=()
  [ -n "$url" ] && db=(--database-url "$url")
  echo "== $name-startup" >&2
  lg run --scenario startup --bin "$LD" --data-dir "$data" "${db[@]}" --listen "127.0.0.1:$LD_PORT" \
    --repeat "$REPEAT" --label "$name-startup" --out "$out/$name-startup.json" > /dev/null
}

bench_backend sqlite "$state/sqlite-data"

if [ -z "${NO_PG:-}" ]; then
  if [ -z "${PG_URL:-}" ] && command -v pg_isready > /dev/null && pg_isready -h 127.0.0.1 -q 2>/dev/null; then
    PG_URL="postgres://postgres@127.0.0.1:5432/livedesk_bench${QUICK:+_quick}"
    psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE livedesk_bench${QUICK:+_quick}" 2>/dev/null || true
  fi
  [ -n "${PG_URL:-}" ] && bench_backend postgres "$state/pg-data" "$PG_URL"
fi

fi

# The peers (Socket.IO, ejabberd, Prosody) through ../shared/bench's chatload.js, measured
# against our floor (which speaks its `raw` protocol) so that the floor links the two load
# generators.
if [ -n "${PEERS:-}${PEERS_ONLY:-}" ]; then
  sh ../shared/bench/setup.sh || echo "note: ../shared/bench/setup.sh failed; using /tmp/peers/sio as it is" >&2
  if [ -f /tmp/peers/sio/chatload.js ] && [ -d /tmp/peers/sio/node_modules/socket.io ]; then
    start_floor
    (cd /tmp/peers/sio && ./run-suite.sh floor raw "ws://127.0.0.1:$FLOOR_PORT/ws" "$SRV" "$out/peers.jsonl") > /dev/null || true
    stop "$SRV"
    (cd /tmp/peers/sio && P=$(/tmp/peers/start-peers.sh sio) && ./run-suite.sh socketio sio ws://127.0.0.1:3001 "$P" "$out/peers.jsonl" > /dev/null; kill "$P") || true
    # The XMPP servers, MUC over WebSocket (their rooms-of-100 shape is the one that fits).
    if command -v ejabberdctl > /dev/null; then
      (cd /tmp/peers/sio && P=$(/tmp/peers/start-peers.sh ejabberd) && ./run-suite.sh ejabberd xmpp ws://127.0.0.1:5281/ws "$P" "$out/peers.jsonl" > /dev/null; kill "$P") || true
      sleep 3; pkill -u ejabberd 2>/dev/null || true
    fi
    if command -v prosody > /dev/null; then
      (cd /tmp/peers/sio && P=$(/tmp/peers/start-peers.sh prosody) && ./run-suite.sh prosody xmpp ws://127.0.0.1:5280/xmpp-websocket "$P" "$out/peers.jsonl" > /dev/null; kill "$P") || true
      sleep 3; pkill -u prosody 2>/dev/null || true
    fi
    python3 - "$out/peers.jsonl" > "$out/peers.md" <<'PY' || true
import json, sys
print("| run | deliveries/s | p50 ms | p99 ms | loss % | CPU % | CPU µs/deliv | KiB/conn |")
print("|---|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    d = json.loads(line); s = d["server"]; l = d["lat_ms"]
    print(f"| {d['label']} | {d['delivered_per_s_in_window']} | {l['p50']} | {l['p99']} | {d['loss_pct']} "
          f"| {s['cpu_pct_in_window']} | {s.get('cpu_ms_per_1k_deliveries')} | {s['rss_kib_per_conn']} |")
PY
  else
    echo "note: no Socket.IO peer under /tmp/peers/sio; skipped" >&2
  fi
fi

"$LG" report "$out"/*.json > "$out/summary.md"
cat "$out/summary.md"
[ -f "$out/peers.md" ] && { echo; echo "Peers (chatload.js):"; cat "$out/peers.md"; }
echo "results in $out" >&2
