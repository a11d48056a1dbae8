# shellcheck shell=bash
# shellcheck disable=SC2034  # variables here are used by the scripts that source this file
# Shared helpers for deploy/services/*.sh. Sourced, never executed directly.
#
# Every service keeps its state (data, logs, pid files) under STATE_DIR,
# which defaults to <repo>/.services and can be moved with HELPDESK_SERVICES_DIR.

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SERVICES_DIR/../.." && pwd)"
STATE_DIR="${HELPDESK_SERVICES_DIR:-$REPO/.services}"
mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"

# Ports and fixed settings shared by the start scripts, stop.sh and start-all.sh.
PG_PORT="${HELPDESK_PG_PORT:-54329}"
PG_BIN="${HELPDESK_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_APP_USER="${HELPDESK_PG_USER:-helpdesk}"
PG_APP_PASSWORD="${HELPDESK_PG_PASSWORD:-helpdesk}"
PG_APP_DB="${HELPDESK_PG_DB:-helpdesk}"
REDIS_PORT="${HELPDESK_REDIS_PORT:-63799}"
SEARCH_PORT="${HELPDESK_SEARCH_PORT:-9201}"
SEARCH_TRANSPORT_PORT="${HELPDESK_SEARCH_TRANSPORT_PORT:-9301}"
CHROMIUM_BIN="${HELPDESK_CHROMIUM_BIN:-/usr/bin/chromium}"

log() { printf '[%s] %s\n' "${SERVICE_NAME:-services}" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "${SERVICE_NAME:-services}" "$*" >&2; }
die() {
    printf '[%s] ERROR: %s\n' "${SERVICE_NAME:-services}" "$*" >&2
    exit 1
}

# wait_until SECONDS DESCRIPTION CMD... : poll CMD once a second until it
# succeeds; return 1 after SECONDS.
wait_until() {
    local timeout=$1 desc=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            warn "timed out after ${timeout}s waiting for $desc"
            return 1
        fi
        sleep 1
    done
}

# port_open PORT : something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid_from_file FILE : print the pid stored in FILE if that process is alive.
pid_from_file() {
    local file=$1 pid
    [[ -s $file ]] || return 1
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

# apt_install PKG... : install Debian packages. Runs `apt-get update` at most
# once per two hours per state dir, serialises concurrent callers with a lock
# and keeps package maintainer scripts from starting daemons of their own.
apt_install() {
    [[ $EUID -eq 0 ]] || die "need root to apt-get install $* (or install it yourself)"
    command -v flock >/dev/null || die "flock (util-linux) is missing"
    (
        flock -w 1200 9 || die "could not take the apt lock $STATE_DIR/.apt.lock"
        local stamp="$STATE_DIR/.apt-updated"
        if [[ ! -f $stamp ]] || [[ -n "$(find "$stamp" -mmin +120 2>/dev/null)" ]]; then
            log "apt-get update"
            apt-get update -q >"$STATE_DIR/apt-update.log" 2>&1 ||
                { cat "$STATE_DIR/apt-update.log" >&2; die "apt-get update failed"; }
            touch "$stamp"
        fi
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
            printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        fi
        log "apt-get install $*"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o DPkg::Lock::Timeout=600 "$@" >"$STATE_DIR/apt-install.log" 2>&1 ||
            { tail -n 40 "$STATE_DIR/apt-install.log" >&2; die "apt-get install $* failed"; }
    ) 9>"$STATE_DIR/.apt.lock"
}

# Postgres runs as the `postgres` OS user when we are root (initdb refuses
# root), as the current user otherwise.
if [[ $EUID -eq 0 ]]; then
    PG_OS_USER=postgres
else
    PG_OS_USER="$(id -un)"
fi

as_pg() {
    if [[ $EUID -eq 0 ]]; then
        # cd /: the postgres user may not be able to enter the current directory.
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        "$@"
    fi
}

# pg_paths : set PG_DIR, PGDATA_DIR, PG_SOCKET_DIR, PG_LOG.
# The cluster lives in $STATE_DIR/postgres unless the postgres OS user cannot
# reach that directory (e.g. a checkout under a 0700 directory); then it falls
# back to a directory under /var/tmp derived from STATE_DIR, so stop.sh finds
# the same place again.
pg_paths() {
    local fallback
    fallback="/var/tmp/helpdesk-services-$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-12)/postgres"
    PG_DIR="$STATE_DIR/postgres"
    if [[ -f "$STATE_DIR/postgres.location" ]]; then
        PG_DIR="$(cat "$STATE_DIR/postgres.location")"
    fi
    if [[ ${1:-} == create ]]; then
        mkdir -p "$PG_DIR"
        if [[ $EUID -eq 0 ]]; then
            chown "$PG_OS_USER": "$PG_DIR"
            if ! as_pg test -w "$PG_DIR"; then
                warn "user $PG_OS_USER cannot write $PG_DIR; using $fallback"
                PG_DIR=$fallback
                mkdir -p "$PG_DIR"
                chown "$PG_OS_USER": "$PG_DIR" "$(dirname "$PG_DIR")"
                as_pg test -w "$PG_DIR" || die "user $PG_OS_USER cannot write $PG_DIR either"
                printf '%s\n' "$PG_DIR" >"$STATE_DIR/postgres.location"
            fi
        fi
    fi
    PGDATA_DIR="$PG_DIR/data"
    PG_LOG="$PG_DIR/postgres.log"
    # A unix socket path may not exceed 107 bytes.
    PG_SOCKET_DIR="$PG_DIR/run"
    if ((${#PG_SOCKET_DIR} > 80)); then
        PG_SOCKET_DIR="/tmp/helpdesk-pg-$(printf '%s' "$PG_DIR" | md5sum | cut -c1-12)"
    fi
}

pg_url() {
    printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$PG_APP_USER" "$PG_APP_PASSWORD" "$PG_PORT" "$PG_APP_DB"
}

# OpenSearch node layout (see opensearch.sh).
SEARCH_DIR="$STATE_DIR/opensearch"
SEARCH_PIDFILE="$SEARCH_DIR/opensearch.pid"
SEARCH_MAIN_CLASS="sid.helpdesk.searchnode.SearchNode"

# search_pid : print the pid of our OpenSearch JVM if it is running.
search_pid() {
    local pid
    pid="$(pid_from_file "$SEARCH_PIDFILE")" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$SEARCH_MAIN_CLASS" || return 1
    printf '%s\n' "$pid"
}

REDIS_DIR="$STATE_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"

# redis_pid : print the pid of our redis-server if it is running.
redis_pid() {
    local pid
    pid="$(pid_from_file "$REDIS_PIDFILE")" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "redis-server" || return 1
    printf '%s\n' "$pid"
}
