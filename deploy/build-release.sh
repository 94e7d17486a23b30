#!/usr/bin/env bash
# Builds the release binary: one statically linked executable with SQLite compiled in
# (cgo), so it runs on any Linux of the same architecture with nothing else installed,
# including an empty container image.
#
#   deploy/build-release.sh [VERSION] [OUTPUT]
#
# VERSION defaults to `git describe --tags --always --dirty` (or "dev" outside a git
# checkout); OUTPUT defaults to ./afterglow. Needs Go, a C compiler and the C library's
# static archives (libc6-dev on Debian and Ubuntu).
#
# The tags keep the binary free of glibc's run-time loading: netgo resolves names in Go
# (no NSS), osusergo looks users up in Go, and sqlite_omit_load_extension drops SQLite's
# dlopen, which a static binary cannot use anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
output=${2:-afterglow}

CGO_ENABLED=1 go build -trimpath \
  -tags osusergo,netgo,sqlite_omit_load_extension \
  -ldflags "-linkmode external -extldflags -static -X main.version=${version}" \
  -o "$output" .
echo "built $output (afterglow $version)"
