#!/usr/bin/env bash
# Cross-compiles every package for macOS and Windows: scripts/cross.sh.
# Every package must build for both; a package that does not is named and
# fails the run. The packages CROSS_VET lists (go list patterns) are also
# vetted with their tests for each system; the others' tests use Unix-only
# test helpers (Xvfb, process groups).
set -uo pipefail
cd "$(dirname "$0")/.."
required=${CROSS_VET:-./runner/... ./session/... ./config/... ./project/... ./pipeline/... ./watcher/... ./tracing/... ./replay/... ./render/... ./geomdiff/...}
mapfile -t req < <(go list $required)
failed=0
for os in darwin windows; do
  bad=()
  while read -r pkg; do
    if ! out=$(GOOS=$os GOARCH=amd64 go build -o /dev/null "$pkg" 2>&1); then
      bad+=("$pkg")
      echo "$out"
      echo "cross: $pkg does not build for $os"
      failed=1
    fi
  done < <(GOOS=$os go list -f '{{if .GoFiles}}{{.ImportPath}}{{end}}' ./...) # test-only packages have nothing to build
  for pkg in "${req[@]}"; do
    if ! GOOS=$os GOARCH=amd64 go vet "$pkg"; then
      echo "cross: go vet $pkg fails for $os"
      failed=1
    fi
  done
  if ((${#bad[@]})); then
    echo "cross: $os: ${#bad[@]} packages do not build: ${bad[*]}"
  else
    echo "cross: $os: every package builds"
  fi
done
exit $failed
