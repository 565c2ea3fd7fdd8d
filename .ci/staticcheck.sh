#!/usr/bin/env bash
# Runs staticcheck at a pinned version (installed with go install into a
# cache outside the tree) and fails on any finding.
#
#   bash .ci/staticcheck.sh            # check ./...
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

version=v0.8.2 # honnef.co/go/tools (staticcheck 2026.2.2, supports go1.27)
bin="${XDG_CACHE_HOME:-$HOME/.cache}/yishi/staticcheck-$version"
if [ ! -x "$bin/staticcheck" ]; then
  GOBIN="$bin" go install "honnef.co/go/tools/cmd/staticcheck@$version"
fi
"$bin/staticcheck" -version
# Exit status 1 on any finding.
"$bin/staticcheck" "${@:-./...}"
