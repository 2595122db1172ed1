#!/usr/bin/env bash
# The whole test suite, on a fresh clone: installs the toolchain (Bun, packages, gitleaks), builds the secbot binary
# (end-to-end tests run it), makes sure the local PostgreSQL server runs (both queue back ends are tested) and that
# Chromium (the check page is tested in a browser), busybox and docker-compose v1 are installed, then runs `bun test`.
# Extra arguments go to `bun test` (e.g. a file filter).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
# The CI gate's tests run ci/secbot-gate.sh in a busybox-only environment (wget, no curl), as in an alpine image.
if ! command -v busybox >/dev/null; then
  echo "test: installing busybox from Debian (for the CI gate's wget tests)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox >/dev/null ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox >/dev/null; }
fi
# docker-compose.v1.yml is validated by docker-compose v1 itself (`config -q`); no Docker engine is needed for that.
if ! command -v docker-compose >/dev/null; then
  echo "test: installing docker-compose v1 from Debian (to validate docker-compose.v1.yml)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; } ||
    { [ "${CI:-}" != "true" ] && echo "test: could not install docker-compose; its one test will be skipped" >&2; }
fi
export SECBOT_TEST_PG_URL=${SECBOT_TEST_PG_URL:-$(./scripts/ensure-postgres.sh)}
export SECBOT_TEST_CHROMIUM=${SECBOT_TEST_CHROMIUM:-$(./scripts/ensure-chromium.sh)}
export PATH="$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin:$PATH"
exec bun test --timeout 60000 "$@"
