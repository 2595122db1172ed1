#!/usr/bin/env bash
# The whole test suite, on a fresh clone: installs the toolchain (Bun, packages, gitleaks), builds the secbot binary
# (end-to-end tests run it), makes sure the local PostgreSQL server runs (both queue back ends are tested) and that
# Chromium is installed (the check page is tested in a browser), then runs `bun test`. Extra arguments go to
# `bun test` (e.g. a file filter).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
export SECBOT_TEST_PG_URL=${SECBOT_TEST_PG_URL:-$(./scripts/ensure-postgres.sh)}
export SECBOT_TEST_CHROMIUM=${SECBOT_TEST_CHROMIUM:-$(./scripts/ensure-chromium.sh)}
export PATH="$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin:$PATH"
exec bun test --timeout 60000 "$@"
