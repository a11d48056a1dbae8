#!/usr/bin/env bash
# Start a private PostgreSQL 15 cluster for tests on 127.0.0.1:${HELPDESK_PG_PORT:-54329}.
#
# Idempotent: when the cluster already runs it only re-checks the role and
# database. Creates role helpdesk/helpdesk (LOGIN CREATEDB, so Django can
# create test databases) and database helpdesk, then prints the URL.
set -euo pipefail
SERVICE_NAME=postgres
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -x $PG_BIN/pg_ctl || ! -x $PG_BIN/psql ]]; then
    apt_install postgresql-15 postgresql-client-15
fi
[[ -x $PG_BIN/initdb ]] || die "$PG_BIN/initdb not found after install"
if [[ $EUID -eq 0 ]] && ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    die "OS user $PG_OS_USER does not exist (it comes with postgresql-common)"
fi

pg_paths create
mkdir -p "$PG_SOCKET_DIR"
[[ $EUID -eq 0 ]] && chown "$PG_OS_USER": "$PG_SOCKET_DIR"

if [[ ! -s $PGDATA_DIR/PG_VERSION ]]; then
    log "initdb $PGDATA_DIR"
    as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PG_OS_USER" -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
        { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    as_pg sh -c "printf '\n%s\n' \"include_if_exists = 'helpdesk.conf'\" >> '$PGDATA_DIR/postgresql.conf'"
fi

# Settings we own; rewritten on every run so a changed port takes effect.
# fsync and friends are off: this cluster holds throwaway test data only.
as_pg tee "$PGDATA_DIR/helpdesk.conf" >/dev/null <<CONF
# Written by deploy/services/postgres.sh; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 100
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
CONF

running_port() {
    # Line 4 of postmaster.pid is the port of the running postmaster.
    sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null
}

if as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; then
    if [[ "$(running_port)" != "$PG_PORT" ]]; then
        log "running on port $(running_port), restarting on $PG_PORT"
        as_pg "$PG_BIN/pg_ctl" restart -D "$PGDATA_DIR" -m fast -w -t 60 -s -l "$PG_LOG"
    else
        log "already running (pid $(sed -n 1p "$PGDATA_DIR/postmaster.pid"))"
    fi
else
    if port_open "$PG_PORT"; then
        die "port $PG_PORT is taken by another process; set HELPDESK_PG_PORT or stop it"
    fi
    log "starting on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 -s ||
        { tail -n 30 "$PG_LOG" >&2; die "pg_ctl start failed"; }
fi

wait_until 60 "postgres to accept connections" \
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" ||
    { tail -n 30 "$PG_LOG" >&2; die "postgres is not ready"; }

# Role and database, created only when missing (password/CREATEDB reasserted).
as_pg "$PG_BIN/psql" -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_OS_USER" -d postgres \
    -v ON_ERROR_STOP=1 -v app_user="$PG_APP_USER" -v app_password="$PG_APP_PASSWORD" \
    -v app_db="$PG_APP_DB" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'app_user', :'app_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db') \gexec
SQL

# Prove the application credentials work over TCP, as the tests will use them.
version="$(PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -At "$(pg_url)" -c 'SHOW server_version')" ||
    die "cannot connect as $PG_APP_USER"
log "ready: PostgreSQL $version"
log "url: $(pg_url)"
