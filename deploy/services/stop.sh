#!/usr/bin/env bash
# Stop the services started by deploy/services/*.sh (by pid file; pg_ctl for
# PostgreSQL). Stopping something that is not running is a no-op.
set -euo pipefail
SERVICE_NAME=stop
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# stop_pid NAME PID : SIGTERM, wait up to 30s, then SIGKILL.
stop_pid() {
    local name=$1 pid=$2 i
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || { log "$name stopped"; return 0; }
        sleep 0.5
    done
    warn "$name did not stop in 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

if pid="$(search_pid)"; then
    stop_pid opensearch "$pid"
else
    log "opensearch not running"
fi
rm -f "$SEARCH_PIDFILE"

if pid="$(redis_pid)"; then
    stop_pid redis "$pid"
else
    log "redis not running"
fi
rm -f "$REDIS_PIDFILE"

pg_paths
if [[ -x $PG_BIN/pg_ctl && -s $PGDATA_DIR/PG_VERSION ]] &&
    as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; then
    log "stopping postgres"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 60 -s
    log "postgres stopped"
else
    log "postgres not running"
fi
