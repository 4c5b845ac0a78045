#!/usr/bin/env bash
# Benchmarks of depgraph on a generated PDK of 2,000 files and 20,000
# functions (half of them @cell factories), on one core (GOMAXPROCS=1):
#   - cold scan: read, tokenize and link everything;
#   - rescan one edited file and compute the invalidation;
#   - an edit of a 50 MB generated module, over the size limit (BenchmarkLargeFile);
# and, side by side, Python's own ast.parse over the same files (what a
# Python-side scanner would at least cost). Usage: bench/depgraph/run.sh [benchtime]
set -euo pipefail
cd "$(dirname "$0")/../.."
t=${1:-10x}
dir=$(mktemp -d /tmp/lywatch-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "== go test -bench (GOMAXPROCS=1, -benchtime $t); cpu-ms/op is CPU time, robust to a busy machine"
LYWATCH_BENCH_DIR=$dir GOMAXPROCS=1 go test -run '^$' -bench . -benchtime "$t" -benchmem ./depgraph/ | grep -E '^(Benchmark|ok|FAIL)'
nfiles=$(find "$dir" -name '*.py' | wc -l)
lines=$(find "$dir" -name '*.py' -print0 | xargs -0 cat | wc -l)
echo "== generated tree: $nfiles files, $lines lines"
if command -v python3 >/dev/null; then
  echo "== side by side: python3 ast.parse of the same files (one process, one core)"
  find "$dir" -name '*.py' | python3 -c '
import ast, sys, time
paths = [l.strip() for l in sys.stdin]
t0 = time.process_time()
for p in paths:
    with open(p, "rb") as f:
        ast.parse(f.read(), p)
print("python3 ast.parse: %d files in %.0f ms CPU" % (len(paths), (time.process_time() - t0) * 1000))
'
fi
