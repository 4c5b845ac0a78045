#!/usr/bin/env bash
# Side-by-side benchmark of the gds package against KLayout and gzip.
#
#   bench/gds/run.sh [RUNS]
#
# Makes bench/out/gds_big.gds (>= 150 MB, thousands of cells) with KLayout
# once (about 2 minutes), then, best of RUNS (default 3) runs each:
#   - KLayout 0.28.5's own Layout.read of the file (timed inside KLayout)
#     against `lywatch gds info --json` (read, hash on all cores, print),
#     with the peak RSS of the latter (/usr/bin/time -v);
#   - `gzip -1` of the file against `lywatch gds gzip` (read, write .gds.gz),
#     with both output sizes;
# and finally the package's `go test -bench` on the same file.
# Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
out=bench/out
mkdir -p "$out"
f=$out/gds_big.gds
if [ ! -s "$f" ]; then
  echo "making $f with KLayout ..."
  klayout -b -r bench/gds/make_layout.py -rd out="$f"
fi
go build -o "$out/lywatch" ./cmd/lywatch
size=$(stat -c %s "$f")
echo "file: $f, $size bytes ($((size / 1000000)) MB), $(nproc) cores"

best() { sort -g | head -1; }

kl=$(for _ in $(seq "$runs"); do
  klayout -b -r bench/gds/klayout_read.py -rd f="$f" | awk '/klayout_read_seconds/ {print $2}'
done | best)

ly=""; rss=0
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$out/lywatch" gds info --json "$f" > "$out/info.json"
  read -r t m < "$out/time.txt"
  ly="$ly $t"; ((m > rss)) && rss=$m
done
ly=$(tr ' ' '\n' <<<"$ly" | grep . | best)

gz=$(for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e" -o "$out/time.txt" gzip -1 -c "$f" > "$out/gzip1.gds.gz"; cat "$out/time.txt"
done | best)
lz=$(for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e" -o "$out/time.txt" "$out/lywatch" gds gzip "$f" "$out/lywatch.gds.gz"; cat "$out/time.txt"
done | best)
gzs=$(stat -c %s "$out/gzip1.gds.gz"); lzs=$(stat -c %s "$out/lywatch.gds.gz")

awk -v kl="$kl" -v ly="$ly" -v rss="$rss" -v size="$size" -v gz="$gz" -v lz="$lz" -v gzs="$gzs" -v lzs="$lzs" 'BEGIN {
  printf "read:  KLayout Layout.read %.2f s; lywatch gds info %.2f s (read+hash+print): %.1fx faster\n", kl, ly, kl / ly
  printf "peak RSS of lywatch gds info: %d MB (file %d MB)\n", rss / 1024, size / 1000000
  printf "gzip:  gzip -1 %.2f s; lywatch gds gzip %.2f s (read+write): %.1fx faster; size %d vs %d bytes (%+.1f%%)\n", gz, lz, gz / lz, gzs, lzs, 100 * (lzs - gzs) / gzs
}'
echo "go test -bench (same file):"
LYWATCH_BENCH_GDS="$PWD/$f" go test -run '^$' -bench . -benchtime 3x ./gds | grep -E '^Benchmark'
