#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 20s).
# go test -fuzz takes one target and one package at a time, so list them first.
set -euo pipefail
t=${1:-20s}
cd "$(dirname "$0")/.."
mapfile -t pkgs < <(go list ./...)
n=0
for pkg in "${pkgs[@]}"; do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== fuzz $pkg $target for $t"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg"
    n=$((n+1))
  done
done
echo "fuzzed $n targets for $t each"
