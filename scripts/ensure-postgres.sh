#!/usr/bin/env bash
# Makes sure a local PostgreSQL server runs and has the test role, idempotently (Debian 12: PostgreSQL 15).
# Used by `scripts/test.sh` and `.ci/run`. Prints the URL the tests use.
set -euo pipefail
PG_USER=${SECBOT_TEST_PG_USER:-secbot}
PG_PASS=${SECBOT_TEST_PG_PASSWORD:-secbot}

if ! command -v pg_ctlcluster >/dev/null || [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  echo "ensure-postgres: installing postgresql from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
if ! pg_lsclusters -h | grep -q '^15 *main'; then
  pg_createcluster 15 main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
  echo "ensure-postgres: starting cluster 15/main" >&2
  pg_ctlcluster 15 main start
fi
for _ in $(seq 1 50); do
  su postgres -c "psql -Atqc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
su postgres -c "psql -v ON_ERROR_STOP=1 -Atq" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASS';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $PG_USER OWNER $PG_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_USER')\gexec
SQL
echo "postgres://$PG_USER:$PG_PASS@127.0.0.1:5432/$PG_USER"
