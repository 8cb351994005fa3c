#!/usr/bin/env bash
# Runs smoke.sql (projections and row-level security, checked in SQL) on a fresh database that
# pm-admin migrates, so the SQL checks keep pace with the migrations and the projectors.
#   run_smoke.sh PM_ADMIN      (PM_TEST_DATABASE_URL: a superuser URL of the test cluster)
set -euo pipefail
admin_url=${PM_TEST_DATABASE_URL:?"set PM_TEST_DATABASE_URL (scripts/pg-throwaway start prints it)"}
db=pm_sql_smoke_$$_$RANDOM
psql "$admin_url" -qc "CREATE DATABASE $db"
trap 'psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
url=${admin_url%/*}/$db
"$1" --database-url "$url" migrate >/dev/null
psql -v ON_ERROR_STOP=1 -q -f "$(dirname "$0")/smoke.sql" "$url"
echo "smoke.sql passed"
