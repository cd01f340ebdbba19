#!/bin/sh
# onechart: helm pre-upgrade hook. Takes a database backup first, then refuses a major OpenNebula version change
# (6.x -> 7.x) unless `upgrade.allowMajorVersionChange` is set and the backup exists. A refusal fails the hook,
# which stops `helm upgrade` before any pod changes.
# Inputs: OLD_VERSION (the version running now; empty on a fresh install), NEW_VERSION, ALLOW_MAJOR (true|false).
set -eu
scripts=${ONECHART_SCRIPTS:-/run/onechart/scripts}
log() { echo "onechart-pre-upgrade: $*"; }
major() { echo "${1%%.*}"; }

backup=$(/bin/sh "$scripts/backup.sh" pre-upgrade)
log "backup taken: $backup"
if [ -z "${OLD_VERSION:-}" ]; then
  log "no running version found: nothing to compare"
  exit 0
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
