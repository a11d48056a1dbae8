#!/usr/bin/env bash
# Start every service the tests need and write $STATE_DIR/env for `source`.
#
#   bash deploy/services/start-all.sh && source .services/env
#
# OpenSearch (the slowest: Maven download + JVM start) starts in the
# background while PostgreSQL, Redis and Chromium are set up. Idempotent.
set -euo pipefail
SERVICE_NAME=start-all
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

started=$SECONDS
"$SERVICES_DIR/opensearch.sh" &
search_job=$!

status=0
"$SERVICES_DIR/postgres.sh" || status=$?
"$SERVICES_DIR/redis.sh" || status=$?
"$SERVICES_DIR/chromium.sh" || status=$?
"$SERVICES_DIR/nginx.sh" || status=$?
"$SERVICES_DIR/compose-schema.sh" || status=$?
wait "$search_job" || status=$?
((status == 0)) || die "a service failed to start (see above)"

env_file="$STATE_DIR/env"
cat >"$env_file.tmp" <<ENV
# Written by deploy/services/start-all.sh; source it before running the tests.
export HELPDESK_TEST_POSTGRES_URL=$(pg_url)
export HELPDESK_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export HELPDESK_TEST_SEARCH_URL=opensearch+http://127.0.0.1:$SEARCH_PORT
export HELPDESK_TEST_CHROMIUM=$CHROMIUM_BIN
export HELPDESK_TEST_COMPOSE_SCHEMA=$STATE_DIR/compose-schema/compose-spec.json
ENV
mv "$env_file.tmp" "$env_file"

pg_version="$("$PG_BIN/psql" -X -At "$(pg_url)" -c 'SHOW server_version' | cut -d' ' -f1)"
redis_version="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server | tr -d '\r' | sed -n 's/^redis_version://p')"
search_version="$(curl -fsS -m 5 "http://127.0.0.1:$SEARCH_PORT" |
    sed -n 's/.*"number"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
chromium_version="$("$CHROMIUM_BIN" --version 2>/dev/null | head -n 1 | awk '{print $2}')"

log "env written to $env_file"
log "services up in $((SECONDS - started))s: PostgreSQL $pg_version, Redis $redis_version, OpenSearch $search_version, Chromium $chromium_version"
