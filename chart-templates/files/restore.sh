#!/bin/sh
# onechart: restores a database backup into this member, in maintenance mode only (maintenance.enabled: oned is
# not running, the database is). Run it in the oned container:
#   restore.sh FILE      restore FILE (a backup of files/backup.sh, or of `onedb backup`) into this member's
#                        database; under Raft, on one member only (member 0), which then leads a new cluster
#   restore.sh --rejoin  under Raft, on every other member: drop its database, so that it joins the restored
#                        member as a new server when maintenance ends
#   restore.sh --upgrade upgrade this member's database schema to the image's OpenNebula (backup first, then
#                        `onedb upgrade`); under Raft on member 0 only, which then leads a new cluster that the
#                        others (`--rejoin`) join: the Raft form of a schema upgrade
# Like `onedb restore`, it refuses while oned's lock file exists or oned answers
# (OpenNebula/one@release-7.4.0:src/onedb/onedb.rb, restore).
set -eu
ONE_VAR=${ONE_VAR:-/var/lib/one}
ONE_LOCK=${ONE_LOCK:-/var/lock/one}
SQLITE_DB=${SQLITE_DB:-$ONE_VAR/one.db}
STATE_DIR="$ONE_VAR/.onechart"
# shellcheck source=common.sh
. "${ONECHART_SCRIPTS:-/run/onechart/scripts}/common.sh"
log() { echo "onechart-restore: $*" >&2; }
die() { log "$*"; exit 1; }

[ $# -eq 1 ] || die "usage: restore.sh FILE | --rejoin | --upgrade"
[ "${MAINTENANCE:-false}" = true ] || die "maintenance mode is off: set maintenance.enabled=true and upgrade first"
[ ! -e "$ONE_LOCK/one" ] || die "oned's lock $ONE_LOCK/one exists: oned runs (or crashed); refusing"
if oned_answers; then die "oned answers: refusing"; fi
load_db_settings

if [ "$1" = --rejoin ]; then
  [ "${RAFT_MEMBERS:-1}" -gt 1 ] || die "--rejoin is for Raft members"
  [ "$DB_BACKEND" = mysql ] || die "--rejoin needs MySQL"
  my "$DB_HOST" "$DB_PORT" -e "DROP DATABASE IF EXISTS \`$DB_NAME\`"
  rm -f "$STATE_DIR/server-id" "$STATE_DIR/restored"
  log "database $DB_NAME dropped: this member joins the restored cluster as a new server when maintenance ends"
  exit 0
fi

if [ "$1" = --upgrade ]; then
  rc=0
  upgrade_schema || rc=$?
  case $rc in
    0) ;;
    2) die "nothing was changed" ;;
    1) die "the schema upgrade failed; the database is back as it was ($UPGRADE_BACKUP)" ;;
    *) die "the schema upgrade failed and its backup could not be loaded back: restore.sh $UPGRADE_BACKUP" ;;
  esac
  if [ "${RAFT_MEMBERS:-1}" -gt 1 ]; then
    mkdir -p "$STATE_DIR"
    touch "$STATE_DIR/restored"
    log "upgraded. Run restore.sh --rejoin on every other member, then leave maintenance mode."
  else
    log "upgraded. Leave maintenance mode (maintenance.enabled=false) to start oned."
  fi
  exit 0
fi

# set_admin_password OID NAME SECRET_KEY: the restored database holds the admin users' passwords of the backup's
# time, while the Secret owns them: every member's one_auth holds the Secret's oneadmin password and the *_auth
# files its serveradmin token (files/sync-admin-users.sh), so with the backup's passwords no member could log in
# to re-form the cluster or follow the Secret, nor could OneGate, FireEdge and the other services. Both are
# stored as sha256 of the Secret's value: oneadmin (core auth) as sha256 of the password, serveradmin
# (server_cipher) as given, and onechart gives it sha256 of the token (`oneuser passwd 1 --sha256`)
# (OpenNebula/one@release-7.4.0:src/um/User.cc:369-382). oned writes the password into the user's body as
# `<PASSWORD><![CDATA[...]]></PASSWORD>` (User.cc:261, `one_util::escape_xml`, include/NebulaUtil.h:292-295; the
# same at 6.10.5 (User.cc:226), 7.0.2 and 7.2.0): both that form and a bare value are replaced, and the change is
# read back before it is reported.
set_admin_password() {
  want=$(printf '%s' "$(cat "${ONECHART_AUTH:-/run/onechart/auth}/$3")" | sha256sum | cut -d' ' -f1)
  stored="<PASSWORD><![CDATA[$want]]></PASSWORD>"
  body=$(user_body "$1")
  case $body in
    *"$stored"* | *"<PASSWORD>$want</PASSWORD>"*) log "$2's password in the restored database is the Secret's"; return 0 ;;
    *"<PASSWORD>"*) ;;
    *) die "no $2 (user $1) in the restored database" ;;
  esac
  # The hashes stay off every command line (`ps` shows them to any user of the node): the new one reaches awk in
  # the environment, which replaces the first <PASSWORD> element of the body (either form); sed, with fixed
  # expressions, escapes the SQL literal (quotes doubled, and for MySQL backslashes too); the statement reaches
  # sqlite3 and mysql on stdin (printf is the shell's own).
  new=$(printf '%s' "$body" | STORED="$stored" awk '
    NR == 1 {
      s = index($0, "<PASSWORD>"); e = index($0, "</PASSWORD>")
      if (s && e > s) $0 = substr($0, 1, s - 1) ENVIRON["STORED"] substr($0, e + length("</PASSWORD>"))
    }
    { print }' | sed -e "s/'/''/g")
  [ "$DB_BACKEND" = sqlite ] || new=$(printf '%s' "$new" | sed -e 's/\\/\\\\/g')
  if [ "$DB_BACKEND" = sqlite ]; then
    printf "UPDATE user_pool SET body = '%s' WHERE oid = %s;\n" "$new" "$1" | sqlite3 "$SQLITE_DB"
  else
    printf "UPDATE user_pool SET body = '%s' WHERE oid = %s;\n" "$new" "$1" | my "$DB_HOST" "$DB_PORT" "$DB_NAME"
  fi
  case $(user_body "$1") in
    *"$stored"*) log "$2's password in the restored database is now the Secret's" ;;
    *) die "could not set $2's password in the restored database to the Secret's" ;;
  esac
}

# user_body OID: the XML body of a user in this member's database.
user_body() {
  if [ "$DB_BACKEND" = sqlite ]; then
    sqlite3 "$SQLITE_DB" "SELECT body FROM user_pool WHERE oid = $1"
  else
    my "$DB_HOST" "$DB_PORT" -N -B --raw -e "SELECT body FROM user_pool WHERE oid = $1" "$DB_NAME"
  fi
}

file=$1
[ -s "$file" ] || die "$file: no such backup (copy it into the pod first: kubectl cp)"
if [ "$DB_BACKEND" = sqlite ]; then
  onedb_member restore -f "$file"
else
  load_dump "$file"
fi
set_admin_password 0 oneadmin oneadmin-password
set_admin_password 1 serveradmin serveradmin-password
if [ "${RAFT_MEMBERS:-1}" -gt 1 ]; then
  mkdir -p "$STATE_DIR"
  touch "$STATE_DIR/restored"
  log "restored. Run restore.sh --rejoin on every other member, then leave maintenance mode."
else
  log "restored. Leave maintenance mode (maintenance.enabled=false) to start oned."
fi
