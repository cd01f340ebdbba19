#!/bin/sh
# onechart: starts oned in the foreground without systemd.
#  - removes a stale lock (oned refuses to start while /var/lock/one/one exists);
#  - waits for the database, and tells "unreachable" and "access denied" from "empty": it never bootstraps,
#    re-seeds or upgrades a database it could not read;
#  - on an empty database keeps OpenNebula's first-start ordering: oned writes the serveradmin *_auth files itself
#    and aborts if they already exist (OpenNebula/one@release-7.4.0:src/um/UserPool.cc), so they are removed
#    before bootstrap and rewritten with the Secret's serveradmin password afterwards;
#  - upgrades an older schema (single front-end only), with a backup of its own;
#  - with maintenance on, prepares everything but does not start oned (restore, repairs);
#  - masks every secret in what oned and onedb print (oned hides its database settings itself; onedb does not).
set -eu

ONE_VAR=${ONE_VAR:-/var/lib/one}
ONE_RUN=${ONE_RUN:-/run/one}
ONE_LOCK=${ONE_LOCK:-/var/lock/one}
ONE_ETC=${ONE_ETC:-/etc/one}
AUTH=${ONECHART_AUTH:-/run/onechart/auth}
SCRIPTS=${ONECHART_SCRIPTS:-/run/onechart/scripts}
RAFT_MEMBERS=${RAFT_MEMBERS:-1}
SQLITE_DB=${SQLITE_DB:-$ONE_VAR/one.db}
DB_WAIT=${DB_WAIT:-300}
READY="$ONE_RUN/onechart-ready"
SERVERADMIN_FILES="sunstone_auth onegate_auth oneflow_auth oneform_auth oneks_auth"
export ONE_AUTH="$ONE_VAR/.one/one_auth"

# Messages go to stderr: several functions print their result on stdout for `$(...)`.
log() { echo "onechart-oned: $*" >&2; }

# shellcheck source=common.sh
. "$SCRIPTS/common.sh"

# wait_for_database: returns once the server answers and accepts DB_USER; exits on refused credentials (a
# restart will not fix them) and after DB_WAIT seconds without an answer.
wait_for_database() {
  waited=0
  while :; do
    case $(db_probe) in
      ok) return 0 ;;
      denied)
        log "the database server $DB_HOST:$DB_PORT refuses user $DB_USER: check the password in the Secret"
        exit 1 ;;
      unreachable) log "waiting for the database server $DB_HOST:$DB_PORT" ;;
      *) log "the database server $DB_HOST:$DB_PORT answers with an error; retrying" ;;
    esac
    [ "$waited" -lt "$DB_WAIT" ] || { log "no usable database after ${DB_WAIT}s"; exit 1; }
    sleep 5
    waited=$((waited + 5))
  done
}

# refresh_db_password: oned.conf gets the database password when the pod starts (prepare.sh, an init container);
# the checks here read the mounted Secret, which the kubelet refreshes, and a restarted `oned` container runs no
# init container again. After a wrong password was fixed in the Secret, the oned container's next start passed
# the checks with the new password and started oned with the old one, refused by the server ("Could not open
# connect to database server: Access denied"), at every restart until the pod was deleted. The PASSWD line of oned.conf follows the Secret at every start.
refresh_db_password() {
  [ "$DB_BACKEND" = mysql ] || return 0
  _conf="$ONE_ETC/oned.conf"
  DB_PASSWORD="$DB_PASSWORD" awk '
    # prepare.sh writes the attribute on a line of its own: PASSWD = "<password, \ and " escaped>",
    /^[ \t]*PASSWD[ \t]*=[ \t]*"([^"\\]|\\.)*"[ \t]*,?[ \t]*$/ {
      pw = ENVIRON["DB_PASSWORD"]; quoted = ""
      for (i = 1; i <= length(pw); i++) {
        ch = substr(pw, i, 1)
        if (ch == "\\" || ch == "\"") quoted = quoted "\\"
        quoted = quoted ch
      }
      match($0, /^[ \t]*PASSWD[ \t]*=/)
      print substr($0, 1, RLENGTH) " \"" quoted "\"" ($0 ~ /,[ \t]*$/ ? "," : "")
      found = 1
      next
    }
    { print }
    END { exit found ? 0 : 3 }' "$_conf" > "$_conf.onechart" || {
    rm -f "$_conf.onechart"
    log "oned.conf has no PASSWD line of prepare.sh's form: its database password is left as prepare.sh wrote it"
    return 0
  }
  chmod 0640 "$_conf.onechart"
  mv "$_conf.onechart" "$_conf"
}

# database_state prints: empty, partial, ready, upgrade or newer. Anything it cannot establish exits: a database
# that could not be read is never taken for an empty one. `onedb version` exits 1 for a database without
# version tables *and* for any connection or authentication error, so it is asked only once the server answered
# and both tables are known to exist.
database_state() {
  if [ -e "$ONE_VAR/.onechart/loading" ]; then
    log "a load into this database was interrupted"
    echo partial
    return 0
  fi
  if [ -e "$ONE_VAR/.onechart/joining" ]; then
    log "a Raft join was interrupted (files/raft.sh: join): copying the leader's database again"
    echo partial
    return 0
  fi
  tables=$(db_tables) || { log "could not list the database's tables"; exit 1; }
  case $tables in
    0) echo empty; return 0 ;;
    2) ;;
    *) echo partial; return 0 ;;
  esac
  rc=0
  onedb_member version >/dev/null 2>&1 || rc=$?
  # onedb version: 0 up to date, 2 upgrade needed, 3 database newer; 1 not bootstrapped; 255 anything else
  # (OpenNebula/one@release-7.4.0:src/onedb/onedb:386-402, src/cli/command_parser.rb:486-488).
  case $rc in
    0) echo ready ;;
    2) echo upgrade ;;
    3) echo newer ;;
    *) log "onedb version failed with exit code $rc on a bootstrapped database"; exit 1 ;;
  esac
}

write_serveradmin_files() {
  umask 077
  pw=$(cat "$AUTH/serveradmin-password")
  for f in $SERVERADMIN_FILES; do
    printf 'serveradmin:%s\n' "$pw" > "$ONE_VAR/.one/$f.onechart" && mv "$ONE_VAR/.one/$f.onechart" "$ONE_VAR/.one/$f"
  done
}

# wait_for_api [PID]: until oned answers; with PID (the solo oned), gives up as soon as that oned has exited
# (a driver that did not start in time stops oned at once: OpenNebula/one@release-7.4.0:include/Driver.h:323,
# "Driver initialization time out"), instead of waiting out the 240 s for an oned that is gone.
wait_for_api() {
  i=0
  until oneuser show 0 >/dev/null 2>&1; do
    if [ -n "${1:-}" ] && ! alive "$1"; then log "oned exited before it answered (its log above says why)"; return 1; fi
    i=$((i + 1))
    [ "$i" -le 120 ] || { log "oned did not answer within 240s"; return 1; }
    sleep 2
  done
}

# solo_with COMMAND...: runs a solo oned (SERVER_ID -1) just long enough to run COMMAND against it.
solo_with() {
  masked_fifo oned-solo
  logs_to_fifo
  oned -f > "$FIFO" 2>&1 &
  pid=$!
  # An oned that stops at start because a driver did not answer in time may hang on its exit: killed.
  hung_exit_watch "$pid" 9>&- &
  # Whatever fails while it runs, the solo oned is stopped with the script.
  trap 'kill -TERM "$pid" 2>/dev/null || true; [ -z "${FOLLOWER:-}" ] || kill "$FOLLOWER" 2>/dev/null || true' EXIT
  wait_for_api "$pid" || exit 1
  "$@"
  trap - EXIT
  kill -TERM "$pid"
  wait "$pid" || true
  stop_follower
  close_fifo
  rm -f "$ONE_LOCK/one"
}

# The password is read from its file by the CLI (`--read-file`, OpenNebula/one@release-7.4.0:src/cli/oneuser:75-80,
# src/cli/one_helper/oneuser_helper.rb:59-66; the same at 6.10.5, 7.0.2, 7.2.0): never on a command line (ps).
set_serveradmin_password() {
  oneuser passwd 1 --sha256 --read-file "$AUTH/serveradmin-password" >/dev/null
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

# resume_interrupted_upgrade: a schema upgrade that was under way when the member stopped (its marker names the
# backup taken before it, files/common.sh upgrade_schema): the database is loaded back from that backup, which the
# next upgrade reuses instead of dumping the half-migrated database again.
resume_interrupted_upgrade() {
  _marker="$ONE_VAR/.onechart/upgrading"
  [ -s "$_marker" ] || return 0
  UPGRADE_BACKUP=$(cat "$_marker")
  if [ ! -s "$UPGRADE_BACKUP" ]; then
    log "a schema upgrade was interrupted and its backup $UPGRADE_BACKUP is gone: restore a backup (README)"
    exit 1
  fi
  log "a schema upgrade was interrupted: loading its backup $UPGRADE_BACKUP back before trying again"
  load_backup "$UPGRADE_BACKUP"
}

# upgrade_database: the schema upgrade of a single front-end (files/common.sh: upgrade_schema). A failed one
# leaves the database as it was before (loaded back from the backup) and a marker: it is not retried at every
# restart, on a database it would half-migrate again.
upgrade_database() {
  if [ "$RAFT_MEMBERS" -gt 1 ]; then
    log "the database schema is older than this OpenNebula: a Raft cluster is upgraded in maintenance mode"
    log "(restore.sh --upgrade on one member, README: Upgrades), never member by member; refusing to start"
    exit 1
  fi
  failed="$ONE_VAR/.onechart/upgrade-failed"
  if [ -e "$failed" ]; then
    log "the schema upgrade failed before and the database was loaded back from $(cat "$failed"); run the"
    log "previous OpenNebula version, or fix the cause and remove $failed to try again"
    exit 1
  fi
  log "database schema is older than OpenNebula: upgrading"
  rc=0
  upgrade_schema || rc=$?
  case $rc in
    0) ;;
    2) log "nothing was changed; the upgrade is tried again at the next start"
       exit 1 ;;
    *) mkdir -p "$ONE_VAR/.onechart"
       echo "$UPGRADE_BACKUP" > "$failed"
       if [ "$rc" = 1 ]; then
         log "the schema upgrade failed; the database is back as it was ($UPGRADE_BACKUP)"
       else
         log "the schema upgrade failed and its backup could not be loaded back: restore $UPGRADE_BACKUP in"
         log "maintenance mode (README: Backups and restore)"
       fi
       exit 1 ;;
  esac
  write_serveradmin_files
}

# logs_to_fifo: the log files of oned and of the daemons it spawns, links to the masking pipe FIFO (files/common.sh
# masked_fifo), which prints to the oned container's output:
#  - oned.log: oned logs to a file (LOG SYSTEM "file" in oned.conf) so that each VM gets its log file, which
#    FireEdge's VM Log tab reads (a VM's log follows oned's LOG SYSTEM: OpenNebula/one@release-7.4.0:
#    src/vm/VirtualMachine.cc:709-731; with USE_VMS_LOCATION "YES", /var/lib/one/vms/<id>/vm.log:
#    src/nebula/Nebula.cc:1419-1441);
#  - monitor.log: monitord's own log (LOG SYSTEM "file" in monitord.conf, src/monitor/src/monitor/Monitor.cc:61-75):
#    oned closes the standard error of every driver it spawns (include/Driver.h:283), so "std" went nowhere;
#  - rank_sched.log: the 7.x scheduler, a child of oned's one_sched driver, logs only there
#    (src/schedm_mad/remotes/rank/src/sched/Scheduler.cc:105).
# The daemons open these files for each message (FileLog::log, src/log/Log.cc:67-80): a link to a pipe works from
# 7.4, where they open their log with ios_base::app at start (src/nebula/Nebula.cc:308-312, src/monitor/src/
# monitor/Monitor.cc:66-71, src/schedm_mad/remotes/rank/src/sched/Scheduler.cc:158-162). Up to 7.2 they open it
# with ios_base::ate (OpenNebula/one@release-7.2.0: the same lines; 6.10.5 and 7.0.2 too), which seeks to its
# end: on a pipe the seek fails (ESPIPE), libstdc++ closes the file and they exit with "Could not open log file"
# (FileLog::FileLog, src/log/Log.cc:39-57). There (ONE_LOGS_FOLLOWED=true) the files stay regular files that a
# `tail -F` copies to the pipe; one that grows past LOG_CAP_KB is emptied (tail follows the truncation), so that
# the log emptyDir never reaches its size limit (the kubelet would evict the pod). The rank scheduler is a new
# process for each placement (src/schedm_mad/remotes/rank/src/sched/place.cc), so it opens its log every time.
LOG_FILES="oned.log monitor.log rank_sched.log"
logs_to_fifo() {
  _logs=${ONE_LOG:-/var/log/one}
  if [ "${ONE_LOGS_FOLLOWED:-false}" != true ]; then
    for f in $LOG_FILES; do ln -sfn "$FIFO" "$_logs/$f"; done
    return 0
  fi
  for f in $LOG_FILES; do
    rm -f "$_logs/$f"
    : > "$_logs/$f"
  done
  # shellcheck disable=SC2086 # three names without spaces
  (cd "$_logs" && exec tail -q -n +1 -F $LOG_FILES) >&9 2>/dev/null &
  FOLLOWER=$!
  (
    while alive "$FOLLOWER"; do
      for f in $LOG_FILES; do
        _kb=$(du -k "$_logs/$f" 2>/dev/null | cut -f1)
        if [ "${_kb:-0}" -gt "${LOG_CAP_KB:-65536}" ]; then : > "$_logs/$f"; fi
      done
      sleep 30
    done
  ) 9>&- &
}

# stop_follower: the `tail -F` of logs_to_fifo (if any) has copied what the daemon wrote last, and goes.
stop_follower() {
  [ -n "${FOLLOWER:-}" ] || return 0
  sleep 1
  kill "$FOLLOWER" 2>/dev/null || true
  wait "$FOLLOWER" 2>/dev/null || true
  FOLLOWER=
}

start_ssh_agent() {
  export SSH_AUTH_SOCK="$ONE_RUN/ssh-agent.sock"
  rm -f "$SSH_AUTH_SOCK"
  ssh-agent -a "$SSH_AUTH_SOCK" >/dev/null
  ssh-add "$ONE_VAR/.ssh/id_rsa" 2>/dev/null || log "could not add the SSH key to the agent"
}

# maintenance: everything is prepared, oned is not started. onedb restore refuses to run while oned's lock
# exists or oned answers; in this mode neither is true. The other daemons wait for oned.
maintenance() {
  log "maintenance mode: oned is not started (set maintenance.enabled=false and upgrade to leave it)."
  log "restore with: /run/onechart/scripts/restore.sh FILE   (see the chart README, Backups and restore)"
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM INT
  while :; do
    sleep 3600 &
    sleeper=$!
    wait "$sleeper" || true
  done
}

# database_phase: everything that may take long before oned serves: wait for the database, bootstrap it, join the
# Raft cluster (copying the leader's database), upgrade its schema. In the chart it runs in the `database` init
# container (`oned.sh init`), where no probe can kill it halfway (issue 16 major 4); the `oned` container then
# only starts oned, and its startup probe covers oned's own start.
database_phase() {
  if [ "$DB_BACKEND" = mysql ]; then wait_for_database; fi
  resume_interrupted_upgrade
  state=$(database_state)
  case $state in
    empty) if [ "$RAFT_MEMBERS" -gt 1 ]; then raft_start empty; else bootstrap_with; fi ;;
    partial)
      if [ "$RAFT_MEMBERS" -gt 1 ]; then raft_start partial; else
        log "the database holds only one of oned's version tables (db_versioning, local_db_versioning): an"
        log "interrupted bootstrap or restore. Refusing to start; restore a backup (README: Backups and restore)."
        exit 1
      fi ;;
    upgrade) upgrade_database ;;
    newer) log "the database was written by a newer OpenNebula; refusing to start"; exit 1 ;;
    ready)
      rm -f "$ONE_VAR/.onechart/upgrade-failed"
      write_serveradmin_files
      if [ "$RAFT_MEMBERS" -gt 1 ]; then raft_start ready; fi ;;
  esac
}

# start_oned: oned in the foreground, its log masked, with the helpers that run beside it.
start_oned() {
  if [ "$DB_BACKEND" = mysql ]; then wait_for_database; fi
  refresh_db_password
  start_ssh_agent
  # oneadmin's and serveradmin's passwords follow the Secret (files/sync-admin-users.sh).
  /bin/sh "$SCRIPTS/sync-admin-users.sh" "$$" &
  if [ "$RAFT_MEMBERS" -gt 1 ]; then
    # A restarted oned container must not keep a leader label it no longer deserves: follower until Raft says
    # otherwise; then files/raft-label.sh keeps the label in step with Raft's state (issue 16 major 5).
    rm -f "$ONE_RUN/raft-role" "$ONE_RUN/raft-label"
    /bin/sh "$SCRIPTS/raft-label.sh" "$$" &
  fi
  touch "$READY"
  log "starting oned"
  masked_fifo oned
  logs_to_fifo
  oned -f > "$FIFO" 2>&1 &
  ONED=$!
  # oned stopped at start by a driver that did not answer in time may hang on its exit, without an API and deaf to
  # SIGTERM: it is killed (hung_exit_watch). That is why this shell stays, as the container's PID 1, instead of
  # exec'ing oned: a SIGKILL sent to PID 1 from inside its own PID namespace is dropped (pid_namespaces(7)), so a
  # hung oned as PID 1 could be killed by nobody in the container. The shell passes SIGTERM and SIGINT on to oned
  # and ends with oned's exit status; the helpers watching "$$" (sync-admin-users.sh, raft-label.sh) live exactly
  # as long as oned.
  hung_exit_watch "$ONED" 9>&- &
  trap 'kill -TERM "$ONED" 2>/dev/null || true' TERM INT
  while :; do
    rc=0
    wait "$ONED" || rc=$?
    # wait also returns when a trapped signal arrives: only oned's end ends the container.
    alive "$ONED" || break
  done
  exit "$rc"
}

# Usage: oned.sh [init|run] (or ONED_PHASE)   init: the database phase only (the `database` init container); run:
# oned only (the `oned` container); neither: both, one after the other.
main() {
  mode=${1:-${ONED_PHASE:-all}}
  load_db_settings
  if [ "$RAFT_MEMBERS" -gt 1 ]; then
    # shellcheck source=raft.sh
    . "$SCRIPTS/raft.sh"
  fi
  rm -f "$READY" "$ONE_LOCK/one"
  mkdir -p "$ONE_RUN/ssh-socks" "$ONE_LOCK" "${ONE_LOG:-/var/log/one}"
  chmod 0700 "$ONE_RUN/ssh-socks"
  # oned writes its configuration to /var/lib/one/config (database settings hidden): owner-only all the same.
  umask 077
  if [ "${MAINTENANCE:-false}" = true ]; then
    if [ "$mode" = init ]; then log "maintenance mode: the database is left as it is"; exit 0; fi
    maintenance
  fi
  case $mode in
    init) database_phase; log "database ready" ;;
    run) start_oned ;;
    *) database_phase; start_oned ;;
  esac
}

if [ "${ONECHART_SOURCE_ONLY:-}" != 1 ]; then
  main "$@"
fi
