#!/usr/bin/env bash
# bench/push/latency.sh [N]: save-to-visible latency of lywatch on the example
# PDK, with its breakdown (watch + debounce, build, after-build hooks such as
# read/hash and push, KLayout's load). Starts its own KLayout with the lywatch
# server (under Xvfb when there is no DISPLAY) on a free port, with HOME in a
# temporary directory, runs lywatch on a copy of testdata/pdk, edits a factory
# N times (default 10) and waits each time until KLayout's status reports the
# new layout. Needs go, klayout, python3 (and Xvfb without a DISPLAY).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-10}
work=$(mktemp -d)
pids=()
lywatch_pid=
cleanup() {
  if [ -n "$lywatch_pid" ]; then
    # SIGINT lets lywatch stop its build's process group.
    kill -INT "$lywatch_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$lywatch_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

for tool in go klayout python3; do
  command -v "$tool" >/dev/null || { echo "latency.sh: $tool is needed" >&2; exit 1; }
done
(cd "$root" && go build -o "$work/lywatch" ./cmd/lywatch)
cp -r "$root/testdata/pdk" "$work/pdk"
rm -rf "$work/pdk/build"
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config"
unset LYWATCH_TOKEN
mkdir -p "$HOME"
LYWATCH_TOKEN=$("$work/lywatch" klayout token)  # every request carries it (driver.py too)
export LYWATCH_TOKEN

if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || { echo "latency.sh: no DISPLAY and no Xvfb" >&2; exit 1; }
  fifo="$work/displayfd"; mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$fifo" >/dev/null 2>&1 &
  pids+=($!)
  read -r d <"$fifo"
  export DISPLAY=":$d"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_out=$("$work/lywatch" klayout start --port "$port")
pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' <<<"$start_out" | head -1)
[ -n "$pid" ] && pids+=("$pid")

chip="$work/pdk/build/chip.gds"
cd "$work/pdk"
"$work/lywatch" --no-config --no-color --watch "$work/pdk" --output "$chip" --klayout "127.0.0.1:$port" \
  -- klayout -b -r "$work/pdk/build.py" -rd "out=$chip" >"$work/lywatch.log" 2>&1 &
lywatch_pid=$!
pids+=($!)

echo "KLayout $(klayout -v | sed 's/KLayout //'), lywatch $("$work/lywatch" version 2>/dev/null | head -1), $(nproc) CPUs"
python3 "$root/bench/push/driver.py" "$port" "$work/pdk" "$work/lywatch.log" "$n"
echo
echo "lywatch's summary lines:"
grep ' → build ' "$work/lywatch.log" || true
