#!/usr/bin/env bash
# The postgres service's first start (an empty data volume): the portal's two database roles.
# pa_owner owns the database and runs migrations (docker-compose's migrate service); pa_app is
# what the web app, worker and beat connect as. `manage.py migrate`, run as pa_owner with
# DATABASE_APP_ROLE=pa_app, then grants pa_app its DML (audit/roles.py). The superuser
# (POSTGRES_USER) is for administration only; no portal process knows its password.
# pa_app gets CONNECT only, no TEMPORARY: a temporary table could shadow one of ours in its
# session. pa_owner, the database's owner, keeps its own rights.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner_password="$PA_OWNER_PASSWORD" -v app_password="$PA_APP_PASSWORD" <<'SQL'
CREATE ROLE pa_owner LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE pa_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE pa_portal OWNER pa_owner;
REVOKE ALL ON DATABASE pa_portal FROM PUBLIC;
GRANT CONNECT ON DATABASE pa_portal TO pa_app;
SQL
