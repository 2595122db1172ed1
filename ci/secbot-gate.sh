#!/bin/sh
# SecBot pipeline gate (seed §3.5): waits for SecBot's verdict on this pipeline's commit and passes or fails the job.
#
#   exit 0  success: SecBot finished and found nothing open
#   exit 1  fail (open findings), error (SecBot could not finish the check), timeout, or an unusable HTTP answer
#   exit 2  the job is misconfigured (a variable is missing or malformed)
#
# Needs only POSIX sh, curl, sha256sum, sed and grep. jq is used when present (titles and links of every finding);
# without it the script falls back to sed/grep on SecBot's JSON, so a plain image with curl is enough.
#
# Variables (defaults live here, not in the job's `variables:`, so that a pipeline's global variables apply):
#   SECBOT_URL            base URL of SecBot's results service, e.g. https://secbot.example.com (required); a URL
#                         that already ends in /v1/security/gitlab/check, as in the seed's snippet, works too
#   SECBOT_PREFIX         check-id prefix of this GitLab instance in SecBot's GITLAB_CONFIGS (default GIT_LOCAL)
#   SECBOT_TIMEOUT        seconds to wait for a final verdict (default 900)
#   SECBOT_POLL_INTERVAL  seconds between polls (default 10)
#   SECBOT_CA_FILE        CA bundle for a privately signed SecBot certificate (optional). TLS is always verified
#                         unless SECBOT_INSECURE=true, which prints a warning: prefer SECBOT_CA_FILE.
#   SECBOT_HTTP_RETRIES   consecutive connection errors / 5xx / 429 tolerated before giving up (default 3)
#   SECBOT_JQ             jq command (default jq); set to a missing command to force the sed fallback
#   CI_SERVER_HOST, CI_PROJECT_PATH, CI_COMMIT_SHA   set by GitLab CI
#
# The gate API needs no credentials, and this script handles none: it never prints variables other than the ones
# above, and strips any user:password@ from SECBOT_URL before printing it. Do not run it with `set -x`.
set -u

say() { printf '%s\n' "$*"; }
die_config() { say "SecBot gate: configuration error: $*" >&2; exit 2; }

SECBOT_PREFIX=${SECBOT_PREFIX:-GIT_LOCAL}
SECBOT_TIMEOUT=${SECBOT_TIMEOUT:-900}
SECBOT_POLL_INTERVAL=${SECBOT_POLL_INTERVAL:-10}
SECBOT_CA_FILE=${SECBOT_CA_FILE:-}
SECBOT_INSECURE=${SECBOT_INSECURE:-false}
SECBOT_HTTP_RETRIES=${SECBOT_HTTP_RETRIES:-3}
SECBOT_JQ=${SECBOT_JQ:-jq}

[ -n "${SECBOT_URL:-}" ] || die_config "SECBOT_URL is not set (the base URL of SecBot's results service, e.g. https://secbot.example.com)"
for v in CI_SERVER_HOST CI_PROJECT_PATH CI_COMMIT_SHA; do
  eval "val=\${$v:-}"
  [ -n "$val" ] || die_config "$v is not set (GitLab CI sets it; outside CI export it yourself)"
done
case $SECBOT_PREFIX in
  *[!A-Za-z0-9_]*) die_config "SECBOT_PREFIX may contain only letters, digits and _ (got '$SECBOT_PREFIX')" ;;
esac
case $SECBOT_TIMEOUT in
  '' | *[!0-9]*) die_config "SECBOT_TIMEOUT must be whole seconds (got '$SECBOT_TIMEOUT')" ;;
esac
case $SECBOT_HTTP_RETRIES in
  '' | *[!0-9]*) die_config "SECBOT_HTTP_RETRIES must be a whole number (got '$SECBOT_HTTP_RETRIES')" ;;
esac
# sleep(1) of coreutils and busybox both take fractions, which keeps the tests fast.
case $SECBOT_POLL_INTERVAL in
  '' | . | *[!0-9.]* | *.*.*) die_config "SECBOT_POLL_INTERVAL must be a number of seconds (got '$SECBOT_POLL_INTERVAL')" ;;
esac
if [ -n "$SECBOT_CA_FILE" ] && [ ! -r "$SECBOT_CA_FILE" ]; then
  die_config "SECBOT_CA_FILE=$SECBOT_CA_FILE is not a readable file"
fi
command -v curl >/dev/null 2>&1 || die_config "curl is required (apk add --no-cache curl)"

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256; }
else
  die_config "sha256sum is required"
fi

# The check id, computed as seed §3.5 does:
#   GIT_LOCAL_$(echo -n "${CI_SERVER_HOST}:${CI_PROJECT_PATH}_${CI_COMMIT_SHA}" | sha256sum | head -c64)
# with the prefix taken from SECBOT_PREFIX and `echo -n` written as printf '%s': the same bytes, but some shells'
# echo prints "-n" or expands backslashes, and then the id would no longer match what SecBot computes
# (src/core/check-id.ts; test/unit/deploy/ci-gate.test.ts checks both agree).
CHECK_ID="${SECBOT_PREFIX}_$(printf '%s' "${CI_SERVER_HOST}:${CI_PROJECT_PATH}_${CI_COMMIT_SHA}" | sha256 | head -c64)"

base=${SECBOT_URL%/}
base=${base%/v1/security/gitlab/check}
URL="$base/v1/security/gitlab/check/$CHECK_ID"
# For logs only: never print credentials someone put into the URL.
SHOWN_URL=$(printf '%s' "$URL" | sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@#\1***@#')

if command -v "$SECBOT_JQ" >/dev/null 2>&1; then HAVE_JQ=1; else HAVE_JQ=0; fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t secbot-gate) || die_config "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
BODY="$tmp/body"
ERR="$tmp/err"

# --- reading SecBot's answer -----------------------------------------------------------------------------------------
# With jq: the documented fields. Without: sed/grep over the one-line JSON SecBot sends; string values are JSON
# strings, so a quote inside them is always escaped and cannot end a match early.
JSTR='"(([^"\\]|\\.)*)"'

unescape() { sed -E 's/\\"/"/g; s/\\\//\//g; s/\\\\/\\/g'; }

# field NAME: the first "NAME":"value" in stdin (a string value), unescaped.
field() {
  grep -oE "\"$1\"[[:space:]]*:[[:space:]]*$JSTR" | head -n 1 | sed -E "s/^\"$1\"[[:space:]]*:[[:space:]]*\"//; s/\"\$//" | unescape
}

status_of() {
  if [ "$HAVE_JQ" = 1 ]; then
    "$SECBOT_JQ" -r 'if type == "object" then (.status // "") else "" end' <"$BODY" 2>/dev/null
  else
    # SecBot writes `status` first, and nested objects call theirs `state`: the first match is the verdict.
    tr '\n' ' ' <"$BODY" | grep -oE '"status"[[:space:]]*:[[:space:]]*"[a-z_]*"' | head -n 1 | sed -E 's/.*"([a-z_]*)"$/\1/'
  fi
}

reason_of() {
  if [ "$HAVE_JQ" = 1 ]; then
    "$SECBOT_JQ" -r '.reason // empty | tostring' <"$BODY" 2>/dev/null
  else
    tr '\n' ' ' <"$BODY" | field reason
  fi
}

# What a human needs to act on: each output's report link and each finding's severity, title and link.
MAX_FINDINGS=50
details_of() {
  if [ "$HAVE_JQ" = 1 ]; then
    # shellcheck disable=SC2016 # $max is a jq variable, not a shell one
    "$SECBOT_JQ" -r --argjson max "$MAX_FINDINGS" '
      (.outputs[]? | "  report from \(.name // "output") (scan \(.scan // "?")): \(.url // "no link")"),
      ([(.findings // [])[] | select(.open)] as $open |
        ($open[:$max][] | "    - \(if .severity then "[\(.severity)] " else "" end)\(.title // "finding")\(if .file then " (\(.file):\(.line // 0), commit \((.commit // "")[0:8])\(if .inherited then ", inherited" else "" end))" else "" end): \(.url // "no link")"),
        (if ($open | length) > $max then "    ... and \(($open | length) - $max) more" else empty end))
    ' <"$BODY" 2>/dev/null
  else
    flat=$(tr '\n' ' ' <"$BODY")
    # Findings are flat objects with a title; once they are removed, the remaining "url"s are the outputs' links.
    printf '%s' "$flat" | sed -E 's/\{[^{}]*"title"[[:space:]]*:[^{}]*\}//g' | grep -oE "\"url\"[[:space:]]*:[[:space:]]*$JSTR" |
      sed -E 's/^"url"[[:space:]]*:[[:space:]]*"//; s/"$//' | unescape | while IFS= read -r u; do say "  report: $u"; done
    printf '%s' "$flat" | grep -oE '\{[^{}]*"title"[[:space:]]*:[^{}]*\}' | head -n "$MAX_FINDINGS" | while IFS= read -r obj; do
      t=$(printf '%s' "$obj" | field title)
      s=$(printf '%s' "$obj" | field severity)
      u=$(printf '%s' "$obj" | field url)
      say "    - ${s:+[$s] }${t:-finding}: ${u:-no link}"
    done
  fi
}

# --- polling ---------------------------------------------------------------------------------------------------------
fetch() {
  set -- -sS -o "$BODY" -w '%{http_code}' --connect-timeout 10 --max-time 30 \
    -H 'Accept: application/json' -A 'secbot-gate/1'
  [ -n "$SECBOT_CA_FILE" ] && set -- "$@" --cacert "$SECBOT_CA_FILE"
  [ "$SECBOT_INSECURE" = true ] && set -- "$@" -k
  : >"$BODY"
  HTTP_CODE=$(curl "$@" "$URL" 2>"$ERR") || HTTP_CODE=000
}

start=$(date +%s)
deadline=$((start + SECBOT_TIMEOUT))
elapsed() { echo $(($(date +%s) - start)); }

say "SecBot gate: ${CI_PROJECT_PATH} @ ${CI_COMMIT_SHA}"
say "SecBot gate: security_check_id ${CHECK_ID}"
say "SecBot gate: polling ${SHOWN_URL} every ${SECBOT_POLL_INTERVAL}s for up to ${SECBOT_TIMEOUT}s"
[ "$SECBOT_INSECURE" = true ] && say "SecBot gate: WARNING: SECBOT_INSECURE=true, the server's TLS certificate is NOT verified"
[ "$HAVE_JQ" = 1 ] || say "SecBot gate: jq not found, reading the JSON with sed"

failures=0
last=''
while :; do
  fetch
  case $HTTP_CODE in
    200)
      failures=0
      status=$(status_of)
      reason=$(reason_of)
      case $status in
        success)
          say "[$(elapsed)s] success --> No vulnerabilities found"
          say "SecBot gate: passed"
          exit 0
          ;;
        fail | error)
          if [ "$status" = fail ]; then say "[$(elapsed)s] fail --> Vulnerabilities found"; else say "[$(elapsed)s] error --> SecBot could not complete the check"; fi
          [ -n "$reason" ] && say "  reason: $reason"
          details_of
          say "SecBot gate: FAILED (status $status)"
          exit 1
          ;;
        not_started | in_progress)
          # Every poll prints a line, so a long wait shows it is alive and what SecBot is doing.
          last="$status${reason:+ ($reason)}"
          say "[$(elapsed)s] $last, waiting"
          ;;
        *)
          say "[$(elapsed)s] unexpected answer from SecBot (HTTP 200 without a known status):"
          head -c 500 "$BODY"; say ''
          say "SecBot gate: FAILED"
          exit 1
          ;;
      esac
      ;;
    000 | 429 | 5??)
      # The service may be restarting or overloaded: tolerate a few in a row, never past the deadline.
      failures=$((failures + 1))
      if [ "$HTTP_CODE" = 000 ]; then what="cannot reach SecBot: $(head -c 300 "$ERR" | tr '\n' ' ' | sed 's/ *$//')"; else what="HTTP $HTTP_CODE"; fi
      say "[$(elapsed)s] $what (attempt $failures of $((SECBOT_HTTP_RETRIES + 1)))"
      if [ "$failures" -gt "$SECBOT_HTTP_RETRIES" ]; then
        [ -s "$BODY" ] && { head -c 500 "$BODY"; say ''; }
        say "SecBot gate: FAILED (SecBot did not answer usefully)"
        exit 1
      fi
      ;;
    *)
      # 4xx other than 429: a wrong URL or a malformed id; waiting will not fix it.
      say "[$(elapsed)s] Something went wrong, HTTP $HTTP_CODE from SecBot:"
      head -c 500 "$BODY"; say ''
      say "SecBot gate: FAILED (check SECBOT_URL and SECBOT_PREFIX)"
      exit 1
      ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    say "SecBot gate: FAILED (timeout: no final verdict after ${SECBOT_TIMEOUT}s; last status: ${last:-none})"
    exit 1
  fi
  sleep "$SECBOT_POLL_INTERVAL"
done
