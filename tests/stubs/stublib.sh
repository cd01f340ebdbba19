# Shared by the stub commands of tests/it/scripts/ (sourced). The "MySQL servers" of the cluster are directories:
# $CLUSTER/mysql/<server>/<database>/<table> (a table is a file; its content is its rows). A member's bundled
# server is named after the pod; `<pod>.<peers domain>` reaches it from the others; any other host is an
# external server shared by all. $CLUSTER/mysql/<server>/down makes a server unreachable, and
# $CLUSTER/mysql/<server>/password (default `dbpw`) is the password it accepts.

log_call() { echo "${POD_NAME:-?}: $*" >> "$CLUSTER/calls"; }

server_of() { # HOST
  case $1 in
    127.0.0.1 | localhost) echo "$POD_NAME" ;;
    *.*) echo "${1%%.*}" ;;
    *) echo "$1" ;;
  esac
}

# server_check SERVER PASSWORD: prints the MySQL client error of a refused connection and fails.
server_check() {
  mkdir -p "$CLUSTER/mysql/$1"
  if [ -e "$CLUSTER/mysql/$1/down" ]; then
    echo "ERROR 2003 (HY000): Can't connect to MySQL server on '$1' (111)"
    return 1
  fi
  if [ "$2" != "$(cat "$CLUSTER/mysql/$1/password" 2>/dev/null || echo dbpw)" ]; then
    echo "ERROR 1045 (28000): Access denied for user 'oneadmin'@'10.0.0.1' (using password: YES)"
    return 1
  fi
}

# The database oned of this member uses (its environment, as oned.sh resolved it), and its SERVER_ID.
member_db() {
  if [ "${DB_BACKEND:-mysql}" = sqlite ]; then echo "$ONE_VAR/sqlite"; else echo "$CLUSTER/mysql/$(server_of "$DB_HOST")/$DB_NAME"; fi
}
member_server_id() { sed -n 's/.*SERVER_ID *= *\(-\{0,1\}[0-9][0-9]*\).*/\1/p' "$ONE_ETC/oned.conf" | tail -n 1; }
bootstrapped() { [ -e "$1/db_versioning" ] && [ -e "$1/local_db_versioning" ]; }

# authenticated: the client's oneadmin credentials are the cluster's. Every XML-RPC call authenticates
# (OpenNebula/one@release-7.4.0:src/rm/xml-rpc/RequestXRPC.cc:58); the CLI reads them from $ONE_AUTH, else
# $HOME/.one/one_auth, else /var/lib/one/.one/one_auth (src/oca/ruby/opennebula/lib/client.rb:63-77).
authenticated() {
  _auth=${ONE_AUTH:-${HOME:-/nonexistent}/.one/one_auth}
  [ "$(cat "$_auth" 2>/dev/null)" = "oneadmin:$(cat "$CLUSTER/oneadmin-password")" ]
}
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
