#!/usr/bin/env bash
# Installs the system packages the test suite needs, when they are missing:
# redis-server (tests start their own on free ports), promtool (alert rules),
# unzip (the cached helm binary), chromium (the admin UI browser tests) and a
# CJK font for it (fonts-noto-cjk, so Chinese screenshots show characters, not
# boxes). Uses apt-get as root; otherwise prints a hint.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Only the browser needs the font: install it with chromium, or when chromium has no Chinese font.
if [[ " ${need[*]} " == *" chromium "* ]] || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then need+=(fonts-noto-cjk); fi

if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies: all present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${need[*]} — install them with your package manager (Debian: apt-get install -y ${need[*]})" >&2
  exit 1
fi

echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts services it installs; the tests start their own, so stop these.
if [ -x /usr/bin/prometheus ]; then pkill -x prometheus >/dev/null 2>&1 || true; fi
