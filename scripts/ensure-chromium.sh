#!/usr/bin/env bash
# The page tests drive Debian's Chromium through playwright-core; a browser that
# playwright downloads itself cannot be fetched here, so install Debian's package.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "The page tests need Debian's chromium at /usr/bin/chromium:" >&2
  echo "  sudo apt-get install -y chromium" >&2
  exit 1
fi
echo "Installing Debian's chromium for the page tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
