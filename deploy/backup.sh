#!/usr/bin/env bash
# Back up SID Helpdesk: the PostgreSQL database (pg_dump, custom format) and the uploaded files (MEDIA_ROOT).
#
#   set -a; . /etc/helpdesk/env; set +a; deploy/backup.sh /var/backups/helpdesk
#
# Writes DEST/<UTC time>/{database.dump,media.tar.gz,SHA256SUMS} and keeps the newest $KEEP (default 14)
# backups in DEST. The database is dumped first and the files after: a file uploaded in between is extra in
# the archive (harmless), never missing. The dump is one consistent snapshot taken while the site serves.
# Restore with deploy/restore.sh. docs/deploy.md, "Backups", also covers point-in-time recovery.
set -euo pipefail

dest=${1:-${BACKUP_DIR:-/var/backups/helpdesk}}
keep=${KEEP:-14}
database_url=${DATABASE_URL:-}
media_root=${MEDIA_ROOT:-${HELPDESK_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}/media}

die() { printf 'backup: %s\n' "$*" >&2; exit 1; }
[[ $database_url =~ ^(postgres|postgresql|pgsql):// ]] ||
    die "DATABASE_URL must be a PostgreSQL URL (the SQLite default: stop the services and copy var/ instead)"
# libpq knows postgres:// and postgresql:// only; the settings also accept pgsql://.
database_url=${database_url/#pgsql:\/\//postgresql://}
command -v "${PG_DUMP:-pg_dump}" >/dev/null || die "pg_dump not found (apt-get install postgresql-client)"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$dest/$stamp.partial"
mkdir -p "$work"
chmod 700 "$work"
trap 'rm -rf "$work"' ERR

"${PG_DUMP:-pg_dump}" --format=custom --compress=6 --no-owner --no-privileges \
    --file="$work/database.dump" --dbname="$database_url"
if [[ -d $media_root ]]; then
    tar -C "$media_root" -czf "$work/media.tar.gz" .
else
    printf 'backup: MEDIA_ROOT %s does not exist; archiving no files\n' "$media_root" >&2
    tar -czf "$work/media.tar.gz" -T /dev/null
fi
(cd "$work" && sha256sum database.dump media.tar.gz >SHA256SUMS)
mv "$work" "$dest/$stamp"
trap - ERR

# Keep the newest $keep complete backups.
find "$dest" -mindepth 1 -maxdepth 1 -type d -name '*Z' | sort -r | tail -n +"$((keep + 1))" | xargs -r rm -rf
printf '%s\n' "$dest/$stamp"
