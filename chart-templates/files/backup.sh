#!/bin/sh
# onechart: backs up the OpenNebula database into BACKUP_DIR and keeps the newest BACKUP_RETENTION backups of
# the same label. Used by the scheduled CronJob and by the pre-upgrade hook. Prints the backup path.
# Usage: backup.sh [LABEL]   (files are onedb-<LABEL>-<UTC time>-<NN>.sql; LABEL defaults to "scheduled")
#        backup.sh --mark-shipped   (the job's last container, below)
# MySQL: a consistent mysqldump of the tables without `--databases` (files/common.sh: mydump), so that
# files/restore.sh can load it into any member's database. SQLite: `onedb backup`.
# Under Raft (RAFT_MEMBERS > 1) it dumps the member whose database has applied the most of the Raft log: the
# leader's, or a follower in sync with it, never a lagging one by default.
set -eu
# A backup holds every credential OpenNebula stores: owner-only files (they were 0644).
umask 077
label=${1:-scheduled}
dir=${BACKUP_DIR:-/backups}
# backup.offsite.container: a backup is shipped once it has a marker, $dir/.shipped/NAME. The job's last container
# runs this, only once the shipper exited 0: every backup it was handed (BACKUP_PENDING) gets its marker, and the
# markers of backups pruned since are removed.
if [ "$label" = --mark-shipped ]; then
  mkdir -p "$dir/.shipped"
  while read -r f; do
    if [ -n "$f" ]; then : > "$dir/.shipped/${f##*/}"; fi
  done < "$BACKUP_PENDING"
  for m in "$dir"/.shipped/*; do
    if [ -e "$m" ] && [ ! -e "$dir/${m##*/}" ]; then rm -f "$m"; fi
  done
  echo "onechart: marked as shipped: $(grep -c . "$BACKUP_PENDING" || true) backup(s)" >&2
  exit 0
fi
keep=${BACKUP_RETENTION:-7}
SQLITE_DB=${SQLITE_DB:-/var/lib/one/one.db}
# shellcheck source=common.sh
. "${ONECHART_SCRIPTS:-/run/onechart/scripts}/common.sh"
load_db_settings

# choose_member: under Raft, the member database with the highest last applied log index (`SELECT MAX(log_index)
# FROM logdb WHERE applied = '1'`, what oned reads at start: OpenNebula/one@release-7.4.0:src/sql/LogDB.cc:170;
# logdb's columns, src/sql/OneDB.cc:247-251, the same at 6.10.5, 7.0.2 and 7.2.0). Read with SQL, so it works in
# maintenance mode too, when no oned answers. Members whose database does not answer are skipped.
choose_member() {
  best_index=-1
  best_host=""
  i=0
  while [ "$i" -lt "$RAFT_MEMBERS" ]; do
    if [ "${DB_BUNDLED:-}" = true ]; then host="$STATEFULSET-$i.$PEERS_DOMAIN" name=$DB_BASE_NAME; else host=$DB_HOST name="${DB_BASE_NAME}_$i"; fi
    if index=$(my "$host" "$DB_PORT" -N -B -e "SELECT COALESCE(MAX(log_index), 0) FROM logdb WHERE applied = '1'" "$name" 2>/dev/null) \
      && [ -n "$index" ] && [ "$index" -gt "$best_index" ]; then
      best_index=$index best_host=$host best_name=$name
    fi
    i=$((i + 1))
  done
  [ -n "$best_host" ] || { echo "onechart: no member's database answers" >&2; exit 1; }
  DB_HOST=$best_host DB_NAME=$best_name
  echo "onechart: backing up $DB_NAME on $DB_HOST (last applied Raft entry: $best_index)" >&2
}
mkdir -p "$dir"
# A retry of the same Job (its backoffLimit: a new pod, after a failed off-site copy or shipper) takes no second
# backup: the backup a Job took is recorded under the Job's UID (BACKUP_JOB_UID, from the pod's
# batch.kubernetes.io/controller-uid label), and a retry reuses it while it exists. The UID, not the Job's name:
# the pre-upgrade hook's Job has the same name at every upgrade, and each upgrade needs its own backup.
file=""
record=""
if [ -n "${BACKUP_JOB_UID:-}" ]; then
  record="$dir/.jobs/$BACKUP_JOB_UID"
  taken=$(cat "$record" 2>/dev/null || true)
  case $taken in
    onedb-"$label"-*.sql)
      if [ -s "$dir/$taken" ]; then
        file="$dir/$taken"
        echo "onechart: an earlier attempt of this job took $file: reusing it, no second backup" >&2
      fi ;;
  esac
fi
if [ -z "$file" ]; then
  if [ "$DB_BACKEND" = mysql ] && [ "${RAFT_MEMBERS:-1}" -gt 1 ]; then choose_member; fi
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  seq=0
  while [ -e "$dir/onedb-$label-$stamp-$(printf %02d "$seq").sql" ]; do seq=$((seq + 1)); done
  file="$dir/onedb-$label-$stamp-$(printf %02d "$seq").sql"
  # The dump goes to FILE.part, renamed once complete: a failed backup (a full volume, a lost connection) leaves
  # nothing that looks like a backup, is never counted by the retention below, and prunes nothing.
  part="$file.part"
  trap 'rm -f "$part"' EXIT
  fail() {
    echo "onechart: backup failed: $*; nothing written, the older backups in $dir are kept" \
      "($(df -Pk "$dir" | awk 'NR == 2 { print $4 }') KiB free there)" >&2
    exit 1
  }
  if [ "$DB_BACKEND" = sqlite ]; then
    onedb backup --sqlite "$SQLITE_DB" -f "$part" >&2 || fail "onedb backup exited with $?"
    # onedb ignores sqlite3's exit code (OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:539) and starts
    # the file with DROP TABLE lines either way: a complete `.dump` ends with COMMIT.
    tail -n 1 "$part" | grep -q '^COMMIT;' || fail "the dump of $SQLITE_DB is incomplete (no COMMIT)"
  else
    mydump "$DB_HOST" "$DB_PORT" "$DB_NAME" > "$part" || fail "mysqldump of $DB_NAME on $DB_HOST exited with $?"
  fi
  [ -s "$part" ] || fail "the dump is empty"
  mv "$part" "$file"
  trap - EXIT
  # A new backup is not shipped yet, even under the name of one pruned within the same second.
  rm -f "$dir/.shipped/${file##*/}"
  if [ -n "$record" ]; then
    mkdir -p "$dir/.jobs" && printf '%s\n' "${file##*/}" > "$record" \
      || echo "onechart: cannot record $file for a retry of this job (a retry would take another backup)" >&2
  fi
fi
# prune DIR KEEP [SHIPPED]: the newest KEEP backups of the label stay in DIR (file names sort by time); 0 keeps
# every one. With SHIPPED (backup.offsite.container's markers), a backup not shipped yet is never pruned.
prune() {
  if [ "$2" -gt 0 ]; then
    # shellcheck disable=SC2012 # names are ours: no spaces or newlines
    ls -1 "$1"/onedb-"$label"-*.sql 2>/dev/null | sort -r | tail -n +$(($2 + 1)) | while read -r old; do
      if [ -z "${3:-}" ] || [ -e "$3/${old##*/}" ]; then rm -f "$old"; fi
    done
  fi
}
# Off-site copy (backup.offsite.volume, mounted at OFFSITE_DIR): every local backup of the label newer than the
# newest one there (this one, and any a failed run missed) is copied to NAME.part there, checked against the local
# file, made owner-only and renamed, so the target never holds a partial file under a backup's name; each copy is
# bounded by OFFSITE_TIMEOUT seconds (a hung network mount must not hold the Job, and with concurrencyPolicy
# Forbid every later backup, forever). Then the newest OFFSITE_RETENTION copies of the label are kept there. A
# failed copy fails the job (the CronJob's failed Jobs, the pre-upgrade hook) and prunes nothing locally: while
# the target is down the local backups are all kept, and the next run copies what was missed.
if [ -n "${OFFSITE_DIR:-}" ]; then
  offsite_fail() {
    echo "onechart: off-site copy failed: $*; the local backup $file is kept, and no local backup is pruned" >&2
    exit 1
  }
  [ -d "$OFFSITE_DIR" ] || offsite_fail "$OFFSITE_DIR is not a directory (is backup.offsite.volume mounted?)"
  # shellcheck disable=SC2012 # names are ours: no spaces or newlines
  newest=$(ls -1 "$OFFSITE_DIR"/onedb-"$label"-*.sql 2>/dev/null | sort | tail -n 1)
  newest=${newest##*/}
  # shellcheck disable=SC2012 # names are ours: no spaces or newlines
  for f in $(ls -1 "$dir"/onedb-"$label"-*.sql | sort); do
    name=${f##*/}
    if [ -n "$newest" ] && ! expr "$name" \> "$newest" >/dev/null; then continue; fi
    trap 'rm -f "$OFFSITE_DIR/$name.part"' EXIT
    timeout "${OFFSITE_TIMEOUT:-3600}" cp "$f" "$OFFSITE_DIR/$name.part" \
      || offsite_fail "cannot write $OFFSITE_DIR/$name.part (or not within ${OFFSITE_TIMEOUT:-3600} s)"
    chmod 600 "$OFFSITE_DIR/$name.part" || offsite_fail "cannot make $OFFSITE_DIR/$name.part owner-only"
    [ "$(cksum < "$OFFSITE_DIR/$name.part")" = "$(cksum < "$f")" ] \
      || offsite_fail "the copy in $OFFSITE_DIR differs from $f"
    mv "$OFFSITE_DIR/$name.part" "$OFFSITE_DIR/$name" || offsite_fail "cannot rename $OFFSITE_DIR/$name.part"
    trap - EXIT
    echo "onechart: copied off-site: $OFFSITE_DIR/$name" >&2
  done
  prune "$OFFSITE_DIR" "${OFFSITE_RETENTION:-0}"
fi
prune "$dir" "$keep" "${BACKUP_PENDING:+$dir/.shipped}"
# Records of backups pruned since (by the retention, or by hand).
for r in "$dir"/.jobs/*; do
  if [ -f "$r" ]; then
    taken=$(cat "$r" 2>/dev/null) || continue  # removed meanwhile by another job
    if [ -z "$taken" ] || [ ! -e "$dir/$taken" ]; then rm -f "$r"; fi
  fi
done
# backup.offsite.container ships them (it runs once this script succeeded): the path of this job's backup, and
# every backup of the label not shipped yet, oldest first (this one, and any a failed shipper missed).
if [ -n "${BACKUP_HANDOFF:-}" ] && ! printf '%s\n' "$file" > "$BACKUP_HANDOFF"; then
  echo "onechart: cannot write $BACKUP_HANDOFF for backup.offsite.container; the backup $file is kept" >&2
  exit 1
fi
if [ -n "${BACKUP_PENDING:-}" ]; then
  # shellcheck disable=SC2012 # names are ours: no spaces or newlines
  if ! ls -1 "$dir"/onedb-"$label"-*.sql | sort | while read -r f; do
    if [ ! -e "$dir/.shipped/${f##*/}" ]; then printf '%s\n' "$f"; fi
  done > "$BACKUP_PENDING"; then
    echo "onechart: cannot write $BACKUP_PENDING for backup.offsite.container; the backup $file is kept" >&2
    exit 1
  fi
fi
echo "$file"
