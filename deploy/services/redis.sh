#!/usr/bin/env bash
# Start a daemonized redis-server for tests on 127.0.0.1:${HELPDESK_REDIS_PORT:-63799}.
# No persistence; pid file and log live in $STATE_DIR/redis. Idempotent.
set -euo pipefail
SERVICE_NAME=redis
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server redis-tools
fi

mkdir -p "$REDIS_DIR"

ping() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

if pid="$(redis_pid)"; then
    log "already running (pid $pid)"
else
    rm -f "$REDIS_PIDFILE"
    if port_open "$REDIS_PORT"; then
        die "port $REDIS_PORT is taken by another process; set HELPDESK_REDIS_PORT or stop it"
    fi
    log "starting on 127.0.0.1:$REDIS_PORT"
    redis-server \
        --bind 127.0.0.1 \
        --port "$REDIS_PORT" \
        --protected-mode yes \
        --daemonize yes \
        --pidfile "$REDIS_PIDFILE" \
        --logfile "$REDIS_DIR/redis.log" \
        --dir "$REDIS_DIR" \
        --save '' \
        --appendonly no \
        --databases 16
fi

wait_until 30 "redis to answer PING" ping ||
    { tail -n 20 "$REDIS_DIR/redis.log" >&2 || true; die "redis is not ready"; }
wait_until 10 "redis pid file" redis_pid || die "redis pid file $REDIS_PIDFILE missing"

version="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server | tr -d '\r' |
    sed -n 's/^redis_version://p')"
log "ready: Redis $version (pid $(redis_pid))"
log "url: redis://127.0.0.1:$REDIS_PORT/0"
