#!/bin/bash
# onechart real tier: the stand-in for the ENTRYPOINT of the official MariaDB image (docker.io/library/mariadb,
# MariaDB/mariadb-docker 11.4/docker-entrypoint.sh), written for this tier, on Debian 12's MariaDB 10.11. It does
# what that script does for the variables the chart and the scenarios set, in the same order:
#  - a command starting with an option runs mariadbd with it (`_main`);
#  - datadir and socket come from `mariadbd --verbose --help` (`docker_setup_env`, `mysql_get_config`);
#  - MARIADB_{ROOT_PASSWORD,PASSWORD,USER,DATABASE} or their *_FILE (`file_env`, `_mariadb_file_env`);
#  - a datadir without `mysql/` is initialized (`docker_init_database_dir`: mariadb-install-db --rpm
#    --auth-root-authentication-method=normal --skip-test-db), then a temporary server without networking
#    (`docker_temp_server_start`) secures root (root@localhost gets the password, root@'%' is created with every
#    privilege: MARIADB_ROOT_HOST defaults to '%') and creates MARIADB_DATABASE and MARIADB_USER@'%' with
#    `GRANT ALL ON <database>.*` (`docker_setup_db`), and stops (`docker_temp_server_stop`);
#  - an existing datadir is used as it is (no upgrade: this stand-in has one server version).
# Not done (nothing the chart uses): time zone tables, the healthcheck users, /docker-entrypoint-initdb.d,
# replication, MARIADB_*_HASH, MARIADB_RANDOM_ROOT_PASSWORD, the step down from root with gosu (the chart runs
# the container as uid 999).
set -eo pipefail

note() { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
fail() { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }

# file_env VAR: VAR from VAR or VAR_FILE (both set is an error).
file_env() {
  local var=$1 file="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then fail "Both $var and $file are set (but are exclusive)"; fi
  if [ -n "${!file:-}" ]; then printf -v "$var" '%s' "$(< "${!file}")"; fi
  export "${var?}"
  unset "$file"
}

# sql_string TEXT: TEXT escaped for a single-quoted SQL literal (`docker_sql_escape_string_literal`).
sql_string() {
  local s=${1//\\/\\\\}
  printf '%s' "${s//\'/\\\'}"
}

if [ "${1:0:1}" = - ]; then set -- mariadbd "$@"; fi
if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  config() { "$@" --verbose --help 2>/dev/null | awk -v c="$conf" '$1 == c && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }'; }
  conf=datadir DATADIR=$(config "$@")
  conf=socket SOCKET=$(config "$@")
  [ -n "$DATADIR" ] || fail "mariadbd failed while attempting to check config: $("$@" --verbose --help 2>&1 >/dev/null)"
  for v in MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MARIADB_USER MARIADB_DATABASE; do file_env "$v"; done
  mkdir -p "$DATADIR"
  if [ ! -d "$DATADIR/mysql" ]; then
    [ -n "${MARIADB_ROOT_PASSWORD:-}" ] || fail "Database is uninitialized and password option is not specified"
    note "Initializing database files"
    mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal --skip-test-db \
      --skip-log-bin --expire-logs-days=0 "${@:2}" > /dev/null
    note "Starting temporary server"
    "$@" --skip-networking --socket="$SOCKET" --expire-logs-days=0 &
    pid=$!
    up=
    for _ in $(seq 60); do
      if mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" -e 'SELECT 1' mysql > /dev/null 2>&1; then up=1; break; fi
      sleep 1
    done
    [ -n "$up" ] || fail "Unable to start server."
    root=$(sql_string "$MARIADB_ROOT_PASSWORD")
    if [ -n "${MARIADB_DATABASE:-}" ]; then note "Creating database ${MARIADB_DATABASE}"; fi
    if [ -n "${MARIADB_USER:-}" ] && [ -n "${MARIADB_PASSWORD:-}" ]; then note "Creating user ${MARIADB_USER}"; fi
    {
      echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
      echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\'');"
      echo "SET PASSWORD FOR 'root'@'localhost' = PASSWORD('$root');"
      echo "CREATE USER 'root'@'%' IDENTIFIED BY '$root';"
      echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
      if [ -n "${MARIADB_DATABASE:-}" ]; then
        echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
      fi
      if [ -n "${MARIADB_USER:-}" ] && [ -n "${MARIADB_PASSWORD:-}" ]; then
        echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$(sql_string "$MARIADB_PASSWORD")';"
        if [ -n "${MARIADB_DATABASE:-}" ]; then
          echo "GRANT ALL ON \`${MARIADB_DATABASE//_/\\_}\`.* TO '$MARIADB_USER'@'%';"
        fi
      fi
    } | mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" --binary-mode mysql
    note "Stopping temporary server"
    kill "$pid"
    wait "$pid"
    note "MariaDB init process done. Ready for start up."
  fi
fi
exec "$@"
