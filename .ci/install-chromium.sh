#!/bin/sh
# Installs Debian's chromium and CJK fonts for the browser tests of
# adapters/web (chromedp). Run as root on a fresh Debian machine; the tests
# find the binary through YISHI_CHROMIUM (default /usr/bin/chromium).
set -eu
export DEBIAN_FRONTEND=noninteractive
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk fontconfig
fi
chromium --version
fc-list :lang=zh family | head -n 3
