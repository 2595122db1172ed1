#!/usr/bin/env bash
# Installs everything SecBot needs to build, run and test on a Debian 12 machine, idempotently:
# the pinned Bun (npm), the project's packages (bun.lock), gitleaks v8.30.1 (Go module proxy) into .tools/bin,
# and the compiled `dist/secbot` binary. Prints where each tool came from.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

BUN_VERSION=$(node -p "require('./scripts/toolchain/package.json').dependencies.bun")
GITLEAKS_VERSION=v8.30.1
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
  echo "setup: installing gitleaks $GITLEAKS_VERSION with go install (Go module proxy)" >&2
  mkdir -p "$root/.tools/bin"
  GOBIN="$root/.tools/bin" GOFLAGS=-mod=mod go install \
    -ldflags "-X github.com/zricethezav/gitleaks/v8/version.Version=$GITLEAKS_VERSION" \
    "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"
fi

command -v git >/dev/null || { echo "setup: git is required (apt-get install -y git)" >&2; exit 1; }

if [ "${SECBOT_SKIP_BUILD:-0}" != "1" ]; then
  echo "setup: building dist/secbot" >&2
  bun run build >/dev/null
fi
echo "setup: ok (bun $(bun --version), gitleaks $("$gl" version), git $(git --version | cut -d' ' -f3))" >&2
