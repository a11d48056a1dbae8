#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into the database of DATABASE_URL and into MEDIA_ROOT.
#
#   systemctl stop helpdesk.target
#   set -a; . /etc/helpdesk/env; set +a; deploy/restore.sh /var/backups/helpdesk/20261207T020000Z
#   systemctl start helpdesk.target      # helpdesk-migrate runs first, for a backup of an older version
#
# The database must exist and be empty (createdb -O helpdesk helpdesk); with --clean, the tables of the
# backup are dropped and recreated first. Files are unpacked into MEDIA_ROOT; existing ones are kept
# unless the backup has a file of the same name.
set -euo pipefail

die() { printf 'restore: %s\n' "$*" >&2; exit 1; }
clean=0
if [[ ${1:-} == --clean ]]; then
    clean=1
    shift
fi
backup=${1:-}
[[ -n $backup && -f $backup/database.dump && -f $backup/media.tar.gz ]] ||
    die "usage: restore.sh [--clean] BACKUP_DIR (with database.dump and media.tar.gz)"
database_url=${DATABASE_URL:-}
[[ $database_url =~ ^(postgres|postgresql|pgsql):// ]] || die "DATABASE_URL must be a PostgreSQL URL"
database_url=${database_url/#pgsql:\/\//postgresql://}
media_root=${MEDIA_ROOT:-${HELPDESK_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}/media}

if [[ -f $backup/SHA256SUMS ]]; then
    (cd "$backup" && sha256sum --quiet -c SHA256SUMS) || die "checksums do not match: the backup is damaged"
fi

tables=$("${PSQL:-psql}" -X -At --dbname="$database_url" \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if ((tables > 0 && !clean)); then
    die "the database already has $tables tables; restore into an empty one, or pass --clean to replace them"
fi
options=(--no-owner --no-privileges --exit-on-error --single-transaction)
((clean)) && options+=(--clean --if-exists)
"${PG_RESTORE:-pg_restore}" "${options[@]}" --dbname="$database_url" "$backup/database.dump"

mkdir -p "$media_root"
tar -C "$media_root" -xzf "$backup/media.tar.gz"
printf 'restore: database and %s restored from %s\n' "$media_root" "$backup"
