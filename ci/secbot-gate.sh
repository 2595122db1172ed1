#!/bin/sh
# SecBot pipeline gate: waits for SecBot's verdict on this pipeline's commit and passes or fails the job.
#
#   exit 0  success: SecBot finished and found nothing open
#   exit 1  fail (open findings), error (SecBot could not finish the check), timeout, or an unusable HTTP answer
#   exit 2  the job is misconfigured (a variable is missing or malformed)
#
# Needs only POSIX sh, curl or wget (busybox's, as alpine ships it, or GNU's), sha256sum, sed, grep, tr and awk. jq is
# used when present (titles and links of every finding, and a second reading of the answer); without it the script
# reads SecBot's JSON with grep and awk, so a plain image is enough.
#
# It passes only on a well-formed SecBot answer for the check it asked about: one JSON object, no duplicate keys,
# `security_check_id` equal to this pipeline's id and `status` one of not_started, in_progress, error, fail,
# success. Anything else (an HTML page from a proxy, two concatenated documents, another check's answer) fails.
# Control characters (ESC sequences, CR) are removed from everything it prints.
#
# Variables (defaults live here, not in the job's `variables:`, so that a pipeline's global variables apply):
#   SECBOT_URL            base URL of SecBot's results service, e.g. https://secbot.example.com (required); a URL
#                         that already ends in /v1/security/gitlab/check, as in the original service's snippet, works too
#   SECBOT_PREFIX         check-id prefix of this GitLab instance in SecBot's GITLAB_CONFIGS (default GIT_LOCAL)
#   SECBOT_TIMEOUT        seconds to wait for a final verdict (default 900)
#   SECBOT_POLL_INTERVAL  seconds between polls (default 10)
#   SECBOT_RESULTS_TOKEN  optional read token of the results service, sent as `Authorization: Bearer …` (make it a
#                         masked CI/CD variable). Never printed.
#   SECBOT_CA_FILE        CA bundle for a privately signed SecBot certificate (optional; curl or GNU wget). TLS is
#                         always verified unless SECBOT_INSECURE=true, which prints a warning: prefer SECBOT_CA_FILE.
#                         busybox wget is used for https only where it verifies certificates (alpine's ssl_client).
#   SECBOT_HTTP_RETRIES   consecutive connection errors / 5xx / 429 tolerated before giving up (default 3)
#   SECBOT_NOT_STARTED_GRACE  seconds to keep waiting when SecBot says why the commit will not be checked (an event
#                         no job matches, an unknown prefix, a check removed by retention) before failing (default 60;
#                         the event that would start a check may still be on its way)
#   SECBOT_JQ             jq command (default jq); set to a missing command to read the answer without jq
#   CI_SERVER_HOST, CI_PROJECT_PATH, CI_COMMIT_SHA   set by GitLab CI
#
# The script never prints SECBOT_RESULTS_TOKEN or other variables than the ones above, and strips any user:password@
# from SECBOT_URL before printing it. With curl the token is passed in a file, not on the command line; wget has no
# such option. Do not run it with `set -x`.
set -u

# ESC sequences could recolour, hide or rewrite lines of the job log and a CR overwrite one: every printed value
# loses its C0 and C1 control characters (C1 as UTF-8: C2 80..C2 9F), and newlines and tabs become spaces.
C1=$(printf '\302[\200-\237]')
clean() { LC_ALL=C tr '\n\t' '  ' | LC_ALL=C tr -d '\000-\037\177' | LC_ALL=C sed "s/$C1//g"; }
say() { printf '%s\n' "$(printf '%s' "$*" | clean)"; }
die_config() { say "SecBot gate: configuration error: $*" >&2; exit 2; }

SECBOT_PREFIX=${SECBOT_PREFIX:-GIT_LOCAL}
SECBOT_TIMEOUT=${SECBOT_TIMEOUT:-900}
SECBOT_POLL_INTERVAL=${SECBOT_POLL_INTERVAL:-10}
SECBOT_RESULTS_TOKEN=${SECBOT_RESULTS_TOKEN:-}
SECBOT_CA_FILE=${SECBOT_CA_FILE:-}
SECBOT_INSECURE=${SECBOT_INSECURE:-false}
SECBOT_HTTP_RETRIES=${SECBOT_HTTP_RETRIES:-3}
SECBOT_NOT_STARTED_GRACE=${SECBOT_NOT_STARTED_GRACE:-60}
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
# A newline in the token would smuggle a header into the request; the value itself is never printed.
case $SECBOT_RESULTS_TOKEN in
  *[[:space:][:cntrl:]]*) die_config "SECBOT_RESULTS_TOKEN contains whitespace or control characters (copy the token again)" ;;
esac
if [ -n "$SECBOT_CA_FILE" ] && [ ! -r "$SECBOT_CA_FILE" ]; then
  die_config "SECBOT_CA_FILE=$SECBOT_CA_FILE is not a readable file"
fi

if command -v curl >/dev/null 2>&1; then
  CLIENT=curl
elif command -v wget >/dev/null 2>&1; then
  if wget --help 2>&1 | grep -q BusyBox; then CLIENT=busybox-wget; else CLIENT=gnu-wget; fi
else
  die_config "curl or wget is required (alpine: apk add --no-cache curl)"
fi

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256; }
else
  die_config "sha256sum is required"
fi

# The check id, computed as the original service's pipeline snippet does:
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
case $URL in
  [Hh][Tt][Tt][Pp][Ss]://*) HTTPS=1 ;;
  *) HTTPS=0 ;;
esac
# busybox wget verifies certificates only through alpine's ssl_client helper; Debian's busybox hands TLS to
# `openssl s_client` or its own code, neither of which checks the certificate, so anyone on the path could answer.
if [ "$CLIENT" = busybox-wget ] && [ "$HTTPS" = 1 ]; then
  [ -z "$SECBOT_CA_FILE" ] || die_config "busybox wget cannot use SECBOT_CA_FILE; install curl (apk add --no-cache curl)"
  if [ "$SECBOT_INSECURE" != true ] && ! command -v ssl_client >/dev/null 2>&1; then
    die_config "this busybox wget cannot verify TLS certificates (no ssl_client); install curl (apk add --no-cache curl)"
  fi
fi

if command -v "$SECBOT_JQ" >/dev/null 2>&1; then HAVE_JQ=1; else HAVE_JQ=0; fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t secbot-gate) || die_config "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
BODY="$tmp/body"
ERR="$tmp/err"
AUTH="$tmp/auth"
if [ -n "$SECBOT_RESULTS_TOKEN" ]; then
  (umask 077 && printf 'Authorization: Bearer %s\n' "$SECBOT_RESULTS_TOKEN" >"$AUTH")
fi

# --- reading SecBot's answer -----------------------------------------------------------------------------------------
STATUSES='not_started in_progress error fail success'
# One JSON token per line (strings, numbers, literals, punctuation); any other character becomes a token of its own,
# which the reader below rejects. Strings hold no raw newline, so a line is never split inside a valid string.
TOKEN_RE='"([^"\\]|\\.)*"|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null|[^[:space:]]'

# A strict reader of the token stream: exactly one JSON object with no duplicate key at any depth. Prints
# "ok <status>" (status and security_check_id checked) or "invalid <why>", then the top-level reason, decoded.
# shellcheck disable=SC2016 # the program is awk, not shell
READER='
function hexval(h,   i, v) { v = 0; for (i = 1; i <= 4; i++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1; return v }
function unjson(t,   out, i, c, h, v) {
  t = substr(t, 2, length(t) - 2)
  if (t ~ ctrl) { bad = "a raw control character in a string"; return "" }
  out = ""
  while ((i = index(t, "\\")) > 0) {
    out = out substr(t, 1, i - 1); c = substr(t, i + 1, 1)
    if (c == "u") {
      h = substr(t, i + 2, 4)
      if (h !~ /^[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]$/) { bad = "an invalid \\u escape"; return "" }
      v = hexval(h); out = out ((v >= 32 && v < 127) ? sprintf("%c", v) : "\\u" tolower(h)); t = substr(t, i + 6)
    } else if (c == "\"" || c == "\\" || c == "/") { out = out c; t = substr(t, i + 2) }
    else if (c != "" && index("bfnrt", c) > 0) { out = out "\\" c; t = substr(t, i + 2) }
    else { bad = "an invalid escape"; return "" }
  }
  return out t
}
function value_done() { if (depth == 0) expect = "end"; else expect = "sep" }
function scalar(tok,   s) {
  if (depth == 1 && top_key != "") { if (substr(tok, 1, 1) == "\"") { s = unjson(tok); top[top_key] = s } else top[top_key] = "\001" }
  else if (substr(tok, 1, 1) == "\"") unjson(tok)
  value_done()
}
BEGIN { ctrl = "["; for (i = 1; i < 32; i++) ctrl = ctrl sprintf("%c", i); ctrl = ctrl "]"; expect = "value"; depth = 0; objs = 0; bad = "" }
bad != "" { next }
{
  tok = $0; c = substr(tok, 1, 1)
  if (expect == "end") { bad = "data after the JSON document"; next }
  if (expect == "value" || expect == "value_or_close") {
    if (expect == "value_or_close" && tok == "]") { depth--; value_done(); next }
    if (depth == 0 && tok != "{") { bad = "not a JSON object"; next }
    if (depth == 1 && top_key != "" && (tok == "{" || tok == "[")) top[top_key] = "\001"
    if (tok == "{") { if (++depth > 64) { bad = "nested too deeply"; next }; kind[depth] = "o"; id[depth] = ++objs; expect = "key_or_close"; next }
    if (tok == "[") { if (++depth > 64) { bad = "nested too deeply"; next }; kind[depth] = "a"; expect = "value_or_close"; next }
    if (c == "\"" && length(tok) >= 2 && substr(tok, length(tok)) == "\"") { scalar(tok); next }
    if (tok ~ /^-?[0-9]/ || tok == "true" || tok == "false" || tok == "null") { scalar(tok); next }
    bad = "not JSON"; next
  }
  if (expect == "key" || expect == "key_or_close") {
    if (expect == "key_or_close" && tok == "}") { depth--; value_done(); next }
    if (c != "\"" || length(tok) < 2) { bad = "not JSON (expected a key)"; next }
    k = unjson(tok)
    if ((id[depth], k) in seen) { bad = "a duplicate key"; next }
    seen[id[depth], k] = 1
    if (depth == 1) top_key = k
    expect = "colon"; next
  }
  if (expect == "colon") { if (tok != ":") bad = "not JSON (expected :)"; else expect = "value"; next }
  if (expect == "sep") {
    if (tok == ",") { expect = (kind[depth] == "o") ? "key" : "value"; next }
    if (tok == "}" && kind[depth] == "o") { depth--; value_done(); next }
    if (tok == "]" && kind[depth] == "a") { depth--; value_done(); next }
    bad = "not JSON (expected , or a closing bracket)"; next
  }
}
END {
  if (bad == "" && expect != "end") bad = (NR == 0) ? "an empty answer" : "not JSON (incomplete)"
  if (bad == "" && !("security_check_id" in top)) bad = "no security_check_id"
  else if (bad == "" && top["security_check_id"] != want) bad = "an answer for another check (security_check_id differs)"
  if (bad == "") { st = ("status" in top) ? top["status"] : ""; n = split(statuses, list, " "); ok = 0; for (i = 1; i <= n; i++) if (st == list[i]) ok = 1; if (!ok) bad = "no known status" }
  if (bad != "") print "invalid " bad; else print "ok " st
  r = ("reason" in top && top["reason"] != "\001") ? top["reason"] : ""
  print r
}'

# jq reads the same answer a second way; both readings must agree. Duplicate keys vanish when jq parses the
# document, so the parsed value has fewer stream events than the text.
JQ_READER='
  [inputs] as $ev
  | [fromstream($ev[])] as $docs
  | if ($docs | length) != 1 then "invalid more than one JSON document"
    elif ($docs[0] | type) != "object" then "invalid not a JSON object"
    elif ([$docs[0] | tostream] | length) != ($ev | length) then "invalid a duplicate key"
    elif $docs[0].security_check_id != $id then "invalid an answer for another check (security_check_id differs)"
    elif ($docs[0].status as $s | any(("not_started", "in_progress", "error", "fail", "success"); . == $s) | not) then "invalid no known status"
    else "ok \($docs[0].status)" end'

# Sets VERDICT ("ok <status>" or "invalid <why>") and REASON from $BODY.
read_answer() {
  if [ "$(wc -c <"$BODY")" -gt 8388608 ]; then VERDICT='invalid an answer over 8 MB'; REASON=''; return; fi
  if [ "$(LC_ALL=C tr -d '\000' <"$BODY" | wc -c)" != "$(wc -c <"$BODY")" ]; then VERDICT='invalid a NUL byte'; REASON=''; return; fi
  LC_ALL=C grep -oE "$TOKEN_RE" "$BODY" | LC_ALL=C awk -v want="$CHECK_ID" -v statuses="$STATUSES" "$READER" >"$tmp/read" 2>/dev/null ||
    printf 'invalid unreadable\n\n' >"$tmp/read"
  VERDICT=$(head -n 1 "$tmp/read")
  REASON=$(sed -n 2p "$tmp/read")
  if [ "$HAVE_JQ" = 1 ] && [ "${VERDICT%% *}" = ok ]; then
    jq_verdict=$("$SECBOT_JQ" -rn --stream --arg id "$CHECK_ID" "$JQ_READER" <"$BODY" 2>/dev/null) || jq_verdict='invalid not JSON'
    if [ "$jq_verdict" != "$VERDICT" ]; then
      case $jq_verdict in
        invalid\ *) VERDICT=$jq_verdict ;;
        *) VERDICT='invalid jq and the built-in reader disagree' ;;
      esac
    fi
  fi
  case $VERDICT in ok\ *) ;; invalid\ *) ;; *) VERDICT='invalid unreadable' ;; esac
}

# The sed fallback of details_of: field NAME is the first "NAME":"value" in stdin (a string value), unescaped.
JSTR='"(([^"\\]|\\.)*)"'
unescape() { sed -E 's/\\"/"/g; s/\\\//\//g; s/\\\\/\\/g'; }
field() {
  grep -oE "\"$1\"[[:space:]]*:[[:space:]]*$JSTR" | head -n 1 | sed -E "s/^\"$1\"[[:space:]]*:[[:space:]]*\"//; s/\"\$//" | unescape
}

# What a human needs to act on: each output's report link and each open finding's severity, title, place and link. Only called
# once the answer was read as a valid SecBot answer; every line still goes through `say`.
MAX_FINDINGS=50
details_of() {
  if [ "$HAVE_JQ" = 1 ]; then
    # shellcheck disable=SC2016 # $max is a jq variable, not a shell one
    "$SECBOT_JQ" -r --argjson max "$MAX_FINDINGS" '
      def c: tostring | gsub("[\\x{0}-\\x{1f}\\x{7f}-\\x{9f}]"; " ");
      (.outputs[]? | "  report from \(.name // "output" | c) (scan \(.scan // "?" | c)): \(.url // "no link" | c)"),
      ([(.findings // [])[] | select(.open)] as $open |
        ($open[:$max][] | "    - \(if .severity then "[\(.severity | c)] " else "" end)\(.title // "finding" | c)\(if .file then " (\(.file | c):\(.line // 0 | c), commit \((.commit // "")[0:8] | c)\(if .inherited then ", inherited" else "" end))" else "" end): \(.url // "no link" | c)"),
        (if ($open | length) > $max then "    ... and \(($open | length) - $max) more" else empty end))
    ' <"$BODY" 2>/dev/null | while IFS= read -r line; do say "$line"; done
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

# A number of the answer's `counts` object (findings, open, inherited, unscanned…), or 0.
count_of() {
  if [ "$HAVE_JQ" = 1 ]; then
    n=$("$SECBOT_JQ" -r --arg k "$1" '(.counts // {})[$k] // 0 | tonumber? // 0' <"$BODY" 2>/dev/null)
  else
    n=$(tr '\n' ' ' <"$BODY" | grep -oE '"counts"[[:space:]]*:[[:space:]]*\{[^{}]*\}' | head -n 1 |
      grep -oE "\"$1\"[[:space:]]*:[[:space:]]*[0-9]+" | head -n 1 | grep -oE '[0-9]+$')
  fi
  case $n in '' | *[!0-9]*) echo 0 ;; *) echo "$n" ;; esac
}

# A body excerpt for the log, on one line, without control characters.
excerpt() { say "$(head -c "${2:-500}" "$1")"; }

# --- polling ---------------------------------------------------------------------------------------------------------
fetch_curl() {
  set -- -sS -o "$BODY" -w '%{http_code}' --connect-timeout 10 --max-time 30 \
    -H 'Accept: application/json' -A 'secbot-gate/1'
  [ -n "$SECBOT_RESULTS_TOKEN" ] && set -- "$@" -H "@$AUTH"
  [ -n "$SECBOT_CA_FILE" ] && set -- "$@" --cacert "$SECBOT_CA_FILE"
  [ "$SECBOT_INSECURE" = true ] && set -- "$@" -k
  HTTP_CODE=$(curl "$@" "$URL" 2>"$ERR") || HTTP_CODE=000
}

# wget reports the status line with -S (on stderr); the last one counts (after redirects). 000: no answer.
fetch_wget() {
  set -- -q -S -O "$BODY" --header 'Accept: application/json' -U 'secbot-gate/1'
  if [ "$CLIENT" = gnu-wget ]; then
    set -- "$@" -T 30 -t 1 --content-on-error
    [ -n "$SECBOT_CA_FILE" ] && set -- "$@" --ca-certificate="$SECBOT_CA_FILE"
  fi
  [ "$SECBOT_INSECURE" = true ] && set -- "$@" --no-check-certificate
  [ -n "$SECBOT_RESULTS_TOKEN" ] && set -- "$@" --header "Authorization: Bearer $SECBOT_RESULTS_TOKEN"
  # busybox wget may be built without a timeout option of its own.
  if [ "$CLIENT" = busybox-wget ] && command -v timeout >/dev/null 2>&1; then set -- timeout 30 wget "$@"; else set -- wget "$@"; fi
  "$@" "$URL" 2>"$ERR" >/dev/null
  HTTP_CODE=$(grep -oE 'HTTP/[0-9.]+ [0-9]{3}' "$ERR" | tail -n 1 | sed -E 's/.* //')
  [ -n "$HTTP_CODE" ] || HTTP_CODE=000
}

fetch() {
  : >"$BODY"
  if [ "$CLIENT" = curl ]; then fetch_curl; else fetch_wget; fi
}

start=$(date +%s)
deadline=$((start + SECBOT_TIMEOUT))
elapsed() { echo $(($(date +%s) - start)); }

say "SecBot gate: ${CI_PROJECT_PATH} @ ${CI_COMMIT_SHA}"
say "SecBot gate: security_check_id ${CHECK_ID}"
say "SecBot gate: polling ${SHOWN_URL} every ${SECBOT_POLL_INTERVAL}s for up to ${SECBOT_TIMEOUT}s"
[ "$SECBOT_INSECURE" = true ] && say "SecBot gate: WARNING: SECBOT_INSECURE=true, the server's TLS certificate is NOT verified"
[ "$CLIENT" = curl ] || say "SecBot gate: curl not found, using wget"
[ "$HAVE_JQ" = 1 ] || say "SecBot gate: jq not found, reading the JSON with grep and awk"
[ -n "$SECBOT_RESULTS_TOKEN" ] && say "SecBot gate: sending the read token (SECBOT_RESULTS_TOKEN)"

failures=0
last=''
while :; do
  fetch
  case $HTTP_CODE in
    200)
      failures=0
      read_answer
      status=${VERDICT#ok }
      case $VERDICT in
        invalid\ *)
          say "[$(elapsed)s] not a SecBot answer for this check (${VERDICT#invalid }):"
          excerpt "$BODY"
          say "SecBot gate: FAILED (check SECBOT_URL: something other than SecBot's results service answered)"
          exit 1
          ;;
        'ok success')
          triaged=$(count_of findings)
          if [ "$triaged" -gt 0 ]; then
            say "[$(elapsed)s] success --> no open findings: $triaged finding(s) in this commit's history were triaged in DefectDojo (false positive, risk accepted, out of scope or mitigated)"
          else
            say "[$(elapsed)s] success --> No vulnerabilities found"
          fi
          unscanned=$(count_of unscanned)
          [ "$unscanned" -gt 0 ] && say "  note: $unscanned file(s) could not be scanned (binary or too large); the check page lists them"
          say "SecBot gate: passed"
          exit 0
          ;;
        'ok fail' | 'ok error')
          if [ "$status" = fail ]; then say "[$(elapsed)s] fail --> Vulnerabilities found"; else say "[$(elapsed)s] error --> SecBot could not complete the check"; fi
          [ -n "$REASON" ] && say "  reason: $REASON"
          details_of
          say "SecBot gate: FAILED (status $status)"
          exit 1
          ;;
        'ok not_started')
          # With a reason SecBot knows the commit will not be checked; the event that would start it may still be
          # on its way, so wait a little before failing with the fix instead of waiting for the whole timeout.
          last="$status${REASON:+ ($REASON)}"
          if [ -n "$REASON" ]; then
            [ -n "${unchecked_since:-}" ] || unchecked_since=$(date +%s)
            if [ $(($(date +%s) - unchecked_since)) -ge "$SECBOT_NOT_STARTED_GRACE" ]; then
              say "[$(elapsed)s] not_started --> this commit will not be checked: $REASON"
              say "SecBot gate: FAILED (fix the cause above: config.yml jobs, GITLAB_CONFIGS, SECBOT_PREFIX, or push again)"
              exit 1
            fi
          else
            unchecked_since=''
          fi
          say "[$(elapsed)s] $last, waiting"
          ;;
        *)
          # in_progress. Every poll prints a line, so a long wait shows what SecBot is doing.
          unchecked_since=''
          last="$status${REASON:+ ($REASON)}"
          say "[$(elapsed)s] $last, waiting"
          ;;
      esac
      ;;
    000 | 429 | 5??)
      # The service may be restarting or overloaded: tolerate a few in a row, never past the deadline.
      failures=$((failures + 1))
      if [ "$HTTP_CODE" = 000 ]; then what="cannot reach SecBot: $(head -c 300 "$ERR")"; else what="HTTP $HTTP_CODE"; fi
      say "[$(elapsed)s] $what (attempt $failures of $((SECBOT_HTTP_RETRIES + 1)))"
      if [ "$failures" -gt "$SECBOT_HTTP_RETRIES" ]; then
        [ -s "$BODY" ] && excerpt "$BODY"
        say "SecBot gate: FAILED (SecBot did not answer usefully)"
        exit 1
      fi
      ;;
    401 | 403)
      say "[$(elapsed)s] HTTP $HTTP_CODE from SecBot:"
      excerpt "$BODY"
      say "SecBot gate: FAILED (SecBot refused the request: check SECBOT_RESULTS_TOKEN)"
      exit 1
      ;;
    *)
      # 4xx other than 429: a wrong URL or a malformed id; waiting will not fix it.
      say "[$(elapsed)s] Something went wrong, HTTP $HTTP_CODE from SecBot:"
      excerpt "$BODY"
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
