#!/usr/bin/env bash
# One command to see SecBot work: installs what is missing (Bun, packages, gitleaks), builds dist/secbot, then runs
# scripts/demo.ts — a local git server with a sample leaking repository, SecBot, a push event, the gate's answer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/setup.sh
export PATH="$root/scripts/toolchain/node_modules/.bin:$root/.tools/bin:$PATH"
exec bun scripts/demo.ts "$@"
