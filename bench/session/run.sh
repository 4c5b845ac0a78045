#!/usr/bin/env bash
# Session speed, side by side (see docs/readme/session.md):
#  1. 10,000 tracked files, nothing changed: from launching `lywatch session
#     show` to it printing "valid" (stat only, no hashing); the goal is 150 ms.
#  2. No session: hashing every file with lywatch's hasher (`lywatch session
#     hash`, the code the loop uses to build the first manifest) against
#     sha256sum over the same files, in the same run.
# Usage: bench/session/run.sh [FILES] [RUNS]
set -euo pipefail
source "$(dirname "$0")/common.sh"
list=$("$work/mksession" -root "$work/proj" -files "$n")
cd "$work/proj"

echo "== $n tracked files, nothing changed: launch to 'valid' ($runs runs)"
"$work/lywatch" session show --no-color >/dev/null # warm the page cache
times=()
for _ in $(seq "$runs"); do
  t0=$(date +%s%N)
  out=$("$work/lywatch" session show --no-color)
  t1=$(date +%s%N)
  grep -q "default  valid" <<<"$out" || { echo "session not valid:"; echo "$out"; exit 1; }
  grep -q "(0 rehashed)" <<<"$out" || { echo "files were rehashed:"; echo "$out"; exit 1; }
  times+=("$(ms "$t0" "$t1")")
done
echo "launch to valid, ms: ${times[*]}  (median $(printf '%s\n' "${times[@]}" | median))"
grep -o '[0-9]* files checked in [^ ]*' <<<"$out" | sed 's/^/inside lywatch: /'

echo "== no session: hash all $n files ($runs runs each, alternating, warm cache)"
mapfile -t files <"$list"
lw=(); ss=()
for _ in $(seq "$runs"); do
  t0=$(date +%s%N); "$work/lywatch" session hash --from "$list" >"$work/lw.txt"; t1=$(date +%s%N)
  lw+=("$(ms "$t0" "$t1")")
  t0=$(date +%s%N); sha256sum "${files[@]}" >"$work/ss.txt"; t1=$(date +%s%N)
  ss+=("$(ms "$t0" "$t1")")
done
cmp -s "$work/lw.txt" "$work/ss.txt" || { echo "lywatch and sha256sum disagree"; diff "$work/lw.txt" "$work/ss.txt" | head; exit 1; }
echo "lywatch session hash, ms: ${lw[*]}  (median $(printf '%s\n' "${lw[@]}" | median))"
echo "sha256sum,            ms: ${ss[*]}  (median $(printf '%s\n' "${ss[@]}" | median))"
echo "(same output, byte for byte; $(nproc) cores)"
