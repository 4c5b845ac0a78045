#!/usr/bin/env bash
# Idle cost: 10,000 Python files in 1,000 directories are watched, nothing
# changes, and the CPU time each watcher uses over 30 s (utime+stime from
# /proc/PID/stat) and its resident memory (VmRSS, and the peak VmHWM from
# /proc/PID/status) are reported. lywatch must use no CPU (no polling timers
# with inotify) and at most 40 MB. entr, reflex and watchmedo run beside it
# on the same tree as references.
#
# Usage: bench/watch/idle.sh [tool...]   (default: lywatch entr reflex watchmedo)
#        "probe" is the watcher package alone (bench/watch/probe), "probe-poll"
#        the same in polling mode (500 ms), to show what polling costs.
# Env:   SECONDS_IDLE=30, DIRS=1000, PER_DIR=10, STARTUP=10 (seconds for the
#        tools to walk the tree before measuring), LYWATCH=bin/lywatch
#
# Each tool is measured as its own process, never a shell around it: the
# table names the process measured (comm), and the script fails when that
# is not the tool.
set -euo pipefail
cd "$(dirname "$0")/../.."
IDLE=${SECONDS_IDLE:-30}
DIRS=${DIRS:-1000}
PER_DIR=${PER_DIR:-10}
STARTUP=${STARTUP:-10}
LYWATCH=${LYWATCH:-bin/lywatch}
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(lywatch entr reflex watchmedo)
[ -x "$LYWATCH" ] || make -s build
LYWATCH=$(realpath "$LYWATCH")

work=$(mktemp -d "${TMPDIR:-/tmp}/lywatch-idle.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
tree=$work/tree
for ((d = 0; d < DIRS; d++)); do
  dir=$tree/g$((d / 100))/d$d
  mkdir -p "$dir"
  for ((f = 0; f < PER_DIR; f++)); do
    printf 'def f():\n    return %d\n' "$f" >"$dir/m$f.py"
  done
done
nfiles=$(find "$tree" -name '*.py' | wc -l)
ndirs=$(find "$tree" -type d | wc -l)

start_tool() {
  case $1 in
  lywatch) # run in the tree, as a user runs it in a PDK checkout
    (cd "$tree" && exec setsid "$LYWATCH" --no-config --no-push --no-initial --no-color \
      --watch "$tree" -- true) >"$work/$1.out" 2>&1 & ;;
  probe) setsid "$work/probe" -watch "$tree" >"$work/$1.out" 2>&1 & ;;
  probe-poll) setsid "$work/probe" -poll -watch "$tree" >"$work/$1.out" 2>&1 & ;;
  entr) # entr reads the list itself: a shell piping find into it would be
    # the process measured (1.6 MB), not entr (about 41 MB).
    find "$tree" -name '*.py' >"$work/entr.list"
    setsid entr -np true <"$work/entr.list" >"$work/$1.out" 2>&1 & ;;
  reflex) setsid sh -c 'cd "$1" && exec reflex -d none -r "\.py$" -- true' sh "$tree" >"$work/$1.out" 2>&1 & ;;
  watchmedo) setsid watchmedo shell-command --patterns='*.py' --recursive \
    --command=true "$tree" >"$work/$1.out" 2>&1 & ;;
  esac
  echo $!
}

case " ${tools[*]} " in *" probe"*) go build -o "$work/probe" ./bench/watch/probe ;; esac
declare -A pid
for t in "${tools[@]}"; do
  pid[$t]=$(start_tool "$t")
  pids+=("${pid[$t]}")
done
sleep "$STARTUP" # start-up: walk, watch and hash the tree (lywatch: and scan the Python)

# The process each tool runs as (watchmedo is Python).
declare -A comm=([lywatch]=lywatch [probe]=probe [probe-poll]=probe [entr]=entr [reflex]=reflex [watchmedo]=watchmedo)

tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A before
for t in "${tools[@]}"; do before[$t]=$(cpu "${pid[$t]}"); done
sleep "$IDLE"
printf '%d files in %d directories, idle %d s\n' "$nfiles" "$ndirs" "$IDLE"
printf '%-10s %-10s %12s %10s %10s\n' tool process cpu_ms rss_MB peak_MB
bad=0
for t in "${tools[@]}"; do
  p=${pid[$t]}
  if [ ! -d "/proc/$p" ]; then
    echo "$t: exited; output:"
    cat "$work/$t.out"
    continue
  fi
  name=$(cat "/proc/$p/comm")
  case $name in
  "${comm[$t]}"* | python*) ;;
  *) echo "$t: measuring process $p ($name), not the tool itself" >&2; bad=1 ;;
  esac
  after=$(cpu "$p")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status")
  printf '%-10s %-10s %12d %10.1f %10.1f\n' "$t" "$name" $(((after - ${before[$t]}) * 1000 / tck)) \
    "$(echo "$rss / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)"
done
exit $bad
