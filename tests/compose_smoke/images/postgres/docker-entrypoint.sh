#!/usr/bin/env bash
# Entry point of the postgres stand-in: a compact re-implementation of the official
# image's docker-entrypoint.sh, keeping the behaviour compose files rely on.
set -Eeo pipefail

# `docker run postgres:16 -c foo=bar` means `postgres -c foo=bar`.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

# Support POSTGRES_PASSWORD_FILE & co (docker secrets), like the official image.
for var in POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB POSTGRES_INITDB_ARGS; do
    file_var="${var}_FILE"
    if [ -n "${!file_var:-}" ]; then
        export "$var"="$(< "${!file_var}")"
        unset "$file_var"
    fi
done

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
    # As root: fix ownership of the data dir (a fresh volume is root-owned),
    # then re-exec this script as the postgres user.
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    mkdir -p /var/run/postgresql
    chown postgres:postgres /var/run/postgresql
    chmod 3777 /var/run/postgresql
    exec gosu postgres "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    export POSTGRES_USER POSTGRES_DB
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != 'trust' ]; then
        echo >&2 'Error: Database is uninitialized and superuser password is not specified.'
        echo >&2 '       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust).'
        exit 1
    fi

    # (the process substitution must sit on initdb's own command line: its fd is
    # closed as soon as the command that created it ends)
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list, as upstream
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") ${POSTGRES_INITDB_ARGS:-}
    else
        initdb --username="$POSTGRES_USER" ${POSTGRES_INITDB_ARGS:-}
    fi

    # Local socket: trust (initdb's default); any network client: a password.
    printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"

    # Temporary server on the unix socket only, so nothing on the network sees a
    # half-initialised database (and `pg_isready -h 127.0.0.1` stays false meanwhile).
    PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start

    export PGPASSWORD="${PGPASSWORD:-${POSTGRES_PASSWORD:-}}"
    psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    # Helper for sourced init scripts, as in the official image.
    docker_process_sql() { "${psql[@]}" --dbname "$POSTGRES_DB" "$@"; }

    if [ "$POSTGRES_DB" != 'postgres' ]; then
        "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db" ;'
    fi

    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    echo "$0: running $f"; "$f"
                else
                    echo "$0: sourcing $f"; . "$f"
                fi ;;
            *.sql) echo "$0: running $f"; docker_process_sql -f "$f" ;;
            *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | docker_process_sql ;;
            *) if [ -e "$f" ]; then echo "$0: ignoring $f"; fi ;;
        esac
    done

    PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGPASSWORD
    echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
