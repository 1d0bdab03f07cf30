#!/bin/sh
# One database and one role per service; each role owns its database and
# can connect to no other (CONNECT is revoked from PUBLIC).
#
# Runs from the postgres container's /docker-entrypoint-initdb.d on first
# start, and against any server in tests (psql honours PGHOST/PGPORT/PGUSER).
#   CAUSEWAY_SERVICES     services to create databases for
#   CAUSEWAY_DB_PREFIX    prefix of database and role names (tests use a per-run prefix)
#   DB_PASSWORD_<SERVICE> a service's password (upper-case name); default <service>-db-password
set -eu

services="${CAUSEWAY_SERVICES:-identity platform orders inventory billing subscriptions notifications}"
prefix="${CAUSEWAY_DB_PREFIX:-}"
admin_db="${POSTGRES_DB:-postgres}"
admin_user="${POSTGRES_USER:-${PGUSER:-postgres}}"

for service in $services; do
    name="${prefix}${service}"
    upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
    password=$(eval "echo \${DB_PASSWORD_${upper}:-${service}-db-password}")
    psql -v ON_ERROR_STOP=1 -q --username "$admin_user" --dbname "$admin_db" \
         -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
    echo "created database and role $name"
done
