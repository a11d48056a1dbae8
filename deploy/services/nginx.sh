#!/usr/bin/env bash
# Install Debian's nginx for the configuration tests (tests/deploy: `nginx -t` on deploy/nginx/*.conf) and
# the cluster test, and Debian's wrk, the load generator of the benchmark's creation phase
# (tests/bench/wrk_load.py). Nothing is started here: each test runs its own nginx with its own config.
# Idempotent.
set -euo pipefail
SERVICE_NAME=nginx
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
    apt_install nginx
fi
if ! command -v openssl >/dev/null; then
    apt_install openssl
fi
if ! command -v wrk >/dev/null; then
    apt_install wrk
fi
log "ready: $(/usr/sbin/nginx -v 2>&1), $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
