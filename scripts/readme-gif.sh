#!/usr/bin/env bash
# make readme-gif: draws docs/watching.gif, the animation in the README's
# "Watching a layout grow". It copies the example PDK (testdata/pdk) to a
# scratch folder, builds it with `lywatch --once` through a few edits (each
# good build is a history frame), and renders the history with
# `lywatch replay --gif`: KLayout's own renderer, in one batch KLayout.
#
#   scripts/readme-gif.sh [OUT]     (default docs/watching.gif)
#
# Needs Go and klayout. The GIF is the same for the same KLayout version;
# other versions draw text and stipples a little differently.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-docs/watching.gif}
case "$out" in /*) ;; *) out=$root/$out ;; esac
command -v klayout >/dev/null || { echo "readme-gif: klayout is not installed (apt-get install klayout)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/lywatch" ./cmd/lywatch
cp -r testdata/pdk "$work/pdk"
rm -rf "$work/pdk/build"
cd "$work/pdk"
export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache NO_COLOR=1

build() {
  "$work/lywatch" --no-config --once --no-push --output build/chip.gds \
    -- klayout -b -r build.py -rd out=build/chip.gds > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
}
# edit FILE OLD NEW: one edit, then a build.
edit() {
  grep -qF -- "$2" "$1" || { echo "readme-gif: $1 has no '$2'" >&2; exit 1; }
  OLD=$2 NEW=$3 perl -0pi -e 's/\Q$ENV{OLD}\E/$ENV{NEW}/' "$1"
  build
}

build
edit chip.py "DELTA_LENGTHS = (10.0, 20.0, 40.0)" "DELTA_LENGTHS = (10.0, 20.0, 40.0, 80.0)"
edit mypdk/components/pads.py "size: float = 80.0" "size: float = 110.0"
edit chip.py "PAD_X = (200.0, 520.0)" "PAD_X = (200.0, 640.0)"
edit chip.py '"mypdk demo chip"' '"mypdk demo chip, rev B"'
"$work/lywatch" history --no-color
mkdir -p "$(dirname "$out")"
"$work/lywatch" replay --gif "$out" --size 640x440 --fps 1
