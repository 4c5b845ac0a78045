#!/usr/bin/env bash
# bench/warm/latency.sh [N] [BUILDS]: save-to-visible latency of lywatch on the
# example PDK, warm (--warm) and cold side by side in one run, with the
# breakdown (watch, plan, build, read, save, push), and the warm worker's
# resident memory over BUILDS builds (default 100).
#
# Starts two KLayouts with the lywatch server (under Xvfb when there is no
# DISPLAY) on free ports, with HOME in a temporary directory, and two lywatch
# runs on two copies of testdata/pdk, one warm, one cold, each pushing into
# its own KLayout. Edits a factory of each copy in turn, N times (default 20),
# and each time waits until KLayout's status reports the new layout. Then edits
# the warm copy BUILDS times more, reading the worker's VmRSS from /proc.
# Needs go, klayout, python3 (and Xvfb without a DISPLAY); Linux.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-20}
builds=${2:-100}
work=$(mktemp -d)
pids=()
lywatch_pids=()
cleanup() {
  for p in "${lywatch_pids[@]}"; do
    # SIGINT lets lywatch stop its build and its warm worker.
    kill -INT "$p" 2>/dev/null || true
  done
  for p in "${lywatch_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

for tool in go klayout python3; do
  command -v "$tool" >/dev/null || { echo "latency.sh: $tool is needed" >&2; exit 1; }
done
(cd "$root" && go build -o "$work/lywatch" ./cmd/lywatch)
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config"
unset LYWATCH_TOKEN
mkdir -p "$HOME"
LYWATCH_TOKEN=$("$work/lywatch" klayout token)  # every request carries it (driver.py too)
export LYWATCH_TOKEN
mkdir -p "$HOME"

if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || { echo "latency.sh: no DISPLAY and no Xvfb" >&2; exit 1; }
  fifo="$work/displayfd"; mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$fifo" >/dev/null 2>&1 &
  pids+=($!)
  read -r d <"$fifo"
  export DISPLAY=":$d"
fi

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start MODE [FLAGS...]: a KLayout and a lywatch on a copy of the PDK in $work/MODE.
start() {
  local mode=$1; shift
  local port; port=$(freeport)
  local out; out=$("$work/lywatch" klayout start --port "$port")
  local pid; pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' <<<"$out" | head -1)
  [ -n "$pid" ] && pids+=("$pid")
  cp -r "$root/testdata/pdk" "$work/$mode"
  rm -rf "$work/$mode/build"
  local chip="$work/$mode/build/chip.gds"
  (cd "$work/$mode" && exec "$work/lywatch" --no-config --no-color --json -v --watch "$work/$mode" --output "$chip" \
    --klayout "127.0.0.1:$port" --session-dir "$work/$mode-session" "$@" \
    -- klayout -b -r "$work/$mode/build.py" -rd "out=$chip" >"$work/$mode.json" 2>"$work/$mode.log") &
  lywatch_pids+=($!)
  pids+=($!)
  last_port=$port
}
start warm --warm
warm_port=$last_port
start cold
cold_port=$last_port

echo "KLayout $(klayout -v | sed 's/KLayout //'), lywatch $("$work/lywatch" version 2>/dev/null | head -1), $(nproc) CPUs"
python3 "$root/bench/warm/driver.py" "$work" "$warm_port" "$cold_port" "$n" "$builds"
