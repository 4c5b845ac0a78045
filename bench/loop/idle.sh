#!/usr/bin/env bash
# Idle cost of the lywatch binary watching FILES Python files in DIRS
# directories (default 10,000 in 1,000): CPU time used over SECONDS (default
# 30) of idleness after start-up, and resident memory (VmRSS, VmHWM).
#
#   bench/loop/idle.sh [SECONDS] [FILES] [DIRS]
set -euo pipefail
secs=${1:-30}
files=${2:-10000}
dirs=${3:-1000}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/lywatch" ./cmd/lywatch
for ((d = 0; d < dirs; d++)); do mkdir -p "$work/tree/d$((d / 100))/d$d"; done
for ((i = 0; i < files; i++)); do
  d=$((i % dirs))
  echo "x = $i" > "$work/tree/d$((d / 100))/d$d/m$i.py"
done
cd "$work/tree"
"$work/lywatch" --no-config --no-push -- true > "$work/out" 2>&1 &
pid=$!
# Wait for the start-up build: the tree is walked, hashed and watched.
for ((i = 0; i < 600; i++)); do grep -qs 'start-up' "$work/out" && break; sleep 0.1; done
sleep 1
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep "$secs"
t1=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "files $files  dirs $dirs  idle ${secs} s"
echo "cpu while idle: $(( (t1 - t0) * 1000 / hz )) ms"
echo "rss now: $((rss / 1024)) MB  peak: $((hwm / 1024)) MB"
