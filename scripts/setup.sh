#!/usr/bin/env bash
# Installs everything SecBot needs to build, run and test on a Debian 12 machine, idempotently:
# the pinned Bun (npm), the project's packages (bun.lock), gitleaks v8.30.1 (Go module proxy) into .tools/bin,
# openapi-spec-validator (PyPI) into .tools/venv for the API docs test, and the compiled `dist/secbot` binary.
# Nothing is put on PATH: the last lines say where bun and secbot are and how to reach them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# shellcheck source=lib/go-check.sh
. "$root/scripts/lib/go-check.sh"

BUN_VERSION=$(node -p "require('./scripts/toolchain/package.json').dependencies.bun")
GITLEAKS_VERSION=v8.30.1
# gitleaks v8.30.1's go.mod says `go 1.24.11`: see scripts/lib/go-check.sh for what that needs.
GITLEAKS_GO=1.24.11
bun_bin="$root/scripts/toolchain/node_modules/.bin/bun"

if [ ! -x "$bun_bin" ] || [ "$("$bun_bin" --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "setup: installing bun $BUN_VERSION from npm" >&2
  (cd scripts/toolchain && npm ci --no-audit --no-fund --loglevel=error)
fi
export PATH="$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin:$PATH"

echo "setup: bun install (frozen lockfile)" >&2
bun install --frozen-lockfile >/dev/null

gl="$root/.tools/bin/gitleaks"
if [ ! -x "$gl" ] || ! "$gl" version 2>/dev/null | grep -qx "$GITLEAKS_VERSION"; then
  check_go
  echo "setup: installing gitleaks $GITLEAKS_VERSION with go install (Go module proxy)" >&2
  mkdir -p "$root/.tools/bin"
  GOBIN="$root/.tools/bin" GOFLAGS=-mod=mod GOTOOLCHAIN="$go_toolchain" go install \
    -ldflags "-X github.com/zricethezav/gitleaks/v8/version.Version=$GITLEAKS_VERSION" \
    "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"
fi

command -v git >/dev/null || { echo "setup: git is required (apt-get install -y git)" >&2; exit 1; }

# openapi-spec-validator: the API docs test validates /docs/json of intake and results with it.
venv="$root/.tools/venv"
requirements="$root/scripts/toolchain/requirements-openapi.txt"
osv_version=$(sed -n 's/^openapi-spec-validator==//p' "$requirements")
# Run as `python -m`: the venv's console scripts hard-code the path the venv was created at.
osv() { "$venv/bin/python" -m openapi_spec_validator "$@"; }
if [ "$(osv --version 2>/dev/null)" != "openapi-spec-validator $osv_version" ]; then
  echo "setup: installing openapi-spec-validator $osv_version (PyPI) into .tools/venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >/dev/null || { echo "setup: python3 -m venv failed; on Debian: apt-get install -y python3-venv" >&2; exit 1; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
fi

if [ "${SECBOT_SKIP_BUILD:-0}" != "1" ]; then
  echo "setup: building dist/secbot" >&2
  bun run build >/dev/null
fi
echo "setup: ok (bun $(bun --version), gitleaks $("$gl" version), git $(git --version | cut -d' ' -f3), $(osv --version))" >&2
cat >&2 <<EOF
setup: nothing was added to PATH. The tools are here:
  bun       $bun_bin
  gitleaks  $gl
  secbot    $root/dist/secbot
To use them by name in this shell:
  export PATH="$root/dist:$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin:\$PATH"
EOF
