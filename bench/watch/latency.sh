#!/usr/bin/env bash
# Save-to-build-start latency and builds per save, side by side in one run:
# lywatch, entr, reflex, watchmedo (and "probe", the watcher package alone).
#
# One tree of 2,000 Python files in 100 directories is generated and copied,
# one identical copy per tool, so that a save wakes one tool only. Every tool
# runs the same build command, which appends a nanosecond timestamp to that
# tool's log. The saves go round-robin (tool 1, tool 2, ..., tool 1, ...),
# SPACING seconds apart, so every tool meets the same machine load; each save
# is a printf > file (truncate and write, like most editors without atomic
# save) of new content, and the times just before and just after it are
# noted. Latency is from the start of the save to the first build after it
# (from_end_ms: from the end of the save, which on an idle VM can itself take
# milliseconds); builds per save counts every build before that tool's next
# save.
#
# Usage: bench/watch/latency.sh [tool...]   (default: lywatch entr reflex watchmedo)
#        Tool "probe" is the watcher package alone (bench/watch/probe) with its
#        default debounce, "probe2" with 2 ms; for probes the time from save to
#        change set (before the build is started) is reported too.
# Env:   N=30 saves per tool, SPACING=0.3 s between saves, FILES=2000,
#        LYWATCH=bin/lywatch (built by make build if missing),
#        LYWATCH_FLAGS="--debounce 3ms" (extra flags for lywatch, e.g. another quiet window).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-30}
SPACING=${SPACING:-0.3}
FILES=${FILES:-2000}
LYWATCH=${LYWATCH:-bin/lywatch}
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(lywatch entr reflex watchmedo)

[ -x "$LYWATCH" ] || make -s build
LYWATCH=$(realpath "$LYWATCH")
work=$(mktemp -d "${TMPDIR:-/tmp}/lywatch-bench.XXXXXX")
# probe: the watcher package alone (bench/watch/probe), without the loop.
case " ${tools[*]} " in *" probe"*) go build -o "$work/probe-bin" ./bench/watch/probe ;; esac
gen=$work/gen
mkdir -p "$gen"
# 2,000 files in 100 directories, two levels deep.
for ((i = 0; i < FILES; i++)); do
  d=$gen/d$((i / 200))/e$((i / 20 % 10))
  [ -d "$d" ] || mkdir -p "$d"
  printf 'def f%d():\n    return %d\n' "$i" "$i" >"$d/m$i.py"
done
mapfile -t rel < <(cd "$gen" && find . -name '*.py' | sort)

start_tool() { # starts $1 in a process group of its own, prints the group id
  local out=$work/$1/out
  case $1 in
  lywatch) # run in the tree, as a user runs it in a PDK checkout
    (cd "$tree" && exec setsid "$LYWATCH" --no-config --no-push --no-initial --no-color ${LYWATCH_FLAGS:-} \
      --watch "$tree" -- sh -c "$build") >"$out" 2>&1 & ;;
  probe*) # probe: default debounce; probeN: N ms
    local d=${1#probe}
    setsid "$work/probe-bin" -watch "$tree" -debounce "${d:-0}ms" -stamp "$work/$1/sets.log" \
      "$build" >"$out" 2>&1 & ;;
  entr) setsid sh -c 'find "$1" -name "*.py" | entr -np sh -c "$2"' sh "$tree" "$build" >"$out" 2>&1 & ;;
  reflex) setsid sh -c 'cd "$1" && exec reflex -d none -r "\.py$" -- sh -c "$2"' sh "$tree" "$build" >"$out" 2>&1 & ;;
  watchmedo) setsid watchmedo shell-command --patterns='*.py' --recursive \
    --command="sh -c '$build'" "$tree" >"$out" 2>&1 & ;;
  esac
  echo $!
}

wait_for_build() { # waits until log $1 has a line, up to 10 s
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}

declare -A pid
cleanup() {
  for t in "${!pid[@]}"; do kill -- -"${pid[$t]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ready=()
for t in "${tools[@]}"; do
  tree=$work/$t/tree log=$work/$t/builds.log
  mkdir -p "$work/$t"
  cp -r "$gen" "$tree"
  : >"$log"
  build="date +%s%N >> $log"
  pid[$t]=$(start_tool "$t")
done
# Warm up: save until each tool reacts (it is then watching).
for t in "${tools[@]}"; do
  ok=0
  for w in 1 2 3 4 5 6; do
    sleep 1
    # Code, not a comment: lywatch builds nothing for a comment.
    printf 'WARM_UP = %d\n' "$w" >>"$work/$t/tree/${rel[0]}"
    if wait_for_build "$work/$t/builds.log"; then ok=1; break; fi
  done
  if [ $ok = 1 ]; then ready+=("$t"); else echo "$t: never built; output:" >&2; cat "$work/$t/out" >&2; fi
done
sleep 1.5
for t in "${ready[@]}"; do : >"$work/$t/builds.log"; : >"$work/$t/saves"; [ ! -f "$work/$t/sets.log" ] || : >"$work/$t/sets.log"; done
for ((i = 1; i <= N; i++)); do
  f=${rel[$(((i * 37) % ${#rel[@]}))]}
  for t in "${ready[@]}"; do
    t0=$EPOCHREALTIME
    printf 'def g():\n    return %d  # save %d\n' "$RANDOM" "$i" >"$work/$t/tree/$f"
    t1=$EPOCHREALTIME
    echo "${t0/./}000 ${t1/./}000" >>"$work/$t/saves"
    sleep "$SPACING"
  done
done
sleep 1.5

report() { # tool saves builds
  awk -v tool="$1" '
    function median(a, k) { return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    function sort(a, k,    i, j, t) {
      for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    }
    FNR == NR { save[++n] = $1; saved[n] = $2; next }
    { build[++m] = $1 }
    END {
      j = 1; k = 0; total = 0; missed = 0
      for (i = 1; i <= n; i++) {
        next_save = (i < n) ? save[i + 1] : 9e30
        while (j <= m && build[j] < save[i]) j++
        c = 0
        while (j <= m && build[j] < next_save) {
          if (c == 0) { k++; lat[k] = (build[j] - save[i]) / 1e6; after[k] = (build[j] - saved[i]) / 1e6 }
          c++; j++
        }
        total += c
        if (c == 0) missed++
      }
      if (k == 0) { printf "%-10s %5d %10s\n", tool, n, "no builds"; exit }
      sort(lat, k); sort(after, k)
      printf "%-10s %5d %10.1f %10.1f %10.1f %12.2f %7d %12.1f\n", tool, n, median(lat, k),
        lat[int(k * 0.9 + 0.999)], lat[1], total / n, missed, median(after, k)
    }' "$2" "$3"
}

printf '%d files in %d directories per tree, %d saves per tool, round-robin %ss apart, load %s\n' \
  "${#rel[@]}" "$(find "$gen" -type d | wc -l)" "$N" "$SPACING" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %5s %10s %10s %10s %12s %7s %12s\n' tool saves median_ms p90_ms min_ms builds/save missed from_end_ms
for t in "${ready[@]}"; do
  report "$t" "$work/$t/saves" "$work/$t/builds.log"
  if [ -f "$work/$t/sets.log" ]; then
    report "  (set)" "$work/$t/saves" "$work/$t/sets.log"
  fi
done
if [ -n "${VERBOSE:-}" ]; then
  for t in "${ready[@]}"; do echo "== $t output"; tail -20 "$work/$t/out"; done
fi
