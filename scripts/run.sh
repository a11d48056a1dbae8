#!/usr/bin/env bash
# `make run`: prepare the database and start the web server, the worker and (with a token) the Telegram bridge.
# Honours the deployment's environment (DATABASE_URL, REDIS_URL, SEARCH_URL, TELEGRAM_*, ...). Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
mkdir -p var "${HELPDESK_VAR_DIR:-var}"

# A development secret that stays the same across runs, unless the deployment gives its own.
if [[ -z "${SECRET_KEY:-}" ]]; then
    if [[ ! -s var/secret_key ]]; then
        "$PY" -c 'import secrets; print(secrets.token_urlsafe(64))' > var/secret_key
        chmod 600 var/secret_key
    fi
    SECRET_KEY=$(cat var/secret_key)
    export SECRET_KEY
fi
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}
# `make run` is the demo: seed_demo refuses without DEBUG unless told. Its accounts share the README's
# password, so a public server is started as docs/deploy.md says, never with `make run`.
export HELPDESK_ALLOW_DEMO=1

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Migrasi basis data"
# `migrate` prints the system checks once (the deployment warnings); the later commands skip them.
"$PY" manage.py migrate --noinput
"$PY" manage.py createcachetable -v0
step "Wilayah NTB (provinsi 52)"
"$PY" manage.py import_regions --province 52 --skip-checks
step "Data demo"
"$PY" manage.py seed_demo --skip-checks
"$PY" manage.py collectstatic --noinput -v0 --skip-checks
step "Indeks pencarian"
# With SEARCH_URL on an engine: build a missing or outdated index from the database (no-op on the default).
"$PY" manage.py search_ensure --optional --skip-checks

pids=()
cleanup() {
    trap - INT TERM EXIT
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap cleanup INT TERM EXIT

step "Menjalankan layanan"
"$PY" -m daphne -b "$HOST" -p "$PORT" helpdesk.asgi:application &
pids+=($!)
"$PY" manage.py run_worker --skip-checks &
pids+=($!)
if [[ -n "${TELEGRAM_BOT_TOKEN:-}" && "${TELEGRAM_MODE:-polling}" == "webhook" ]]; then
    echo "TELEGRAM_MODE=webhook: Telegram mengirim pembaruan ke /telegram/webhook/ (tanpa long polling)." >&2
elif [[ -n "${TELEGRAM_BOT_TOKEN:-}" ]]; then
    if "$PY" manage.py help telegram_bridge >/dev/null 2>&1; then
        "$PY" manage.py telegram_bridge --skip-checks &
        pids+=($!)
    else
        echo "TELEGRAM_BOT_TOKEN diset, tetapi jembatan Telegram belum tersedia di versi ini." >&2
    fi
fi

for _ in $(seq 1 100); do
    if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://$HOST:$PORT/healthz', timeout=1)" 2>/dev/null; then
        break
    fi
    sleep 0.2
done
"$PY" manage.py seed_demo --logins --skip-checks
printf '\n\033[1mSID Helpdesk berjalan di http://%s:%s/\033[0m  (Ctrl-C untuk berhenti)\n' "$HOST" "$PORT"
wait -n "${pids[@]}"
