#!/usr/bin/env bash
# Tracing benchmark: what a trace frame costs a build.
#
#   bench/trace/run.sh [RUNS]
#
# 1. Per frame, inside a KLayout build: lywatch_trace.frame(layout) against
#    writing the same layout alone, for a small layout (100 boxes) and a
#    large one (200,000 boxes), RUNS*4 frames each, alternating.
# 2. A whole build under `lywatch --once --no-push`: the example chip with
#    100 trace frames (bench/trace/build100.py), tracing on
#    (--trace-frames 200) against off (--trace-frames 0: the same calls do
#    nothing), alternating, RUNS each; the wall time of lywatch, the
#    build's own time from its JSON report, and the time the build spent
#    inside its frame() calls (which the build measures itself).
# Prints min / median / max in milliseconds. The machine is shared: the
# two sides of each comparison alternate so both see the same load.
# Not part of `make test`.
set -euo pipefail
runs=${1:-5}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/lywatch" ./cmd/lywatch
mkdir -p "$work/py"
cp -r tracing/python/lywatch_trace "$work/py/"
stats() { sort -g | awk '{a[NR]=$1} END {printf "%8.2f %8.2f %8.2f", a[1]*1000, a[int((NR+1)/2)]*1000, a[NR]*1000}'; }
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); ms as min / median / max"

echo "1. one frame inside the build (KLayout $(klayout -v | awk '{print $2}'))"
for size in small:100:1 large:200000:20; do
  IFS=: read -r name shapes cells <<<"$size"
  rm -rf "$work/trace" && mkdir -p "$work/trace"
  LYWATCH_TRACE="$work/trace" LYWATCH_TRACE_FRAMES=100000 LYWATCH_TRACE_BYTES=100000000000 PYTHONPATH="$work/py" \
    klayout -b -r bench/trace/frames.py -rd shapes="$shapes" -rd cells="$cells" -rd n=$((runs * 4)) -rd scratch="$work" > "$work/frames.txt"
  bytes=$(awk '/^bytes/ {print $2}' "$work/frames.txt")
  printf "   %-5s layout (%d boxes, %d bytes):  frame() %s   write alone %s\n" "$name" "$shapes" "$bytes" \
    "$(awk '/^frame/ {print $2}' "$work/frames.txt" | stats)" "$(awk '/^write/ {print $2}' "$work/frames.txt" | stats)"
done

echo "2. the example chip with 100 trace frames, under lywatch --once (RUNS=$runs each, alternating)"
cp -r testdata/pdk "$work/pdk"
on_wall="" off_wall="" on_build="" off_build="" on_in="" off_in=""
for _ in $(seq "$runs"); do
  for mode in on off; do
    frames=200; [ "$mode" = off ] && frames=0
    t0=$(date +%s%N)
    XDG_CONFIG_HOME="$work/cfg" XDG_CACHE_HOME="$work/cache" "$work/lywatch" --no-config --once --no-push --json \
      --trace-frames "$frames" --output "$work/chip.gds" --watch "$work/pdk" \
      -- klayout -b -r bench/trace/build100.py -rd pdk="$work/pdk" -rd out="$work/chip.gds" > "$work/report.json" 2> "$work/log.txt"
    t1=$(date +%s%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}')
    build=$(grep -o '"duration_ms":[0-9.]*' "$work/report.json" | sed -n 1p | cut -d: -f2 | awk '{print $1 / 1000}')
    in=$(awk '/in frame\(\):/ {print $(NF-1)}' "$work/log.txt")
    kept=$( (grep -o '"step":[0-9]*' "$work/report.json" || true) | wc -l)
    if [ "$mode" = on ]; then
      on_wall="$on_wall $wall"; on_build="$on_build $build"; on_in="$on_in $in"; [ "$kept" = 100 ] || { echo "tracing on kept $kept frames, want 100"; cat "$work/log.txt"; exit 1; }
    else
      off_wall="$off_wall $wall"; off_build="$off_build $build"; off_in="$off_in $in"; [ "$kept" = 0 ] || { echo "tracing off kept $kept frames"; exit 1; }
    fi
  done
done
col() { tr ' ' '\n' <<<"$1" | grep . | stats; }
printf "   tracing on  (100 frames): build %s   lywatch --once %s   inside the 100 frame() calls %s\n" "$(col "$on_build")" "$(col "$on_wall")" "$(col "$on_in")"
printf "   tracing off (0 frames):   build %s   lywatch --once %s   inside the 100 frame() calls %s\n" "$(col "$off_build")" "$(col "$off_wall")" "$(col "$off_in")"
echo "go test -bench (the collector taking 100 frames):"
go test -run '^$' -bench . -benchtime 20x ./tracing | grep -E '^Benchmark'
