#!/bin/sh
# onechart: shell functions shared by the front-end scripts (sourced, never run).
#
# Database access. The password comes from the mounted Secret file and is handed to exactly one command at a time
# (MYSQL_PWD for the MySQL client, ONE_DB_PASSWORD for onedb): it is never exported to oned or written to a log.
# onedb reads ONE_DB_PASSWORD when no -p is given (OpenNebula/one@release-7.4.0:src/onedb/onedb.rb, same at
# 6.10.5, 7.0.2 and 7.2.0); without it, it prompts on stdin and fails.

# load_db_settings: DB_PASSWORD from DB_PASSWORD_FILE; DB_BASE_NAME; DB_NAME of this member (`<name>_<ordinal>` on
# an external server under Raft: one database per member, never one shared by all).
load_db_settings() {
  if [ "${DB_BACKEND:-}" = mysql ] && [ -z "${DB_PASSWORD:-}" ] && [ -n "${DB_PASSWORD_FILE:-}" ]; then
    DB_PASSWORD=$(cat "$DB_PASSWORD_FILE")
  fi
  # shellcheck disable=SC2034 # read by raft.sh
  DB_BASE_NAME=${DB_NAME:-}
  # Once per process tree: a child script inherits the resolved name.
  if [ "${DB_NAME_PER_MEMBER:-}" = true ] && [ "${DB_NAME_RESOLVED:-}" != true ]; then
    DB_NAME="${DB_NAME}_${POD_NAME##*-}"
    DB_NAME_RESOLVED=true
    export DB_NAME DB_NAME_RESOLVED
  fi
}

# my HOST PORT ARGS...: the MySQL client as DB_USER against HOST:PORT.
my() {
  _h=$1 _p=$2
  shift 2
  MYSQL_PWD="$DB_PASSWORD" mysql --protocol=TCP --connect-timeout=10 -h "$_h" -P "$_p" -u "$DB_USER" "$@"
}

# mydump HOST PORT DATABASE: a consistent dump of one database's tables, *without* `--databases`: no CREATE
# DATABASE, USE or DROP DATABASE statement, so it can be loaded into a database of another name. (`onedb backup`
# dumps with `--add-drop-database --databases <db>`, OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:265,
# and replaying that into another database drops and refills the original one.)
# The image's mysqldump (Debian 12, MariaDB 10.11) has no connect timeout: it refuses `--connect-timeout`
# ("unknown variable", exit 7; `mysqldump --help` of mariadb-client 1:10.11 lists no such option, `mysql --help`
# does). So the server is asked first with the client, which gives up after 10 s, and the dump follows.
mydump() {
  my "$1" "$2" -N -B -e 'SELECT 1' > /dev/null || return 1
  MYSQL_PWD="$DB_PASSWORD" mysqldump --protocol=TCP -h "$1" -P "$2" -u "$DB_USER" \
    --single-transaction --quick --routines --triggers --add-drop-table "$3"
}

# mydump_row HOST PORT DATABASE TABLE WHERE: the rows of TABLE that match WHERE as REPLACE statements, without the
# table's definition: loaded into another database, they replace those rows and leave the rest.
mydump_row() {
  my "$1" "$2" -N -B -e 'SELECT 1' > /dev/null || return 1
  MYSQL_PWD="$DB_PASSWORD" mysqldump --protocol=TCP -h "$1" -P "$2" -u "$DB_USER" \
    --single-transaction --no-create-info --replace --skip-add-locks --where="$5" "$3" "$4"
}

# load_dump FILE: replaces this member's database with FILE, a dump of tables. The CREATE DATABASE, USE and DROP
# DATABASE lines of a dump made with `--databases` (`onedb backup`) are dropped, so the tables always land in
# this member's database. A marker on the volume ($ONE_VAR/.onechart/loading) says a load is under way: the
# version tables come first in a dump, so an interrupted load would otherwise look complete (oned.sh takes the
# marker for a partial database). Returns non-zero, the marker kept, when any step fails: callers may run with
# `set -e` off (a function called as an `if` condition), and a load that failed must never pass for one that
# did.
load_dump() {
  mkdir -p "${ONE_VAR:-/var/lib/one}/.onechart"
  touch "${ONE_VAR:-/var/lib/one}/.onechart/loading"
  my "$DB_HOST" "$DB_PORT" -e "DROP DATABASE IF EXISTS \`$DB_NAME\`; CREATE DATABASE \`$DB_NAME\`" || return 1
  sed -e '/^CREATE DATABASE /d' -e '/^USE `/d' -e '/^\/\*![0-9]* DROP DATABASE /d' "$1" \
    | my "$DB_HOST" "$DB_PORT" "$DB_NAME" || return 1
  rm -f "${ONE_VAR:-/var/lib/one}/.onechart/loading"
}

# db_can_upgrade: whether DB_USER may run what `onedb upgrade` and the load of its backup run, tried on a table of
# our own in this member's database, so that a missing privilege stops the upgrade before anything changes (a
# migrator that fails halfway leaves the schema inconsistent, and without CREATE the backup cannot even be
# loaded back): CREATE and DROP TABLE (migrators create tables, OpenNebula/one@release-7.4.0:
# src/onedb/database_schema.rb:191-205 `create_table`; the dump re-creates every table), CREATE and DROP INDEX
# (onedb drops and re-creates oned's indexes around the migrators: src/onedb/onedb.rb:276,316,
# onedb_backend.rb:394-430), ALTER TABLE (migrators add columns; the dump's DISABLE KEYS) and LOCK TABLES (the
# dump's). Prints MySQL's refusal and fails. SQLite: always.
db_can_upgrade() {
  [ "$DB_BACKEND" = mysql ] || return 0
  _probe=onechart_privilege_probe
  if _out=$(my "$DB_HOST" "$DB_PORT" "$DB_NAME" -e "DROP TABLE IF EXISTS $_probe; CREATE TABLE $_probe (i INT);
      CREATE INDEX ${_probe}_i ON $_probe (i); ALTER TABLE $_probe ADD COLUMN j INT; DROP INDEX ${_probe}_i ON $_probe;
      LOCK TABLES $_probe WRITE; UNLOCK TABLES; DROP TABLE $_probe" 2>&1); then
    return 0
  fi
  my "$DB_HOST" "$DB_PORT" "$DB_NAME" -e "DROP TABLE IF EXISTS $_probe" > /dev/null 2>&1 || true
  echo "$_out"
  return 1
}

# upgrade_schema: `onedb upgrade` of this member's database, backed up first into a file of its own that is never
# pruned (`onedb upgrade --backup FILE` aborts when FILE exists, and onedb's own mysqldump prints the password when
# it fails: OpenNebula/one@release-7.4.0:src/onedb/onedb.rb:154-164, onedb_backend.rb:273). onedb then runs with
# --no-backup, and so restores nothing when a migrator fails ("DB state might be inconsistent", onedb.rb:341-362):
# on failure the backup is loaded back here, and UPGRADE_BACKUP names it. Returns 0 when upgraded; 2 when
# nothing was changed (the user lacks a privilege the upgrade needs, or the backup failed: retrying is safe);
# 1 when onedb upgrade failed and the backup was loaded back; 3 when it failed and the backup could not be
# loaded back (the database is as the failed upgrade left it).
# While it runs, $ONE_VAR/.onechart/upgrading names the backup: an upgrade interrupted from outside (the pod
# deleted, the node lost) is found at the next start (oned.sh resume_interrupted_upgrade), which loads that backup
# back and tries again with it, rather than taking another full dump of a half-migrated database.
upgrade_schema() {
  _progress="${ONE_VAR:-/var/lib/one}/.onechart/upgrading"
  if ! _denied=$(db_can_upgrade); then
    log "the database user $DB_USER lacks a privilege the schema upgrade needs (CREATE, DROP, INDEX, ALTER, LOCK"
    log "TABLES on $DB_NAME): $_denied"
    return 2
  fi
  if [ -z "${UPGRADE_BACKUP:-}" ]; then
    # A dump killed from outside (SIGKILL: backup.sh's EXIT trap never ran) left its .part: this container is
    # the only writer of these files, so none of them is a dump under way.
    rm -f "${ONE_VAR:-/var/lib/one}"/backups/db/onedb-pre-schema-upgrade-*.sql.part
    UPGRADE_BACKUP=$(BACKUP_DIR="${ONE_VAR:-/var/lib/one}/backups/db" BACKUP_RETENTION=0 SQLITE_DB="$SQLITE_DB" \
      /bin/sh "${ONECHART_SCRIPTS:-/run/onechart/scripts}/backup.sh" pre-schema-upgrade) || return 2
  fi
  log "backup before the schema upgrade: $UPGRADE_BACKUP"
  mkdir -p "${_progress%/*}"
  echo "$UPGRADE_BACKUP" > "$_progress"
  if masked onedb_member upgrade --no-backup; then rm -f "$_progress"; return 0; fi
  log "onedb upgrade failed: loading the backup $UPGRADE_BACKUP back"
  if load_backup "$UPGRADE_BACKUP"; then rm -f "$_progress"; return 1; fi
  log "the backup $UPGRADE_BACKUP could NOT be loaded back: the database is as the failed upgrade left it"
  return 3
}

# load_backup FILE: this member's database replaced by a backup of backup.sh (SQLite: `onedb restore`).
load_backup() {
  if [ "$DB_BACKEND" = sqlite ]; then
    masked onedb_member restore -f "$1"
  else
    load_dump "$1"
  fi
}

# db_probe: prints how this member's database server answers: ok, unreachable, denied or error. SQLite is ok.
# The MySQL client exits 1 for every failure; the error number tells them apart (2002/2003/2005/2006/2013:
# no connection; 1044/1045/1698: access denied).
db_probe() {
  [ "$DB_BACKEND" = mysql ] || { echo ok; return 0; }
  if _out=$(my "$DB_HOST" "$DB_PORT" -N -B -e 'SELECT 1' 2>&1); then echo ok; return 0; fi
  case $_out in
    *"ERROR 2002"* | *"ERROR 2003"* | *"ERROR 2005"* | *"ERROR 2006"* | *"ERROR 2013"*) echo unreachable ;;
    *"ERROR 1044"* | *"ERROR 1045"* | *"ERROR 1698"*) echo denied ;;
    *) echo error ;;
  esac
}

# db_tables: how many of oned's two version tables exist in this member's database (0, 1 or 2). oned bootstraps
# the tables `db_versioning` (shared) and `local_db_versioning` (local)
# (OpenNebula/one@release-7.4.0:src/nebula/SystemDB.cc:34,42; same names at 6.10.5, 7.0.2 and 7.2.0).
db_tables() {
  if [ "$DB_BACKEND" = sqlite ]; then
    [ -s "$SQLITE_DB" ] || { echo 0; return 0; }
    sqlite3 "$SQLITE_DB" \
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('db_versioning', 'local_db_versioning')"
  else
    my "$DB_HOST" "$DB_PORT" -N -B -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$DB_NAME' AND table_name IN ('db_versioning', 'local_db_versioning')"
  fi
}

# onedb_member SUBCOMMAND ARGS...: onedb against this member's database.
onedb_member() {
  if [ "$DB_BACKEND" = sqlite ]; then
    onedb "$@" --sqlite "$SQLITE_DB"
  else
    ONE_DB_PASSWORD="$DB_PASSWORD" onedb "$@" -t mysql -S "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -d "$DB_NAME"
  fi
}

# oned_answers: oned replies on its API, with or without accepting our credentials. A refused login is an answer
# too: onedb's own check asks with one_auth and misses an oned that refuses it
# (OpenNebula/one@release-7.4.0:src/onedb/onedb.rb:599-609, `one_not_running`).
oned_answers() {
  if _out=$(oneuser show 0 2>&1); then return 0; fi
  case $_out in *authenticat*) return 0 ;; *) return 1 ;; esac
}

# mask_secrets FILE...: copies stdin to stdout, replacing every occurrence of the content of each FILE (a secret)
# with ********. oned hides the database settings itself when it prints its configuration
# (OpenNebula/one@release-7.4.0:include/NebulaTemplate.h:33-35, src/template/NebulaTemplate.cc:98-135); onedb
# prints a failing command with its password (src/onedb/onedb_backend.rb:273), and nothing else is promised.
#
# With EXIT_MARK set (masked_fifo), the line oned logs as it stops ("All modules finalized, exiting.",
# OpenNebula/one@release-7.4.0:src/nebula/Nebula.cc:163; the same words at 6.10.5, 7.0.2 and 7.2.0) also creates the
# file EXIT_MARK: hung_exit_watch reads it.
mask_secrets() {
  awk '
    BEGIN { for (i = 1; i < ARGC; i++) { if ((getline s < ARGV[i]) > 0 && s != "") secret[++n] = s; close(ARGV[i]); ARGV[i] = "" }
            mark = ENVIRON["EXIT_MARK"] }
    {
      line = $0
      if (mark != "" && index(line, "][ONE][I]: All modules finalized, exiting.") > 0) { printf "" > mark; close(mark) }
      for (k = 1; k <= n; k++) {
        out = ""
        while ((p = index(line, secret[k])) > 0) { out = out substr(line, 1, p - 1) "********"; line = substr(line, p + length(secret[k])) }
        line = out line
      }
      print line
      fflush()
    }' "$@"
}

# masked COMMAND...: runs COMMAND with its output masked (a failing `onedb` prints the command it ran, which may
# hold a password: OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:273). Keeps COMMAND's exit code.
masked() {
  _out="${ONE_RUN:-/run/one}/onechart-command.out"
  _rc=0
  "$@" > "$_out" 2>&1 || _rc=$?
  # shellcheck disable=SC2046 # one path per line, no spaces (our own mount paths)
  mask_secrets $(secret_files) < "$_out"
  rm -f "$_out"
  return "$_rc"
}

# secret_files: the files holding secrets that must never reach a log.
secret_files() {
  for _f in "${DB_PASSWORD_FILE:-}" "${ONECHART_AUTH:-/run/onechart/auth}/oneadmin-password" \
    "${ONECHART_AUTH:-/run/onechart/auth}/serveradmin-password"; do
    if [ -n "$_f" ] && [ -s "$_f" ]; then echo "$_f"; fi
  done
}

# masked_fifo NAME: sets FIFO to a new named pipe whose reader, started in the background, masks secrets and
# prints to stdout. A daemon started with `> "$FIFO" 2>&1` keeps its PID (signals reach it) while its log is
# masked. (Not in a command substitution: the reader would hold the substitution's pipe open.)
# This shell then keeps the pipe open for writing on descriptor 9, which the daemon inherits (oned.sh): oned
# and the daemons it spawns log to files that are links to this pipe (logs_to_fifo in oned.sh), open the file for
# each message and close it again (FileLog::log, OpenNebula/one@release-7.4.0:src/log/Log.cc:67-80), and oned
# closes its own standard output once it runs (src/nebula/Nebula.cc:662-678). Without a writer that stays, the
# reader saw the end of the stream between two messages and exited, and the next message's open(2) waited for a
# reader for ever (fifo(7)): oned hung, first in the bootstrap of a Raft member on MariaDB. close_fifo lets it end.
masked_fifo() {
  FIFO="${ONE_RUN:-/run/one}/$1.log"
  rm -f "$FIFO" "$FIFO.exiting"
  mkfifo -m 0600 "$FIFO"
  # shellcheck disable=SC2046 # one path per line, no spaces (our own mount paths)
  EXIT_MARK="$FIFO.exiting" mask_secrets $(secret_files) < "$FIFO" &
  exec 9> "$FIFO"
}

# hung_exit_watch PID: oned (PID, logging through masked_fifo's FIFO) that has logged that it exits and still runs
# EXIT_GRACE seconds (30) later is killed (SIGKILL), so that its container ends and restarts now. oned hangs on
# exit, SIGTERM ignored, when a driver does not answer its INIT within 10 s (include/Driver.h:305-325, "Driver
# initialization time out": Ruby drivers on a loaded node) after other drivers of the same manager have started:
# the manager stops at the first failure with the others running (include/DriverManager.h:212-228), its listener
# loop is never started (src/vmm/VirtualMachineManager.cc:143-151), so the finalize event that would stop them is
# never run (include/Listener.h:162-185) and oned waits for their output forever (OpenNebula/one@release-7.4.0; the
# real tier met it at 6.10.5 to 7.4.0 under load: a container without an API until its startup probe, then the
# grace period). Its normal stop logs the same line and exits within seconds.
# PID must be a child of the shell that runs as PID 1 (or of no PID 1 at all): see start_oned in oned.sh.
hung_exit_watch() {
  _mark="$FIFO.exiting"
  while kill -0 "$1" 2>/dev/null; do
    if [ -e "$_mark" ]; then
      _w=0
      while alive "$1" && [ "$_w" -lt "${EXIT_GRACE:-30}" ]; do sleep 1; _w=$((_w + 1)); done
      if alive "$1"; then
        log "oned logged that it exits, and still runs ${EXIT_GRACE:-30}s later: hung on a driver that did not start in time (its log above); killing it. If it repeats, oned's drivers get too little CPU to start within 10 s: raise the CPU of resources.oned (its requests, and its limits: a throttled container is as slow)"
        kill -KILL "$1" 2>/dev/null || true
        sleep 1
        if alive "$1"; then log "oned (PID $1) survived SIGKILL"; fi
      fi
      return 0
    fi
    sleep 2
  done
}

# close_fifo: this shell's writer of the masking pipe goes; its reader ends once the daemon's writers have gone too.
close_fifo() {
  exec 9>&-
  rm -f "$FIFO" "$FIFO.exiting"
}

# alive PID: the process runs (an exited process not yet reaped by its parent still answers kill -0).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(sed -e 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}
