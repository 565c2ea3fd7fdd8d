#!/usr/bin/env bash
# Installs Debian's Chromium and the Noto CJK fonts for the browser tests
# (cmd/yishi/browser_test.go, chromedp) and prints the browser's path.
# Everything else goes to stderr.
set -euo pipefail
have_fonts() { command -v fc-list >/dev/null && fc-list 2>/dev/null | grep -qi 'Noto.*CJK'; }
if ! command -v chromium >/dev/null || ! have_fonts; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fontconfig >&2
fi
command -v chromium
