#!/usr/bin/env bash
# The live loop's start with a saved session, side by side with the session
# check alone: 10,000 tracked Python files, nothing changed since the last
# good build. Times from launching `lywatch -- CMD` to its "session valid"
# line (the cached layout restored, no build), which includes loading the
# saved dependency graph and catching it up, against `lywatch session show`
# (stat only). The goal for both is 150 ms.
# Usage: bench/session/loop.sh [FILES] [RUNS]
set -euo pipefail
source "$(dirname "$0")/common.sh"
# The sources, and a one-cell layout for the "build" to copy into place.
"$work/mksession" -root "$work/proj" -files "$n" -nosession -gds "$work/tiny.gds" >/dev/null
cd "$work/proj"
args=(--no-push --no-config --output "$work/proj/build/out.gds" -- cp "$work/tiny.gds" "$work/proj/build/out.gds")
mkdir -p build
"$work/lywatch" --once "${args[@]}" >/dev/null 2>&1 || { echo "first build failed"; exit 1; }

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
