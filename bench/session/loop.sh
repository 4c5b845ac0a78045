#!/usr/bin/env bash
# The live loop's start with a saved session, side by side with the session
# check alone: 10,000 tracked Python files, nothing changed since the last
# good build. Times from launching `lywatch -- CMD` to its "session valid"
# line (the cached layout restored, no build), which includes loading the
# saved dependency graph and catching it up, against `lywatch session show`
# (stat only). The goal for both is 150 ms.
# Usage: bench/session/loop.sh [FILES] [RUNS]
set -euo pipefail
n=${1:-10000}
runs=${2:-7}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/lywatch" ./cmd/lywatch
go build -o "$work/mksession" ./bench/session/mksession
"$work/mksession" -root "$work/proj" -files "$n" -nosession >/dev/null
# A one-cell layout for the "build" to copy into place.
python3 - "$work/tiny.gds" <<'PY'
import struct, sys
def rec(t, dt, data=b""):
    return struct.pack(">HBB", 4 + len(data), t, dt) + data
def s(x):
    x = x.encode()
    return x + b"\0" * (len(x) % 2)
real8_1em3 = bytes.fromhex("3e4189374bc6a7ef"); real8_1em9 = bytes.fromhex("3944b82fa09b5a54")
out = rec(0x00, 2, struct.pack(">h", 600)) + rec(0x01, 2, b"\0" * 24) + rec(0x02, 6, s("LIB"))
out += rec(0x03, 5, real8_1em3 + real8_1em9) + rec(0x05, 2, b"\0" * 24) + rec(0x06, 6, s("TOP"))
out += rec(0x08, 0) + rec(0x0D, 2, struct.pack(">h", 1)) + rec(0x0E, 2, struct.pack(">h", 0))
out += rec(0x10, 3, struct.pack(">10i", 0, 0, 0, 10, 10, 10, 10, 0, 0, 0)) + rec(0x11, 0)
out += rec(0x07, 0) + rec(0x04, 0)
open(sys.argv[1], "wb").write(out)
PY
cd "$work/proj"
args=(--no-push --no-config --output "$work/proj/build/out.gds" -- cp "$work/tiny.gds" "$work/proj/build/out.gds")
mkdir -p build
"$work/lywatch" --once "${args[@]}" >/dev/null 2>&1 || { echo "first build failed"; exit 1; }

ms() { echo $(( ($2 - $1) / 1000000 )).$(( ($2 - $1) / 100000 % 10 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# launch_to_valid prints the ms from launch to the "session valid" line.
launch_to_valid() {
  local fifo="$work/out.fifo" t0 t1 line pid
  rm -f "$fifo"; mkfifo "$fifo"
  t0=$(date +%s%N)
  "$work/lywatch" "${args[@]}" >"$fifo" 2>/dev/null &
  pid=$!
  while IFS= read -r line; do
    if [[ $line == "session valid"* ]]; then t1=$(date +%s%N); break; fi
    echo "unexpected: $line" >&2
  done <"$fifo"
  kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  [[ -n ${t1:-} ]] || { echo "no 'session valid' line" >&2; exit 1; }
  ms "$t0" "$t1"
}

echo "== $n tracked files, nothing changed ($runs runs each, warm cache, $(nproc) cores)"
launch_to_valid >/dev/null # warm up
loop=(); show=()
for _ in $(seq "$runs"); do
  loop+=("$(launch_to_valid)")
  t0=$(date +%s%N); "$work/lywatch" session show --no-color >/dev/null; t1=$(date +%s%N)
  show+=("$(ms "$t0" "$t1")")
done
echo "lywatch -- CMD, launch to 'session valid', ms: ${loop[*]}  (median $(printf '%s\n' "${loop[@]}" | median))"
echo "lywatch session show,                ms: ${show[*]}  (median $(printf '%s\n' "${show[@]}" | median))"
