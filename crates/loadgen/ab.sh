#!/usr/bin/env bash
# ab.sh BIN_A BIN_B [OUT_DIR]: the message path of two livedesk builds, side by side in one run.
# Each round runs both builds on the same scenarios (fan-out, burst, persisted messages/s,
# reconnect storm) against fixtures made once per build, alternating A and B so that drift
# in the machine hits both alike. Servers run pinned to CPU 0, the load generator to CPU 1.
# Results: one JSON per run in OUT_DIR (default target/bench/ab-<time>), summary.md there.
#
#   ROUNDS=N   rounds (default 2)
#   QUICK=1    small counts: a smoke run, not a benchmark
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [OUT_DIR]" >&2; exit 2; }
A=$(realpath "$1") B=$(realpath "$2")
out=${3:-$root/target/bench/ab-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cargo build --release -q -p livedesk-loadgen
LG=$root/target/release/livedesk-loadgen
PORT=${LD_PORT:-18090}
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
export LIVEDESK_LIMITS__LOGIN=1000000/s LIVEDESK_LIMITS__MESSAGES=1000000/s
export LIVEDESK_LIMITS__WIDGET_SESSIONS=1000000/s LIVEDESK_LOG_FORMAT=text
unset LIVEDESK_CONFIG
# Limits only some builds have: a build refuses keys it does not know, so each one gets
# those its `config default` lists.
limits_of() { # limits_of BIN: env assignments for the limits BIN knows
  local defaults; defaults=$("$1" config default)
  for key in conversations login_account; do
    if grep -q "^$key = " <<<"$defaults"; then
      echo "LIVEDESK_LIMITS__${key^^}=1000000/s"
    fi
  done
}
if [ -n "${QUICK:-}" ]; then
  ROOMS=5 SIZE=4 RATE=200 DUR=3 WARM=1 BURST=100 STORM_ROOMS=5 STORM_SIZE=10 STORM_RATE=50
  SENDERS=8 WINDOW=8 SETUP_ROOMS=6 AGENTS=3 IDLE_VISITORS=50
else
  ROOMS=50 SIZE=10 RATE=4000 DUR=10 WARM=2 BURST=2000 STORM_ROOMS=100 STORM_SIZE=100
  STORM_RATE=200 SENDERS=64 WINDOW=16 SETUP_ROOMS=100 AGENTS=9 IDLE_VISITORS=2000
fi

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
wait_port() { for _ in $(seq 1 400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
start() { # start BIN DATA_DIR
  # shellcheck disable=SC2046 # one assignment per line
  env $(limits_of "$1") taskset -c 0 "$1" serve --listen "127.0.0.1:$PORT" --data-dir "$2" >> "$out/livedesk.log" 2>&1 &
  SRV=$!; pids+=("$SRV"); wait_port "$PORT"
}
run() { local name=$1; shift; echo "== $name" >&2; taskset -c 1 "$LG" run --label "$name" --out "$out/$name.json" "$@" > /dev/null; sleep 2; }

for side in a b; do
  bin=$A; [ "$side" = b ] && bin=$B
  start "$bin" "$out/$side-data"
  # shellcheck disable=SC2046
  env $(limits_of "$bin") "$LG" setup --url "http://127.0.0.1:$PORT" --bin "$bin" --data-dir "$out/$side-data" \
    --rooms "$SETUP_ROOMS" --room-size "$SIZE" --agents-per-room "$AGENTS" \
    --idle-visitors "$IDLE_VISITORS" --out "$out/$side-fixture.json"
  stop "$SRV"
done

for round in $(seq 1 "${ROUNDS:-2}"); do
  for side in a b; do
    bin=$A; [ "$side" = b ] && bin=$B
    start "$bin" "$out/$side-data"
    ld=(--fixture "$out/$side-fixture.json" --server-pid "$SRV")
    run "$side$round-fanout" "${ld[@]}" --scenario fanout --rooms "$ROOMS" --room-size "$SIZE" --rate "$RATE" --duration "$DUR" --warmup "$WARM"
    run "$side$round-burst" "${ld[@]}" --scenario burst --rooms "$ROOMS" --room-size "$SIZE" --burst "$BURST" --duration "$DUR" --warmup "$WARM"
    run "$side$round-persist" "${ld[@]}" --scenario persist --senders "$SENDERS" --window "$WINDOW" --duration "$DUR" --warmup "$WARM"
    run "$side$round-storm" "${ld[@]}" --scenario storm --rooms "$STORM_ROOMS" --room-size "$STORM_SIZE" --rate "$STORM_RATE" --duration "$((DUR + 5))" --drain 30
    stop "$SRV"
  done
done
"$LG" report "$out"/[ab][0-9]*-*.json > "$out/summary.md"
cat "$out/summary.md"
