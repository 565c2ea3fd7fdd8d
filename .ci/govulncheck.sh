#!/usr/bin/env bash
# Runs govulncheck against an offline vulnerability database and fails on
# any vulnerability that the code reaches.
#
# The database is generated from the golang.org/x/vulndb module (served by
# the Go module proxy like any module): its cmd/gendb reads a git checkout,
# so the module is copied, committed into a fresh git repository, and gendb
# writes the database into a directory that govulncheck reads with
# -db file://DIR. The result is cached per vulndb version outside the tree
# (YISHI_VULNDB_DIR overrides the place).
#
#   bash .ci/govulncheck.sh            # check ./...
#   bash .ci/govulncheck.sh ./cmd/...  # check some packages
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

# Pinned: bump both together with the report in README's "Supply chain".
vulndb_version=v0.0.0-20261105234957-e22db6528018 # golang.org/x/vulndb
vuln_version=v1.9.0                                # golang.org/x/vuln (govulncheck)

cache="${XDG_CACHE_HOME:-$HOME/.cache}/yishi"
db="${YISHI_VULNDB_DIR:-$cache/vulndb-$vulndb_version}"
bin="$cache/govulncheck-$vuln_version"

if [ ! -x "$bin/govulncheck" ]; then
  GOBIN="$bin" go install "golang.org/x/vuln/cmd/govulncheck@$vuln_version"
fi

if [ ! -f "$db/index/db.json" ]; then
  src="$(go mod download -json "golang.org/x/vulndb@$vulndb_version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { echo "govulncheck.sh: golang.org/x/vulndb@$vulndb_version not downloaded" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cp -R "$src" "$work/repo"
  chmod -R u+w "$work/repo" # the module cache is read-only
  (
    cd "$work/repo"
    git init -q
    git add -A
    # A fixed identity, and the module version's date as the commit date
    # (govulncheck reports it as "DB updated"): the database does not
    # depend on who generated it, or when.
    stamp="$(echo "$vulndb_version" | sed -n 's/^v0\.0\.0-\([0-9]\{4\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)-.*/\1-\2-\3T\4:\5:\6Z/p')"
    GIT_AUTHOR_DATE="$stamp" GIT_COMMITTER_DATE="$stamp" \
      git -c user.name=yishi-ci -c user.email=ci@invalid -c commit.gpgsign=false \
      commit -q -m "golang.org/x/vulndb@$vulndb_version"
    go run ./cmd/gendb -repo . -out "$work/db"
  )
  mkdir -p "$(dirname "$db")"
  rm -rf "$db.tmp" && mv "$work/db" "$db.tmp" && mv "$db.tmp" "$db"
fi

"$bin/govulncheck" -db "file://$db" -version
# Exit status 3 means vulnerable code is reached; any non-zero fails CI.
"$bin/govulncheck" -db "file://$db" "${@:-./...}"
