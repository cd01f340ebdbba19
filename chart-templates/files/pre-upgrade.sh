#!/bin/sh
# onechart: helm pre-upgrade hook (Argo CD runs it as PreSync, at every sync). Reads the version the release runs
# now from its StatefulSet (running-version.rb: through the API, never a render-time lookup), takes a database
# backup, then refuses a major OpenNebula version change (6.x -> 7.x) unless `upgrade.allowMajorVersionChange` is
# set and the backup exists. Under Raft it also refuses a change of release line (7.2 -> 7.4) outside
# maintenance mode: a new line brings a new database schema (LATEST_DB_VERSION, OpenNebula/one@release-7.4.0:
# src/onedb/database_schema.rb:153), which one member upgrades in maintenance mode (`restore.sh --upgrade`) while the
# others rejoin it; members never upgrade their own databases. A refusal fails the hook, which stops
# `helm upgrade` before any pod changes.
# Inputs: STATEFULSET (its name), NEW_VERSION, ALLOW_MAJOR (true|false), RAFT_MEMBERS, MAINTENANCE (true|false);
# OLD_VERSION, when set (even empty), replaces the API read.
set -eu
scripts=${ONECHART_SCRIPTS:-/run/onechart/scripts}
log() { echo "onechart-pre-upgrade: $*"; }
major() { echo "${1%%.*}"; }
line() { echo "$1" | cut -d. -f1,2; }

if [ -z "${OLD_VERSION+set}" ]; then
  rc=0
  OLD_VERSION=$(ruby "$scripts/running-version.rb" "$STATEFULSET") || rc=$?
  case $rc in
    0) ;;
    3) log "StatefulSet $STATEFULSET does not exist yet (a first install): nothing to back up or compare"
       # backup.offsite.container runs next: an empty hand-off tells it there is nothing to ship.
       if [ -n "${BACKUP_HANDOFF:-}" ]; then : > "$BACKUP_HANDOFF"; fi
       if [ -n "${BACKUP_PENDING:-}" ]; then : > "$BACKUP_PENDING"; fi
       exit 0 ;;
    *) log "cannot read the running version of StatefulSet $STATEFULSET: refusing to upgrade blind"
       exit 1 ;;
  esac
fi

backup=$(/bin/sh "$scripts/backup.sh" pre-upgrade)
log "backup taken: $backup"
if [ -z "${OLD_VERSION:-}" ]; then
  log "no running version found: nothing to compare"
  exit 0
fi
if [ "${RAFT_MEMBERS:-1}" -gt 1 ] && [ "$(line "$OLD_VERSION")" != "$(line "$NEW_VERSION")" ] \
  && [ "${MAINTENANCE:-false}" != true ]; then
  log "refusing OpenNebula $OLD_VERSION -> $NEW_VERSION on a Raft cluster outside maintenance mode: the new release"
  log "line upgrades the database schema, which one member does while the others wait. Follow README.md"
  log "(Upgrades, Raft): upgrade with maintenance.enabled=true, then restore.sh --upgrade. Backup: $backup"
  exit 1
fi
if [ "$(major "$OLD_VERSION")" = "$(major "$NEW_VERSION")" ]; then
  log "OpenNebula $OLD_VERSION -> $NEW_VERSION: same major version"
  exit 0
fi
if [ "${ALLOW_MAJOR:-false}" != true ]; then
  log "refusing the major version change $OLD_VERSION -> $NEW_VERSION."
  log "Follow README.md (Upgrades): stop, back up, uninstall, install the new version; or, having read it, set"
  log "upgrade.allowMajorVersionChange=true. The backup just taken is $backup."
  exit 1
fi
[ -s "$backup" ] || { log "the backup $backup is missing or empty: refusing"; exit 1; }
log "major version change $OLD_VERSION -> $NEW_VERSION allowed by upgrade.allowMajorVersionChange; backup: $backup"
