#!/bin/sh
# onechart: Raft membership of one front-end member. Sourced by oned.sh when RAFT_MEMBERS > 1.
#
# Every member has its own database. Member 0 of a new cluster bootstraps and registers itself; every other
# member (and any member whose database is lost) joins one at a time: it waits for a healthy leader and for the
# member before it, seeds its database from a consistent copy of the leader's, registers with the leader
# (`onezone server-add`, once every member with a lower ordinal is in the zone and in sync; `onezone
# server-reset` when the zone already knows its name), takes the leader's zone row into its copy, and starts
# with the SERVER_ID the zone gave it. The zone gives the highest existing ID + 1 (include/ZoneServer.h: an ID
# freed by deleting the highest server is given again), so the ID is looked up by name and endpoint and kept on
# the member's volume; it is never derived from the pod ordinal. A member never starts under an ID that its own
# database's zone does not give to its name and endpoint. A single front-end whose replicas are raised
# becomes member 0 of a new cluster with its database as it is.
#
# Why the zone row: oned takes the servers of its zone from its own database, at start and at each election
# (OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:108, 818; release-7.0.2: 108, 806), and a candidate
# becomes leader with num_servers / 2 votes (release-7.4.0: RaftManager.cc:846, 905-917; release-7.0.2: 834).
# A copy made before `server-add` lists every server but the new one, and the registration reaches the new
# member only with the next write after it (heartbeats carry no entry: release-7.4.0:
# src/raft/ReplicaThread.cc:264-327). A new member that misses its first heartbeats (a slow start under load)
# then needs 1 / 2 = 0 votes: it leads a zone it is not in, its first write replaces the leader's record of its
# registration, and the next member registered gets its ID again (the real tier saw member 2 take SERVER_ID 1
# this way, on 7.4.0 and on 7.0.2).
#
# What it never does: bootstrap while any member's database holds data (a member 0 that lost its volume during
# a full restart would otherwise start a second, empty cloud), drop a database that holds data because the
# leader's zone does not list this member (the operator decides: `restore.sh --rejoin`), or act on a zone it
# could not read.
#
# Inputs (environment): POD_NAME, STATEFULSET, PEERS_DOMAIN (<peers service>.<namespace>.svc), RAFT_MEMBERS,
# GRPC (true|false), DB_* as in oned.sh, ONE_RAFT (the Raft helper command), ONE_ETC, ONE_VAR.

ONE_RAFT=${ONE_RAFT:-ruby /run/onechart/scripts/one-raft.rb}
RAFT_STATE_DIR="$ONE_VAR/.onechart"
RAFT_ID_FILE="$RAFT_STATE_DIR/server-id"
RAFT_WAIT=${RAFT_WAIT:-600}   # seconds to wait for a leader before the container restarts and tries again
RAFT_POLL=${RAFT_POLL:-5}
LOCAL_ENDPOINT=http://localhost:2633/RPC2

member_endpoint() { echo "http://$1.$PEERS_DOMAIN:2633/RPC2"; }
ordinal() { echo "${1##*-}"; }
raft() { $ONE_RAFT "$@"; }

# peers: the other members' pod names.
peers() {
  i=0
  while [ "$i" -lt "$RAFT_MEMBERS" ]; do
    [ "$STATEFULSET-$i" = "$POD_NAME" ] || echo "$STATEFULSET-$i"
    i=$((i + 1))
  done
}

# find_leader: prints the pod name of the current leader among the peers: of those that say "leader", the one in
# the highest term. A deposed leader cut off from the others still says "leader" in its old term until a message
# with a higher term reaches it (OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:456-490): the first one to
# answer may be that one.
find_leader() {
  _best=""
  _best_term=-1
  for p in $(peers); do
    state=$(raft status "$(member_endpoint "$p")" 2>/dev/null) || continue
    # state: STATE TERM LOG_INDEX COMMIT SERVER_ID
    # shellcheck disable=SC2086 # five words
    set -- $state
    if [ "${1:-}" = leader ] && [ "${2:-0}" -gt "$_best_term" ] 2>/dev/null; then
      _best=$p
      _best_term=$2
    fi
  done
  [ -n "$_best" ] || return 1
  echo "$_best"
}

# any_peer_runs: true when some peer's oned answers at all (the cluster exists, even without a leader).
any_peer_runs() {
  for p in $(peers); do
    raft status "$(member_endpoint "$p")" >/dev/null 2>&1 && return 0
  done
  return 1
}

# zone_server_id NAME ENDPOINT: the ID of server NAME in zone 0 as the oned at ENDPOINT sees it, or nothing when
# the zone does not list it. Fails (1) when the zone cannot be read, and as server_id_of: a lookup that failed
# is never taken for "not registered".
zone_server_id() {
  _servers=$(raft servers "$2" 2>/dev/null) || return 1
  printf '%s\n' "$_servers" | server_id_of "$1"
}

# server_id_of NAME: of the "<id> <name> <endpoint>" lines on stdin, the ID of the server named NAME, or nothing.
# Fails (2) when the name is listed more than once (zone server names are not unique:
# OpenNebula/one@release-7.4.0:include/ZoneServer.h:164-182), and (3) when the server of that name has another
# endpoint than member NAME's: that ID is not NAME's.
server_id_of() {
  _lines=$(awk -v n="$1" '$2 == n')
  _ids=$(printf '%s\n' "$_lines" | awk 'NF { print $1 }')
  if [ "$(printf '%s\n' "$_ids" | grep -c .)" -gt 1 ]; then
    log "server name $1 is registered more than once (IDs $(echo "$_ids" | tr '\n' ' ')): remove the extra ones with onezone server-del"
    return 2
  fi
  if [ -n "$_ids" ]; then
    _ep=$(printf '%s\n' "$_lines" | awk '{ print $3 }')
    if [ "$_ep" != "$(member_endpoint "$1")" ]; then
      log "server $_ids is named $1 but its endpoint is '$_ep', not $(member_endpoint "$1"): it is not this member"
      return 3
    fi
  fi
  echo "$_ids"
}

# local_servers: the servers of zone 0 in this member's own database, as "<id> <name> <endpoint>" lines: what its
# oned takes for the zone (OpenNebula/one@release-7.4.0:src/zone/ZonePool.cc:205-235 reads the zone's body, whose
# SERVER_POOL/SERVER elements hold ID, NAME and ENDPOINT, each value in CDATA: one_util::escape_xml,
# include/NebulaUtil.h:291-295).
local_servers() {
  _body=$(my "$DB_HOST" "$DB_PORT" -N -B --raw -e "SELECT body FROM zone_pool WHERE oid = 0" "$DB_NAME") || return 1
  printf '%s\n' "$_body" | sed -e 's/<!\[CDATA\[\([^]]*\)\]\]>/\1/g' -e 's/<SERVER>/\n<SERVER>/g' \
    | sed -n -e 's/<\/SERVER>.*//' -e '/^<SERVER>/p' \
    | while IFS= read -r _s; do
      echo "$(xml_field ID "$_s") $(xml_field NAME "$_s") $(xml_field ENDPOINT "$_s")"
    done
}

# xml_field TAG TEXT: the text of the first <TAG> element of TEXT.
xml_field() { printf '%s\n' "$2" | sed -n "s/.*<$1>\([^<]*\)<\/$1>.*/\1/p"; }

# local_server_id: this member's ID in its own database's zone (by name and endpoint), or nothing.
local_server_id() {
  _servers=$(local_servers) || return 1
  printf '%s\n' "$_servers" | server_id_of "$POD_NAME"
}

# registered NAME ENDPOINT: prints NAME's server ID at ENDPOINT, or nothing; stops the start when the zone
# cannot be read.
registered() {
  _id=$(zone_server_id "$1" "$2") || { log "cannot read the zone at $2"; exit 1; }
  echo "$_id"
}

# wait_for_leader [PREVIOUS_MEMBER]: prints the leader once there is one (and PREVIOUS_MEMBER is in its zone).
wait_for_leader() {
  waited=0
  while [ "$waited" -lt "$RAFT_WAIT" ]; do
    if leader=$(find_leader); then
      if [ -z "${1:-}" ]; then echo "$leader"; return 0; fi
      if _prev=$(zone_server_id "$1" "$(member_endpoint "$leader")") && [ -n "$_prev" ]; then
        echo "$leader"
        return 0
      fi
    fi
    sleep "$RAFT_POLL"
    waited=$((waited + RAFT_POLL))
  done
  return 1
}

set_server_id() {
  case $1 in '' | *[!0-9]*) log "refusing to set an invalid SERVER_ID '$1'"; exit 1 ;; esac
  sed -i "s/SERVER_ID *= *-\{0,1\}[0-9][0-9]*/SERVER_ID = $1/" "$ONE_ETC/oned.conf"
  mkdir -p "$RAFT_STATE_DIR"
  echo "$1" > "$RAFT_ID_FILE"
  log "Raft member $POD_NAME runs as SERVER_ID $1"
}

# member_db POD: the database of member POD, as this member reaches it ("host port name").
member_db() {
  if [ "${DB_BUNDLED:-}" = true ]; then
    echo "$1.$PEERS_DOMAIN $DB_PORT $DB_BASE_NAME"
  elif [ "${DB_NAME_PER_MEMBER:-}" = true ]; then
    echo "$DB_HOST $DB_PORT ${DB_BASE_NAME}_$(ordinal "$1")"
  else
    echo "$DB_HOST $DB_PORT $DB_BASE_NAME"
  fi
}

# tables_at HOST PORT DATABASE: how many of oned's version tables that database has (fails when its server does
# not answer).
tables_at() {
  my "$1" "$2" -N -B -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$3' AND table_name IN ('db_versioning', 'local_db_versioning')"
}

# peers_hold_no_data: every other member's database answers and has no version table. A new cluster is
# bootstrapped only then: during a full restart a member 0 that lost its volume sees its peers' databases.
peers_hold_no_data() {
  for p in $(peers); do
    # shellcheck disable=SC2046 # host, port and database name
    n=$(tables_at $(member_db "$p") 2>/dev/null) || { log "the database of $p does not answer yet"; return 1; }
    [ "$n" = 0 ] || { log "the database of $p holds data: this is an existing cluster"; return 1; }
  done
}

# seed_from_leader LEADER: replaces this member's database with a consistent copy of the leader's (what the HA
# guide does with `onedb backup`/`onedb restore`, frontend_ha.rst). The copy is made without `--databases`, so it
# loads into this member's database whatever its name: `onedb backup` dumps with
# `--add-drop-database --databases <db>` (OpenNebula/one@release-7.4.0:src/onedb/onedb_backend.rb:265, the same at
# 6.10.5, 7.0.2 and 7.2.0), and restoring that into `<name>_<N>` would drop and refill the leader's database.
seed_from_leader() {
  mkdir -p "$ONE_VAR/backups/db" "$RAFT_STATE_DIR"
  dump="$ONE_VAR/backups/db/seed-from-$1.sql"
  # shellcheck disable=SC2046 # host, port and database name
  set -- $(member_db "$1")
  log "seeding the database from the leader's ($1/$3)"
  # A copy of the whole database, credentials included: owner-only, as backup.sh's backups.
  (umask 077 && mydump "$1" "$2" "$3" > "$dump.part")
  mv "$dump.part" "$dump"
  load_dump "$dump"
  rm -f "$dump"
}

# member_connections: how many connections a running member holds on its database server. oned and monitord each
# open a pool of CONNECTIONS (the DB attribute of oned.conf, 25 as prepare.sh writes it, and of monitord.conf,
# default 15) and one more connection to escape strings (OpenNebula/one@release-7.4.0:src/sql/MySqlDB.cc:202-230;
# oned's pool: src/nebula/Nebula.cc:494; monitord's: src/monitor/src/monitor/Monitor.cc:126-129; the same at
# 6.10.5, 7.0.2 and 7.2.0): 42 with the chart's settings.
member_connections() {
  _pool() { sed -n -e '/^[[:space:]]*#/d' -e 's/.*CONNECTIONS *= *\([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null | tail -n 1; }
  _o=$(_pool "$ONE_ETC/oned.conf")
  _m=$(_pool "$ONE_ETC/monitord.conf")
  echo $((${_o:-25} + 1 + ${_m:-15} + 1))
}

# room_on_server: true when the database server can open the connections this member will hold besides those
# open now; with the bundled MariaDB (a server per member) always. Every member of a zone on one external server
# shares its max_connections (MariaDB's default 151 holds three members, not five): a member registered with the
# leader that then cannot connect ("Too many connections") crash-loops while the zone counts it, one member short
# of its quorum, and the next member never gets its turn. So a new member registers only once it fits; else
# ROOM_WHY says why.
room_on_server() {
  [ "${DB_NAME_PER_MEMBER:-}" = true ] || return 0
  _max=$(my "$DB_HOST" "$DB_PORT" -N -B -e 'SELECT @@max_connections') || { ROOM_WHY="the database server"; return 1; }
  _used=$(my "$DB_HOST" "$DB_PORT" -N -B -e "SHOW GLOBAL STATUS LIKE 'Threads_connected'" | awk '{ print $2 }')
  _need=$(member_connections)
  [ -n "$_used" ] && [ $((_max - _used)) -lt "$_need" ] || return 0
  ROOM_WHY="room for $_need more connections on the database server (max_connections $_max, $_used in use): raise its max_connections"
  return 1
}

# wait_for_turn: prints the leader of now once every member with a lower ordinal is in its zone and every server
# the zone lists answers and follows it in sync, and the database server has room for this member's connections
# (room_on_server). Members so register one at a time, in ordinal order, and adding a member (which raises the
# quorum) never happens while the cluster is degraded, nor when the new member could not run.
wait_for_turn() {
  _n=$(ordinal "$POD_NAME")
  waited=0
  while :; do
    _why="a leader"
    if _l=$(find_leader) && _servers=$(raft servers "$(member_endpoint "$_l")" 2>/dev/null); then
      _missing=""
      _i=0
      while [ "$_i" -lt "$_n" ]; do
        printf '%s\n' "$_servers" | awk -v m="$STATEFULSET-$_i" '$2 == m { f = 1 } END { exit !f }' \
          || _missing="$_missing $STATEFULSET-$_i"
        _i=$((_i + 1))
      done
      if [ -n "$_missing" ]; then
        _why="${_missing# } to join first"
      elif ! raft healthy "$(member_endpoint "$_l")" >/dev/null 2>&1; then
        _why="every registered member to be in sync"
      elif room_on_server; then
        echo "$_l"
        return 0
      else
        _why=$ROOM_WHY
      fi
    fi
    [ "$waited" -lt "$RAFT_WAIT" ] || { log "no turn to register within ${RAFT_WAIT}s: waited for $_why"; return 1; }
    log "waiting for $_why before registering"
    sleep "$RAFT_POLL"
    waited=$((waited + RAFT_POLL))
  done
}

# copy_zone_row LEADER: zone 0's row in this member's database becomes the one in LEADER's, which lists this
# member since its `server-add` (see the top of this file). Only that row (a REPLACE of oid 0): the rest of the
# copy stays as it is, and the log entry of the registration, when it arrives, writes the same row again.
copy_zone_row() {
  # shellcheck disable=SC2046 # host, port and database name
  set -- $(member_db "$1")
  _f="$ONE_VAR/backups/db/zone-from-$1.sql"
  (umask 077 && mydump_row "$1" "$2" "$3" zone_pool "oid = 0" > "$_f") \
    && my "$DB_HOST" "$DB_PORT" "$DB_NAME" < "$_f"
  _rc=$?
  rm -f "$_f"
  return "$_rc"
}

# join LEADER: seeds the database, registers this member with the leader (or resets it when the zone knows it)
# and starts it under the ID the zone gave its name and endpoint.
join() {
  known=$(registered "$POD_NAME" "$(member_endpoint "$1")")
  # Until this member runs under its ID, its copy is no member's database: a start that stops on the way (no turn
  # within RAFT_WAIT, a failed registration) takes it for a partial one (oned.sh: database_state) and copies again.
  mkdir -p "$RAFT_STATE_DIR"
  touch "$RAFT_STATE_DIR/joining"
  seed_from_leader "$1"
  write_serveradmin_files
  if [ -n "$known" ]; then
    # The copy may have taken long and the leadership moved meanwhile: reset with the leader of now.
    leader=$(wait_for_leader) || { log "no leader to reset $POD_NAME with"; exit 1; }
    log "the zone knows $POD_NAME as server $known: resetting it"
    onezone server-reset 0 "$known" --endpoint "$(member_endpoint "$leader")"
    id=$known
  else
    # The copy may have taken long: register with the leader of now, once it is this member's turn, and read
    # the ID back from it by name and endpoint.
    leader=$(wait_for_turn) || exit 1
    leader_ep=$(member_endpoint "$leader")
    grpc_arg=""
    if [ "${GRPC:-}" = true ]; then grpc_arg="--grpc-endpoint $POD_NAME.$PEERS_DOMAIN:2634"; fi
    # shellcheck disable=SC2086 # grpc_arg is empty or two words
    onezone server-add 0 --name "$POD_NAME" --rpc "$(member_endpoint "$POD_NAME")" $grpc_arg --endpoint "$leader_ep" >/dev/null
    id=$(registered "$POD_NAME" "$leader_ep")
    [ -n "$id" ] || { log "the leader did not register $POD_NAME"; exit 1; }
    log "registered as server $id: taking the zone's servers from the leader's database"
    copy_zone_row "$leader" || { log "cannot copy the zone from the leader's database"; exit 1; }
  fi
  # oned takes its zone from this database: it must list this member, under this ID.
  mine=$(local_server_id) || mine=""
  if [ "$mine" != "$id" ]; then
    log "the leader gave $POD_NAME server ID $id, but this member's database lists it as '${mine:-nothing}': not starting as $id"
    exit 1
  fi
  set_server_id "$id"
  rm -f "$RAFT_STATE_DIR/joining"
}

# bootstrap_cluster: member 0 of a new cluster creates the database and registers itself as server 0.
bootstrap_cluster() {
  bootstrap_with register_self
}

# register_self: registers this member in the zone of the solo oned running here, unless it is there already.
register_self() {
  RAFT_BOOTSTRAP_ID=$(registered "$POD_NAME" "$LOCAL_ENDPOINT")
  if [ -z "$RAFT_BOOTSTRAP_ID" ]; then
    grpc_arg=""
    if [ "${GRPC:-}" = true ]; then grpc_arg="--grpc-endpoint $POD_NAME.$PEERS_DOMAIN:2634"; fi
    # shellcheck disable=SC2086
    onezone server-add 0 --name "$POD_NAME" --rpc "$(member_endpoint "$POD_NAME")" $grpc_arg >/dev/null
    RAFT_BOOTSTRAP_ID=$(registered "$POD_NAME" "$LOCAL_ENDPOINT")
  fi
  # An empty ID would write `SERVER_ID = ,` into oned.conf: stop here instead.
  [ -n "$RAFT_BOOTSTRAP_ID" ] || { log "the zone did not register $POD_NAME (no server ID): stopping"; exit 1; }
}

# reform_cluster: after a restore or a schema upgrade on this member (files/restore.sh), the zone still lists
# the members of the cluster the database came from. A solo oned removes every other server, so that this
# member leads a cluster of one, which the others (their databases dropped by `restore.sh --rejoin`) join as
# new members.
reform_cluster() {
  servers=$(raft servers "$LOCAL_ENDPOINT") || { log "cannot read the restored zone"; exit 1; }
  printf '%s\n' "$servers" | while read -r sid sname _; do
    if [ -n "$sid" ] && [ "$sname" != "$POD_NAME" ]; then
      log "restored database: removing server $sid ($sname) from the zone"
      onezone server-del 0 "$sid" >/dev/null || exit 1
    fi
  done || exit 1
  register_self
}

# zone_lists_servers: this member's own database belongs to a Raft cluster (its zone lists servers). Read with
# SQL: a solo oned on a Raft member's database would apply changes no other member sees.
zone_lists_servers() {
  _body=$(my "$DB_HOST" "$DB_PORT" -N -B --raw -e "SELECT body FROM zone_pool WHERE oid = 0" "$DB_NAME") || return 0
  case $_body in *"<SERVER>"*) return 0 ;; *) return 1 ;; esac
}

# adopt_single_database: on an external server a single front-end used `<name>`; as Raft member 0 it uses
# `<name>_0`. Copies the former into the latter once, so that the cloud carries on.
adopt_single_database() {
  [ "$(ordinal "$POD_NAME")" -eq 0 ] && [ "${DB_NAME_PER_MEMBER:-}" = true ] || return 1
  n=$(tables_at "$DB_HOST" "$DB_PORT" "$DB_BASE_NAME" 2>/dev/null) || return 1
  [ "$n" = 2 ] || return 1
  log "the single front-end's database $DB_BASE_NAME becomes member 0's ($DB_NAME)"
  mkdir -p "$ONE_VAR/backups/db" "$RAFT_STATE_DIR"
  dump="$ONE_VAR/backups/db/adopt-$DB_BASE_NAME.sql"
  (umask 077 && mydump "$DB_HOST" "$DB_PORT" "$DB_BASE_NAME" > "$dump")
  load_dump "$dump"
  rm -f "$dump"
}

# bootstrap_or_join: member 0 with an empty database and no leader in sight. It bootstraps a new cluster as soon as
# no peer's oned runs and every peer's database answers and holds no data, and joins a leader that appears
# meanwhile. Both are asked again at every poll: in a first install the peers' pods (and their databases) start
# when they start, and deciding once, at one instant, sent member 0 into a wait for a leader that could not exist
# until its start gave up (issue 16 major 3). A peer database that holds data means an existing cluster: it
# never bootstraps then, and waits for that cluster's leader.
bootstrap_or_join() {
  waited=0
  while :; do
    if leader=$(find_leader); then
      join "$leader"
      return 0
    fi
    if ! any_peer_runs && peers_hold_no_data; then
      log "no peer runs and no peer's database holds data: bootstrapping a new Raft cluster"
      bootstrap_cluster
      set_server_id "$RAFT_BOOTSTRAP_ID"
      return 0
    fi
    [ "$waited" -lt "$RAFT_WAIT" ] || { log "neither a leader nor every peer's empty database after ${RAFT_WAIT}s"; exit 1; }
    sleep "$RAFT_POLL"
    waited=$((waited + RAFT_POLL))
  done
}

# raft_start STATE: decides how this member enters the cluster, given its database state (ready, empty or
# partial: an interrupted copy, replaced by the leader's like an empty one; member 0 never bootstraps over it).
raft_start() {
  previous=""
  n=$(ordinal "$POD_NAME")
  if [ "$n" -gt 0 ]; then previous="$STATEFULSET-$((n - 1))"; fi
  if [ "$1" = ready ] && [ -f "$RAFT_STATE_DIR/restored" ]; then
    log "this member's database was restored or upgraded: re-forming the cluster around it"
    solo_with reform_cluster
    set_server_id "$RAFT_BOOTSTRAP_ID"
    rm -f "$RAFT_STATE_DIR/restored"
    return 0
  fi
  if [ "$1" = empty ] && adopt_single_database; then
    raft_start ready
    return 0
  fi
  case $1 in
    ready)
      id=$(cat "$RAFT_ID_FILE" 2>/dev/null || true)
      leader=$(find_leader || true)
      mine=""
      if [ -n "$leader" ]; then
        mine=$(registered "$POD_NAME" "$(member_endpoint "$leader")")
        if [ -z "$mine" ]; then
          log "the leader's zone does not list $POD_NAME, and this member's database holds data. If the member was"
          log "removed on purpose (onezone server-del), drop its database to let it join anew: maintenance mode and"
          log "restore.sh --rejoin, or delete its volumes. Refusing to drop it myself."
          exit 1
        fi
      fi
      local_id=""
      if [ -z "$mine" ] && [ -n "$id" ]; then local_id=$(local_server_id) || local_id=""; fi
      if [ -n "$mine" ]; then
        set_server_id "$mine"
      elif [ -n "$id" ] && [ "$local_id" = "$id" ]; then
        set_server_id "$id"
      elif [ -z "$leader" ] && [ "$n" -eq 0 ] && ! any_peer_runs && ! zone_lists_servers; then
        log "a single front-end's database: registering it as member 0 of a new Raft cluster"
        solo_with register_self
        set_server_id "$RAFT_BOOTSTRAP_ID"
      else
        if [ -n "$id" ]; then
          log "the stored SERVER_ID $id is not this member's in its own database's zone (it lists $POD_NAME as '${local_id:-nothing}'): waiting for the leader's zone"
        else
          log "this member's database belongs to a Raft cluster but its server ID is unknown: waiting for a leader"
        fi
        leader=$(wait_for_leader) || { log "no leader after ${RAFT_WAIT}s"; exit 1; }
        id=$(registered "$POD_NAME" "$(member_endpoint "$leader")")
        [ -n "$id" ] || { log "database present but the zone does not list $POD_NAME"; exit 1; }
        set_server_id "$id"
      fi
      ;;
    empty | partial)
      if leader=$(find_leader); then
        # A new member (one the zone does not know yet) joins only after the member before it.
        leader_ep=$(member_endpoint "$leader")
        mine=$(registered "$POD_NAME" "$leader_ep")
        before=""
        if [ -n "$previous" ]; then before=$(registered "$previous" "$leader_ep"); fi
        if [ -n "$previous" ] && [ -z "$mine" ] && [ -z "$before" ]; then
          log "waiting for a leader and for $previous to join before joining"
          leader=$(wait_for_leader "$previous") || { log "$previous did not join within ${RAFT_WAIT}s"; exit 1; }
        fi
        join "$leader"
      elif [ "$1" = empty ] && [ "$n" -eq 0 ]; then
        bootstrap_or_join
      else
        log "waiting for a leader${previous:+ and for $previous to join} before joining"
        leader=$(wait_for_leader "$previous") || { log "no leader after ${RAFT_WAIT}s"; exit 1; }
        join "$leader"
      fi
      ;;
  esac
}
