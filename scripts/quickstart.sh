#!/usr/bin/env bash
# Installs everything needed and starts SecBot in all-in-one mode (intake :5000, results :5001, one worker) on the
# embedded SQLite database, with the shipped config.yml and .env.dev (+ .env.override if present). Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
export PATH="$root/.tools/bin:$PATH"
exec "$root/dist/secbot" all "$@"
