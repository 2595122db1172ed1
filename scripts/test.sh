#!/usr/bin/env bash
# The whole test suite, on a fresh clone: installs the toolchain (Bun, packages, gitleaks), builds the secbot binary
# (end-to-end tests run it), makes sure the local PostgreSQL server runs (both queue back ends are tested) and that
# Chromium (the check page is tested in a browser), busybox and docker-compose v1 are installed, then runs `bun test`.
# Extra arguments go to `bun test` (e.g. a file filter).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
# Installs a Debian package unless its command is there; refreshes the package lists once if the first try fails.
debian_install() { # command package why
  command -v "$1" >/dev/null && return 0
  echo "test: installing $2 from Debian ($3)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
}
# The CI gate's tests run ci/secbot-gate.sh in a busybox-only environment (wget, no curl), as in an alpine image.
debian_install busybox busybox "for the CI gate's wget tests"
# docker-compose.v1.yml is validated by docker-compose v1 itself (`config -q`); no Docker engine is needed for that.
debian_install docker-compose docker-compose "to validate docker-compose.v1.yml" ||
  { [ "${CI:-}" != "true" ] && echo "test: could not install docker-compose; its one test will be skipped" >&2; }
export SECBOT_TEST_PG_URL=${SECBOT_TEST_PG_URL:-$(./scripts/ensure-postgres.sh)}
export SECBOT_TEST_CHROMIUM=${SECBOT_TEST_CHROMIUM:-$(./scripts/ensure-chromium.sh)}
export PATH="$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin:$PATH"
exec bun test --timeout 60000 "$@"
