# Sourced by scripts/setup.sh (and its test): can the installed Go build gitleaks, whose go.mod asks for Go
# $GITLEAKS_GO? Go >= 1.21 fetches that toolchain itself (GOTOOLCHAIN, from the Go module proxy); older Go (Debian
# 12's golang-go is 1.19) cannot build it at all, and the fix is to install a newer Go.

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# Sets go_toolchain for `go install`, or stops with what to install.
check_go() {
  local fix="install Go >= 1.21, then run this script again. Either a release from https://go.dev/dl/ (tar -C /usr/local -xzf go*.linux-amd64.tar.gz; export PATH=/usr/local/go/bin:\$PATH), or on Debian 12 from bookworm-backports (echo 'deb http://deb.debian.org/debian bookworm-backports main' >/etc/apt/sources.list.d/backports.list; apt-get update; apt-get install -y -t bookworm-backports golang-1.22-go; export PATH=/usr/lib/go-1.22/bin:\$PATH)"
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

