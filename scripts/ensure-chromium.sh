#!/usr/bin/env bash
# Makes sure Debian's headless-capable Chromium is installed (the check page is tested in a real browser), idempotently.
# Used by `scripts/test.sh` (and so `.ci/run`). Prints the browser's path.
set -euo pipefail
if ! command -v chromium >/dev/null; then
  echo "ensure-chromium: installing chromium from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
fi
command -v chromium
