#!/usr/bin/env bash
# Installs everything SecBot needs to build, run and test on a Debian 12 machine, idempotently:
# the pinned Bun (npm), the project's packages (bun.lock), gitleaks v8.30.1 (Go module proxy) into .tools/bin,
# openapi-spec-validator (PyPI) into .tools/venv for the API docs test, and the compiled `dist/secbot` binary.
# Nothing is put on PATH: the last lines say where bun and secbot are and how to reach them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# Sets go_toolchain for `go install`, or stops with what to install.
check_go() {
  local fix="install Go >= 1.21 (Debian 12: apt-get install -y -t bookworm-backports golang-1.22-go and put /usr/lib/go-1.22/bin first on PATH, or a release from https://go.dev/dl/), then run this script again"
  if ! command -v go >/dev/null; then
    echo "setup: gitleaks $GITLEAKS_VERSION is built with Go, and go is not installed: $fix" >&2
    exit 1
  fi
  local have
  have=$(go version | awk '{print $3}' | sed 's/^go//')
  go_toolchain=${GOTOOLCHAIN:-auto}
  if version_ge "$have" "$GITLEAKS_GO"; then return; fi
  if ! version_ge "$have" 1.21; then
    echo "setup: go $have is too old to build gitleaks $GITLEAKS_VERSION (it needs Go $GITLEAKS_GO; Debian 12's golang-go is 1.19): $fix" >&2
    exit 1
  fi
  # 1.21 <= go < GITLEAKS_GO: let go download the toolchain gitleaks asks for, even if GOTOOLCHAIN=local was set.
  echo "setup: go $have is older than Go $GITLEAKS_GO that gitleaks needs; go will download go$GITLEAKS_GO from the Go module proxy" >&2
  go_toolchain="go$GITLEAKS_GO+auto"
}

BUN_VERSION=$(node -p "require('./scripts/toolchain/package.json').dependencies.bun")
GITLEAKS_VERSION=v8.30.1
# gitleaks v8.30.1's go.mod says `go 1.24.11`. Go >= 1.21 fetches that toolchain itself (GOTOOLCHAIN=auto, from the
# Go module proxy); older Go (Debian 12 ships 1.19) cannot build it at all.
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
