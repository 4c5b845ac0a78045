#!/usr/bin/env bash
# Save-to-build-start latency and builds per save, side by side, on one
# generated tree of 2,000 Python files: lywatch, entr, reflex, watchmedo.
#
# Each tool watches the same tree and runs the same build command, which
# appends a nanosecond timestamp to a log. The script saves one file at a
# time (printf > file: truncate and write, like most editors without atomic
# save), N times, SPACING seconds apart, notes the time just before each save,
# and matches the log against the saves: latency is the first build after a
# save, builds per save counts every build before the next save.
#
# Usage: bench/watch/latency.sh [tool...]   (default: all four; "probe" is
#        the watcher package alone, driven by bench/watch/probe)
# Env:   N=30 saves per tool, SPACING=0.6 s, FILES=2000,
#        LYWATCH=bin/lywatch (built by make build if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-30}
SPACING=${SPACING:-0.6}
FILES=${FILES:-2000}
LYWATCH=${LYWATCH:-bin/lywatch}
tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(lywatch entr reflex watchmedo)

[ -x "$LYWATCH" ] || make -s build
work=$(mktemp -d /tmp/lywatch-bench.XXXXXX)
# probe: the watcher package alone (bench/watch/probe), without the loop.
case " ${tools[*]} " in *" probe "*) go build -o "$work/probe" ./bench/watch/probe ;; esac
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree"
# 2,000 files in 100 directories, two levels deep.
for ((i = 0; i < FILES; i++)); do
  d=$tree/d$((i / 200))/e$((i / 20 % 10))
  [ -d "$d" ] || mkdir -p "$d"
  printf 'def f%d():\n    return %d\n' "$i" "$i" >"$d/m$i.py"
done
mapfile -t files < <(find "$tree" -name '*.py' | sort)

log=$work/builds.log
build="date +%s%N >> $log"

start_tool() { # starts $1 in its own process group, prints its pid
  case $1 in
  lywatch) setsid "$LYWATCH" --no-config --no-push --no-initial --no-color \
    --watch "$tree" -- sh -c "$build" >"$work/$1.out" 2>&1 & ;;
  probe) setsid "$work/probe" -watch "$tree" "$build" >"$work/$1.out" 2>&1 & ;;
  entr) (find "$tree" -name '*.py' | setsid entr -np sh -c "$build") >"$work/$1.out" 2>&1 & ;;
  reflex) (cd "$tree" && exec setsid reflex -d none -r '\.py$' -- sh -c "$build") >"$work/$1.out" 2>&1 & ;;
  watchmedo) setsid watchmedo shell-command --patterns='*.py' --recursive \
    --command="sh -c '$build'" "$tree" >"$work/$1.out" 2>&1 & ;;
  esac
  echo $!
}

now_ns() { local t=$EPOCHREALTIME; echo "${t/./}000"; }

wait_for_build() { # waits until the log has a line, up to 15 s
  for _ in $(seq 150); do [ -s "$log" ] && return 0; sleep 0.1; done
  return 1
}

measure() {
  local tool=$1 pid saves=$work/$1.saves
  : >"$log"
  : >"$saves"
  pid=$(start_tool "$tool")
  # Warm up: save until the tool reacts (it is then watching), then settle.
  local ok=0
  for w in 1 2 3 4 5 6; do
    sleep 1
    printf '# warm up %d\n' "$w" >>"${files[0]}"
    if wait_for_build; then ok=1; break; fi
  done
  if [ $ok = 0 ]; then
    echo "$tool: never built; output:" >&2
    cat "$work/$tool.out" >&2
    kill -- -"$pid" 2>/dev/null || true
    return
  fi
  sleep 1
  : >"$log"
  for ((i = 1; i <= N; i++)); do
    f=${files[$(((i * 37) % ${#files[@]}))]}
    now_ns >>"$saves"
    printf 'def g():\n    return %d  # save %d\n' "$RANDOM" "$i" >"$f"
    sleep "$SPACING"
  done
  sleep 1
  kill -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  report "$tool" "$saves" "$log"
}

report() { # tool saves builds
  awk -v tool="$1" '
    FNR == NR { save[++n] = $1; next }
    { build[++m] = $1 }
    END {
      j = 1; k = 0; total = 0; missed = 0
      for (i = 1; i <= n; i++) {
        next_save = (i < n) ? save[i + 1] : 9e30
        while (j <= m && build[j] < save[i]) j++
        c = 0
        while (j <= m && build[j] < next_save) {
          if (c == 0) lat[++k] = (build[j] - save[i]) / 1e6
          c++; j++
        }
        total += c
        if (c == 0) missed++
      }
      # sort latencies
      for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++) if (lat[b] < lat[a]) { t = lat[a]; lat[a] = lat[b]; lat[b] = t }
      med = k ? lat[int((k + 1) / 2)] : -1
      p90 = k ? lat[int(k * 0.9 + 0.999)] : -1
      printf "%-10s %5d %10.1f %10.1f %10.1f %12.2f %7d\n", tool, n, med, p90, (k ? lat[1] : -1), total / n, missed
    }' "$2" "$3"
}

printf '%d files in %d directories, %d saves per tool, %ss apart\n' \
  "${#files[@]}" "$(find "$tree" -type d | wc -l)" "$N" "$SPACING"
printf '%-10s %5s %10s %10s %10s %12s %7s\n' tool saves median_ms p90_ms min_ms builds/save missed
for t in "${tools[@]}"; do measure "$t"; done
