#!/usr/bin/env bash
# Installs telegram-test-api (a Bot API server emulator) outside the tracked
# tree and prints the path of its entry point. Idempotent: a second run with
# the same version only prints the path.
#
#   export YISHI_TG_EMULATOR="$(.ci/install-telegram-emulator.sh)"
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 # like every script here, though this one runs no go

version="${YISHI_TG_EMULATOR_VERSION:-4.2.1}"
dir="${YISHI_TG_EMULATOR_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/yishi/tg-emulator-$version}"
pkg="$dir/node_modules/telegram-test-api"

installed_version() {
  [ -f "$pkg/package.json" ] || return 1
  node -e 'process.stdout.write(require(process.argv[1]).version)' "$pkg/package.json"
}

if [ "$(installed_version 2>/dev/null || true)" != "$version" ]; then
  command -v npm >/dev/null || { echo "install-telegram-emulator: npm not found" >&2; exit 1; }
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || printf '{"name":"yishi-tg-emulator","private":true}\n' >"$dir/package.json"
  # Progress goes to stderr so stdout carries only the path.
  npm install --prefix "$dir" --no-audit --no-fund --omit=dev --save-exact \
    "telegram-test-api@$version" >&2
fi

# The package's "main" is its programmatic entry point (TelegramServer).
main="$(node -e 'const p=require(process.argv[1]); process.stdout.write(p.main||"index.js")' "$pkg/package.json")"
entry="$pkg/$main"
[ -f "$entry" ] || { echo "install-telegram-emulator: entry point $entry missing" >&2; exit 1; }
echo "$entry"
