#!/usr/bin/env bash
# The whole test suite, on a fresh clone: installs the toolchain (Bun, packages, gitleaks) and busybox, builds the
# secbot binary (end-to-end tests run it), makes sure the local PostgreSQL server runs (both queue back ends are
# tested), then runs `bun test`. Extra arguments go to `bun test` (e.g. a file filter).
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
export SECBOT_TEST_PG_URL=${SECBOT_TEST_PG_URL:-$(./scripts/ensure-postgres.sh)}
export PATH="$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin:$PATH"
exec bun test --timeout 60000 "$@"
