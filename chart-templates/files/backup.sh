#!/bin/sh
# onechart: backs up the OpenNebula database into BACKUP_DIR and keeps the newest BACKUP_RETENTION backups of
# the same label. Used by the scheduled CronJob and by the pre-upgrade hook. Prints the backup path.
# Usage: backup.sh [LABEL]   (files are onedb-<LABEL>-<UTC time>-<NN>.sql; LABEL defaults to "scheduled")
# MySQL: a consistent mysqldump of the tables without `--databases` (files/common.sh: mydump), so that
# files/restore.sh can load it into any member's database. SQLite: `onedb backup`.
set -eu
# A backup holds every credential OpenNebula stores: owner-only files (they were 0644).
umask 077
label=${1:-scheduled}
dir=${BACKUP_DIR:-/backups}
keep=${BACKUP_RETENTION:-7}
SQLITE_DB=${SQLITE_DB:-/var/lib/one/one.db}
# shellcheck source=common.sh
. "${ONECHART_SCRIPTS:-/run/onechart/scripts}/common.sh"
load_db_settings
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
seq=0
while [ -e "$dir/onedb-$label-$stamp-$(printf %02d "$seq").sql" ]; do seq=$((seq + 1)); done
file="$dir/onedb-$label-$stamp-$(printf %02d "$seq").sql"
if [ "$DB_BACKEND" = sqlite ]; then
  onedb backup --sqlite "$SQLITE_DB" -f "$file" >&2
  # onedb ignores sqlite3's exit code (OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:539) and starts the
  # file with DROP TABLE lines either way: a complete `.dump` ends with COMMIT.
  tail -n 1 "$file" | grep -q '^COMMIT;' || { echo "onechart: backup $file is incomplete (no COMMIT)" >&2; exit 1; }
else
  mydump "$DB_HOST" "$DB_PORT" "$DB_NAME" > "$file.part"
  mv "$file.part" "$file"
fi
[ -s "$file" ] || { echo "onechart: backup $file is empty" >&2; exit 1; }
# Retention applies per label, newest first (file names sort by time); 0 keeps every backup.
if [ "$keep" -gt 0 ]; then
  # shellcheck disable=SC2012 # names are ours: no spaces or newlines
  ls -1 "$dir"/onedb-"$label"-*.sql | sort -r | tail -n +$((keep + 1)) | while read -r old; do rm -f "$old"; done
fi
echo "$file"
