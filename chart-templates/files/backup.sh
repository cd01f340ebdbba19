#!/bin/sh
# onechart: backs up the OpenNebula database with `onedb backup` into BACKUP_DIR and keeps the newest
# BACKUP_RETENTION backups. Used by the scheduled CronJob and by the pre-upgrade hook. Prints the backup path.
# Usage: backup.sh [LABEL]   (files are onedb-<LABEL>-<UTC time>-<NN>.sql; LABEL defaults to "scheduled")
set -eu
label=${1:-scheduled}
dir=${BACKUP_DIR:-/backups}
keep=${BACKUP_RETENTION:-7}
mkdir -p "$dir"
if [ "${DB_BACKEND:-}" = mysql ] && [ -z "${DB_PASSWORD:-}" ] && [ -n "${DB_PASSWORD_FILE:-}" ]; then DB_PASSWORD=$(cat "$DB_PASSWORD_FILE"); fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
seq=0
while [ -e "$dir/onedb-$label-$stamp-$(printf %02d "$seq").sql" ]; do seq=$((seq + 1)); done
file="$dir/onedb-$label-$stamp-$(printf %02d "$seq").sql"
if [ "$DB_BACKEND" = sqlite ]; then
  onedb backup --sqlite "${SQLITE_DB:-/var/lib/one/one.db}" -f "$file" >&2
else
  export ONE_DB_PASSWORD="$DB_PASSWORD"
  onedb backup -t mysql -S "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -d "$DB_NAME" -f "$file" >&2
fi
[ -s "$file" ] || { echo "onechart: backup $file is empty" >&2; exit 1; }
# Retention applies per label, newest first (file names sort by time).
# shellcheck disable=SC2012 # names are ours: no spaces or newlines
ls -1 "$dir"/onedb-"$label"-*.sql | sort -r | tail -n +$((keep + 1)) | while read -r old; do rm -f "$old"; done
echo "$file"
