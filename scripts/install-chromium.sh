#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian's `chromium` and `chromium-driver`)
# for the dashboard's browser test (crates/cs-cli/tests/it/dashboard.rs), when they are
# missing and this runs as root with apt-get. It never fails: where it cannot install, it
# says why and exits 0, and the browser test then reports itself skipped on stderr.
# Set CS_SKIP_CHROMIUM_INSTALL=1 to leave the machine as it is.
set -uo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

say() { echo "install-chromium: $*" >&2; }

if [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; then
  exit 0
fi
if [ "${CS_SKIP_CHROMIUM_INSTALL:-}" = 1 ]; then
  say "CS_SKIP_CHROMIUM_INSTALL=1: not installing; the dashboard's browser test will skip"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  say "not root, so not installing chromium and chromium-driver (as root: apt-get install chromium chromium-driver); the dashboard's browser test will skip"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "no apt-get on this machine: install Chromium and chromedriver at $CHROMIUM and $DRIVER by hand; the dashboard's browser test will skip"
  exit 0
fi

say "installing Debian's chromium and chromium-driver"
export DEBIAN_FRONTEND=noninteractive
# Bounded, so a package mirror that hangs cannot eat CI's time.
if ! timeout 300 apt-get update -qq; then
  say "apt-get update failed or timed out; trying the install with the package lists as they are"
fi
if ! timeout 900 apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null; then
  say "apt-get install chromium chromium-driver failed or timed out; the dashboard's browser test will skip"
  exit 0
fi
if [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; then
  say "installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium), $("$DRIVER" --version 2>/dev/null | head -n1)"
else
  say "the packages installed but $CHROMIUM or $DRIVER is missing; the dashboard's browser test will skip"
fi
exit 0
