#!/usr/bin/env bash
# make demo: start KLayout with lywatch's server (when klayout is installed)
# and run lywatch on the example PDK in testdata/pdk. Edit a factory under
# testdata/pdk/mypdk/ and watch the layout change in KLayout, view kept.
# Ctrl-C stops lywatch. It builds nothing itself: `make demo` runs
# `make build` first.
#
# Environment:
#   LYWATCH_DEMO_XVFB=1   no DISPLAY? run KLayout headless under Xvfb
#                         (check it with: bin/lywatch klayout status)
#   LYWATCH_PORT=N        the server's port (default 11078)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$root/bin/lywatch
pdk=$root/testdata/pdk
out=$pdk/build/chip.gds
port=${LYWATCH_PORT:-11078}

if [ ! -x "$bin" ]; then
  echo "demo: $bin is missing; run 'make demo' (it builds lywatch first) or 'make build'" >&2
  exit 1
fi

if ! command -v klayout >/dev/null 2>&1; then
  cat >&2 <<'MSG'
demo: klayout is not installed. The example PDK is built with KLayout's Python
and the layout is shown in KLayout, so the demo needs it:
  Debian/Ubuntu:  sudo apt-get install klayout
  macOS:          brew install --cask klayout
  others:         https://www.klayout.de/build.html
then run 'make demo' again.
MSG
  exit 1
fi

cleanup_pids=()
cleanup() {
  for pid in "${cleanup_pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = Linux ]; then
  if [ "${LYWATCH_DEMO_XVFB:-}" = 1 ] && command -v Xvfb >/dev/null 2>&1; then
    # Xvfb picks a free display and writes its number to fd 3.
    fifo=$(mktemp -u); mkfifo "$fifo"
    Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$fifo" >/dev/null 2>&1 &
    cleanup_pids+=($!)
    read -r n <"$fifo"; rm -f "$fifo"
    export DISPLAY=":$n"
    echo "demo: no DISPLAY; KLayout runs headless under Xvfb on $DISPLAY (it stops with the demo)"
    headless=1
  else
    cat >&2 <<'MSG'
demo: no DISPLAY, so KLayout's window cannot be shown here. Either
  - run the demo in a desktop session or over 'ssh -X', or
  - LYWATCH_DEMO_XVFB=1 make demo   to run KLayout headless under Xvfb
    (apt-get install xvfb) and look with 'bin/lywatch klayout status'.
lywatch runs anyway and pushes as soon as a KLayout listens.
MSG
  fi
fi

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" != Linux ]; then
  if start_out=$("$bin" klayout start --name lywatch-demo --port "$port" 2>&1); then
    echo "$start_out"
    if [ "${headless:-}" = 1 ]; then
      pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' <<<"$start_out" | head -1)
      [ -n "$pid" ] && cleanup_pids+=("$pid")
    fi
  else
    echo "$start_out" >&2
    echo "demo: KLayout did not start; lywatch runs anyway and pushes when one listens" >&2
  fi
fi

cat <<MSG

demo: watching $pdk
      edit a factory, e.g. width_mmi in testdata/pdk/mypdk/components/mmi.py,
      and the new layout shows in KLayout with your view kept. Ctrl-C stops.

MSG
cd "$pdk"
# The KLayout started above, by its name (it took another port if $port was
# taken); the PDK's layer properties name its layers.
"$bin" --watch . --output build/chip.gds --klayout-name lywatch-demo --layer-properties mypdk/layers.lyp \
  -- klayout -b -r build.py -rd out=build/chip.gds || true
