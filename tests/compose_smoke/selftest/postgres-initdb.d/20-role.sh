#!/bin/bash
# Self-test init script for the postgres stand-in: .sh scripts may use psql as
# POSTGRES_USER over the init server's socket, like one role + database per service.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE app LOGIN PASSWORD 'app-password';
CREATE DATABASE appdb OWNER app;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname appdb \
    -c "CREATE TABLE marker (note text); ALTER TABLE marker OWNER TO app; INSERT INTO marker VALUES ('from 20-role.sh');"
