#!/usr/bin/env bash
# Save-to-build-start latency and builds per save of the lywatch binary, on a
# tree of N Python files (default 2000 in 100 directories).
#
#   bench/loop/latency.sh [SAVES] [FILES]
#   LYWATCH_FLAGS="--debounce 2ms" bench/loop/latency.sh
#
# Each save rewrites one file with new content; the build appends
# $EPOCHREALTIME (bash, no fork) to a log as its first action. The latency is
# from just before the write to that line, so it includes lywatch's debounce,
# hashing, the fork/exec of the build and bash's start-up (about 3 ms here).
set -euo pipefail
saves=${1:-50}
files=${2:-2000}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/lywatch" ./cmd/lywatch
mkdir -p "$work/tree"
for ((i = 0; i < files; i++)); do
  d="$work/tree/pkg$((i % 100))"
  mkdir -p "$d"
  echo "x = $i" > "$d/mod$i.py"
done
log="$work/starts"
: > "$log"
cd "$work/tree"
"$work/lywatch" --no-config --no-push --no-initial ${LYWATCH_FLAGS:-} -- bash -c "echo \$EPOCHREALTIME >> $log" > "$work/out" 2>&1 &
pid=$!
sleep 2 # start-up: walking and hashing the tree
declare -a sent
for ((s = 1; s <= saves; s++)); do
  f="pkg$((s % 100))/mod$((s % 100)).py"
  sent+=("$EPOCHREALTIME")
  echo "x = $s # save $s" > "$f"
  sleep 0.4
done
sleep 1
builds=$(wc -l < "$log")
python3 - "$log" "${sent[@]}" <<'PY'
import sys, statistics
starts = [float(l) for l in open(sys.argv[1]) if l.strip()]
sent = [float(x) for x in sys.argv[2:]]
lat = []
for t in sent:
    after = [s for s in starts if s >= t]
    if after:
        lat.append((min(after) - t) * 1000)
lat.sort()
print(f"saves {len(sent)}  builds {len(starts)}  builds/save {len(starts)/len(sent):.2f}")
print(f"save-to-build-start ms: median {statistics.median(lat):.1f}  p90 {lat[int(len(lat)*0.9)-1]:.1f}  min {lat[0]:.1f}  max {lat[-1]:.1f}")
PY
