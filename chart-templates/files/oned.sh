#!/bin/sh
# onechart: starts oned in the foreground without systemd.
# It removes a stale lock, waits for the database, and respects OpenNebula's first-start ordering: on an empty
# database oned writes the serveradmin *_auth files itself and aborts if they already exist, so they are
# removed before bootstrap and rewritten with the Secret's serveradmin password afterwards.
set -eu

ONE_VAR=${ONE_VAR:-/var/lib/one}
ONE_RUN=${ONE_RUN:-/run/one}
ONE_LOCK=${ONE_LOCK:-/var/lock/one}
ONE_ETC=${ONE_ETC:-/etc/one}
AUTH=${ONECHART_AUTH:-/run/onechart/auth}
SCRIPTS=${ONECHART_SCRIPTS:-/run/onechart/scripts}
RAFT_MEMBERS=${RAFT_MEMBERS:-1}
READY="$ONE_RUN/onechart-ready"
SERVERADMIN_FILES="sunstone_auth onegate_auth oneflow_auth oneform_auth oneks_auth"
export ONE_AUTH="$ONE_VAR/.one/one_auth"

log() { echo "onechart-oned: $*"; }

tcp_open() { # host port
  ruby -rsocket -e 'begin; TCPSocket.new(ARGV[0], ARGV[1].to_i).close; rescue StandardError; exit 1; end' "$1" "$2"
}

wait_for_database() {
  [ "$DB_BACKEND" = mysql ] || return 0
  i=0
  until tcp_open "$DB_HOST" "$DB_PORT"; do
    i=$((i + 1))
    [ "$i" -le 150 ] || { log "database $DB_HOST:$DB_PORT unreachable after 300s"; exit 1; }
    sleep 2
  done
}

# database_state prints: ready, empty, upgrade or newer.
database_state() {
  if [ "$DB_BACKEND" = sqlite ]; then
    [ -s "$ONE_VAR/one.db" ] || { echo empty; return; }
    set -- --sqlite "$ONE_VAR/one.db"
  else
    export ONE_DB_PASSWORD="$DB_PASSWORD"
    set -- -t mysql -S "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -d "$DB_NAME"
  fi
  rc=0
  onedb version "$@" >/dev/null 2>&1 || rc=$?
  case $rc in
    0) echo ready ;;
    1) echo empty ;;
    2) echo upgrade ;;
    3) echo newer ;;
    *) log "onedb version failed with exit code $rc"; exit 1 ;;
  esac
}

write_serveradmin_files() {
  umask 077
  pw=$(cat "$AUTH/serveradmin-password")
  for f in $SERVERADMIN_FILES; do
    printf 'serveradmin:%s\n' "$pw" > "$ONE_VAR/.one/$f"
  done
}

wait_for_api() {
  i=0
  until oneuser show 0 >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le 120 ] || { log "oned did not answer within 240s"; return 1; }
    sleep 2
  done
}

# solo_with COMMAND...: runs a solo oned (SERVER_ID -1) just long enough to run COMMAND against it.
solo_with() {
  oned -f &
  pid=$!
  wait_for_api || { kill "$pid" 2>/dev/null || true; exit 1; }
  "$@"
  kill -TERM "$pid"
  wait "$pid" || true
  rm -f "$ONE_LOCK/one"
}

set_serveradmin_password() {
  oneuser passwd 1 --sha256 "$(cat "$AUTH/serveradmin-password")"
  write_serveradmin_files
  if [ -n "${1:-}" ]; then "$1"; fi
}

# bootstrap_with [COMMAND]: creates the database with a solo oned, sets the serveradmin password from the
# Secret, runs COMMAND while oned still runs (Raft registers member 0 here), then stops oned.
bootstrap_with() {
  log "empty database: bootstrapping"
  for f in $SERVERADMIN_FILES; do rm -f "$ONE_VAR/.one/$f"; done
  solo_with set_serveradmin_password "${1:-}"
  log "bootstrap done"
}

upgrade_database() {
  if [ "$RAFT_MEMBERS" -gt 1 ]; then
    log "the database schema is older than this OpenNebula: a Raft cluster is upgraded with the documented"
    log "procedure (README: Upgrades), never member by member; refusing to start"
    exit 1
  fi
  log "database schema is older than OpenNebula: backing up, then upgrading"
  mkdir -p "$ONE_VAR/backups/db"
  if [ "$DB_BACKEND" = sqlite ]; then
    onedb upgrade --sqlite "$ONE_VAR/one.db" --backup "$ONE_VAR/backups/db/pre-upgrade.sql"
  else
    onedb upgrade -t mysql -S "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -d "$DB_NAME" \
      --backup "$ONE_VAR/backups/db/pre-upgrade.sql"
  fi
  write_serveradmin_files
}

start_ssh_agent() {
  export SSH_AUTH_SOCK="$ONE_RUN/ssh-agent.sock"
  rm -f "$SSH_AUTH_SOCK"
  ssh-agent -a "$SSH_AUTH_SOCK" >/dev/null
  ssh-add "$ONE_VAR/.ssh/id_rsa" 2>/dev/null || log "could not add the SSH key to the agent"
}

main() {
  if [ "${DB_BACKEND:-}" = mysql ] && [ -z "${DB_PASSWORD:-}" ] && [ -n "${DB_PASSWORD_FILE:-}" ]; then DB_PASSWORD=$(cat "$DB_PASSWORD_FILE"); fi
  DB_BASE_NAME=${DB_NAME:-}
  if [ "${DB_NAME_PER_MEMBER:-}" = true ]; then DB_NAME="${DB_NAME}_${POD_NAME##*-}"; fi
  if [ "$RAFT_MEMBERS" -gt 1 ]; then
    # shellcheck source=raft.sh
    . "$SCRIPTS/raft.sh"
  fi
  rm -f "$READY" "$ONE_LOCK/one"
  mkdir -p "$ONE_RUN/ssh-socks" "$ONE_LOCK" "${ONE_LOG:-/var/log/one}"
  chmod 0700 "$ONE_RUN/ssh-socks"
  wait_for_database
  state=$(database_state)
  case $state in
    empty) if [ "$RAFT_MEMBERS" -gt 1 ]; then raft_start empty; else bootstrap_with; fi ;;
    upgrade) upgrade_database ;;
    newer) log "the database was written by a newer OpenNebula; refusing to start"; exit 1 ;;
    ready)
      write_serveradmin_files
      if [ "$RAFT_MEMBERS" -gt 1 ]; then raft_start ready; fi ;;
  esac
  start_ssh_agent
  touch "$READY"
  log "starting oned"
  exec oned -f
}

if [ "${ONECHART_SOURCE_ONLY:-}" != 1 ]; then
  main "$@"
fi
