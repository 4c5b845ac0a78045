#!/usr/bin/env bash
# Cross-compiles every package for macOS and Windows: scripts/cross.sh.
# It names each package that does not build for a system. Only the packages
# CROSS_REQUIRED lists (go list patterns, default ./runner/...) fail the run;
# those are also vetted with their tests for each system. Widen the list as
# more packages build everywhere, up to CROSS_REQUIRED=./... .
set -uo pipefail
cd "$(dirname "$0")/.."
required=${CROSS_REQUIRED:-./runner/...}
mapfile -t req < <(go list $required)
is_required() { local p; for p in "${req[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
failed=0
for os in darwin windows; do
  bad=()
  while read -r pkg; do
    if ! out=$(GOOS=$os GOARCH=amd64 go build -o /dev/null "$pkg" 2>&1); then
      bad+=("$pkg")
      if is_required "$pkg"; then
        echo "$out"
        echo "cross: $pkg does not build for $os (required)"
        failed=1
      fi
    fi
  done < <(GOOS=$os go list -f '{{if .GoFiles}}{{.ImportPath}}{{end}}' ./...) # test-only packages have nothing to build
  for pkg in "${req[@]}"; do
    if ! GOOS=$os GOARCH=amd64 go vet "$pkg"; then
      echo "cross: go vet $pkg fails for $os (required)"
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
