#!/usr/bin/env bash
# Install Debian's chromium (never a downloaded browser build) for browser tests.
set -euo pipefail
SERVICE_NAME=chromium
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -x $CHROMIUM_BIN ]]; then
    # fonts-liberation gives pages real Latin fonts; the other recommends
    # (upower, udev, printer config, ...) are of no use headless.
    apt_install chromium fonts-liberation
fi
[[ -x $CHROMIUM_BIN ]] || die "$CHROMIUM_BIN not found after install"

log "ready: $("$CHROMIUM_BIN" --version 2>/dev/null | head -n 1)"
log "path: $CHROMIUM_BIN"
