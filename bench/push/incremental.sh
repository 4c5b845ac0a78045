#!/usr/bin/env bash
# bench/push/incremental.sh [N]: a one-cell edit of a large layout open in
# KLayout, side by side in one run: lywatch's incremental push (only the
# changed cell travels, read into the open layout with OverwriteCell)
# against KLayout's full reload of the same file, N rounds (default 10)
# alternated. Uses bench/out/gds_big.gds (>= 150 MB, made with KLayout by
# bench/gds/make_layout.py once, about two minutes). Starts its own KLayout
# with the lywatch server (under Xvfb when there is no DISPLAY), with HOME
# in a temporary directory. Needs go, klayout (and Xvfb without a DISPLAY).
# Not part of `make test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-10}
work=$(mktemp -d)
pids=()
cleanup() {
  [ -n "${port:-}" ] && "$work/lywatch" klayout stop --klayout "127.0.0.1:$port" --force >/dev/null 2>&1 || true
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

big=${BIG:-$root/bench/out/gds_big.gds}
if [ ! -s "$big" ]; then
  mkdir -p "$(dirname "$big")"
  echo "making $big with KLayout (about two minutes) ..."
  klayout -b -r "$root/bench/gds/make_layout.py" -rd out="$big"
fi
(cd "$root" && go build -o "$work/lywatch" ./cmd/lywatch && go build -o "$work/incremental" ./bench/push/incremental)
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config"
unset LYWATCH_TOKEN
mkdir -p "$HOME"
if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || { echo "incremental.sh: no DISPLAY and no Xvfb" >&2; exit 1; }
  fifo="$work/displayfd"; mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$fifo" >/dev/null 2>&1 &
  pids+=($!)
  read -r d <"$fifo"
  export DISPLAY=":$d"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$("$work/lywatch" klayout start --port "$port" --wait 60s)
pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' <<<"$out" | head -1)
[ -n "$pid" ] && pids+=("$pid")
echo "KLayout $(klayout -v | sed 's/KLayout //'), $(nproc) CPUs"
mkdir -p "$work/layouts"
"$work/incremental" -addr "127.0.0.1:$port" -layout "$big" -dir "$work/layouts" -n "$n"
