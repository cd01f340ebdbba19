#!/bin/sh
# onechart: the Secret owns the oneadmin and serveradmin passwords; OpenNebula follows it. Runs in the
# background of the oned container of every member, every ADMIN_SYNC_INTERVAL seconds:
#  - oneadmin: when the Secret's `oneadmin-password` differs from this member's one_auth, the leader (or the
#    single front-end) changes oneadmin's password with `oneuser passwd 0`, authenticated with the one_auth it
#    replaces; every member then rewrites its one_auth once the new password authenticates. oned re-reads
#    one_auth for the calls it makes as a client, Raft's among them (OpenNebula/one@release-7.4.0:src/client/Client.cc),
#    so no restart is needed. The kubelet refreshes the mounted Secret within about a minute of a change.
#  - serveradmin: its stored password is sha256 of the token in the *_auth files (`oneuser passwd 1 --sha256`,
#    OpenNebula/one@release-7.4.0:src/cli/one_helper/oneuser_helper.rb:76-79; server_cipher passwords are stored
#    as given, src/um/User.cc:369-382); the leader sets it whenever it differs from the Secret's token (for
#    example after a bootstrap that was interrupted before onechart set it).
# Changing a password with `oneuser passwd 0` alone is undone only if it cannot authenticate; the README says to
# change the Secret instead.
# Under Raft the order matters (issue 16 major 7). oned authenticates every Raft call (replication, heartbeats,
# votes) with its one_auth, and the receiving member checks it against its own database
# (OpenNebula/one@release-7.4.0:src/client/Client.cc:149,180,212; src/um/UserPool.cc:1242,560). A follower
# learns that the password change is committed, and applies it, from the leader's next heartbeat, which must
# still carry the old password. So the leader changes the password only while every member follows in sync
# (`one-raft.rb healthy`), keeps the old password in its one_auth until every other member authenticates the new
# one (it has applied the change), and then switches at once; a follower switches when the new password works
# against its own oned. Switching before the followers applied the change (what this script did) made them refuse
# the leader's heartbeats: elections, and two pods labelled leader.
set -u
ONE_VAR=${ONE_VAR:-/var/lib/one}
ONE_RUN=${ONE_RUN:-/run/one}
AUTH=${ONECHART_AUTH:-/run/onechart/auth}
INTERVAL=${ADMIN_SYNC_INTERVAL:-30}
ONE_AUTH_FILE="$ONE_VAR/.one/one_auth"
TRY="$ONE_RUN/onechart-try-auth"

log() { echo "onechart-admin-users: $*"; }

LOCAL=http://localhost:2633/RPC2
raft() {
  # shellcheck disable=SC2086 # ONE_RAFT is a command with its arguments
  ${ONE_RAFT:-ruby ${ONECHART_SCRIPTS:-/run/onechart/scripts}/one-raft.rb} "$@"
}

# other_members: the endpoints of the other Raft members, read before the password changes (afterwards this
# member's one_auth no longer authenticates).
other_members() {
  [ "${RAFT_MEMBERS:-1}" -gt 1 ] || return 0
  raft servers "$LOCAL" 2>/dev/null | awk -v me="${POD_NAME:-}" '$2 != me { print $3 }'
}

# accepts ENDPOINT: the oned at ENDPOINT authenticates the credentials of "$TRY.body" (one.zone.raftstatus, which
# any authenticated user may call), asked with curl: a Ruby CLI takes a second or more to start on a busy node,
# and the switch below has to happen within Raft's election timeout.
accepts() {
  curl -s --max-time 2 -H 'Content-Type: text/xml' --data-binary @"$TRY.body" "$1" 2>/dev/null \
    | tr -d ' \n' | grep -q '<value><boolean>1</boolean></value>'
}

# wait_for_members PASSWORD ENDPOINT...: until each member's oned authenticates oneadmin with PASSWORD (it has
# applied the change), polled every tenth of a second for ADMIN_APPLY_WAIT seconds (a follower applies it on the
# next heartbeat, a fraction of a second). One that does not by then (down, partitioned) cannot catch up with the
# new password: the log says how to bring it back. A follower that has applied the change refuses the leader's
# heartbeats while they carry the old password, and starts an election once ELECTION_TIMEOUT_MS (oned.conf RAFT)
# passes without one (OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:730-745): the leader switches its
# one_auth as soon as every member has applied it.
wait_for_members() {
  password=$1
  shift
  [ $# -gt 0 ] || return 0
  (
    umask 077
    esc=$(printf '%s' "oneadmin:$password" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
    printf '<?xml version="1.0"?><methodCall><methodName>one.zone.raftstatus</methodName><params><param><value><string>%s</string></value></param></params></methodCall>' "$esc" > "$TRY.body"
  )
  tries=$((${ADMIN_APPLY_WAIT:-10} * 10))
  for ep in "$@"; do
    t=0
    until accepts "$ep"; do
      t=$((t + 1))
      if [ "$t" -ge "$tries" ]; then
        log "$ep has not applied oneadmin's new password: it may not follow any more; if it does not, drop its"
        log "database (maintenance mode and restore.sh --rejoin) and it joins again (README: Credentials)"
        break
      fi
      sleep 0.1
    done
  done
  rm -f "$TRY.body"
}

# in_charge: this member may change passwords (single front-end, or the Raft leader).
in_charge() {
  [ "${RAFT_MEMBERS:-1}" -le 1 ] || [ "$(cat "$ONE_RUN/raft-role" 2>/dev/null)" = leader ]
}

# login PASSWORD: prints ok (oneadmin logs in with it), denied (oned refuses it) or down (no answer).
login() {
  (umask 077 && printf 'oneadmin:%s\n' "$1" > "$TRY")
  if out=$(ONE_AUTH="$TRY" oneuser show 0 2>&1); then
    echo ok
  else
    case $out in *authenticat*) echo denied ;; *) echo down ;; esac
  fi
  rm -f "$TRY"
}

write_one_auth() {
  (umask 077 && printf 'oneadmin:%s\n' "$1" > "$ONE_AUTH_FILE.onechart") && mv "$ONE_AUTH_FILE.onechart" "$ONE_AUTH_FILE"
}

sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

reconcile_oneadmin() {
  desired=$(cat "$AUTH/oneadmin-password") || return 0
  current=$(cut -d: -f2- "$ONE_AUTH_FILE" 2>/dev/null)
  wanted=$(login "$desired")
  [ "$wanted" != down ] || return 0
  if [ "$wanted" = ok ]; then
    if [ "$desired" != "$current" ]; then
      write_one_auth "$desired"
      log "one_auth follows the Secret's oneadmin password"
    fi
  elif [ "$desired" != "$current" ] && [ "$(login "$current")" = ok ]; then
    if in_charge; then
      if [ "${RAFT_MEMBERS:-1}" -gt 1 ] && ! raft healthy "$LOCAL" >/dev/null 2>&1; then
        log "a Raft member is not in sync: oneadmin's password changes only while every member follows; retrying"
        return 0
      fi
      members=$(other_members)
      # The new password from a file (`oneuser passwd 0 --read-file FILE`: its first line,
      # OpenNebula/one@release-7.4.0:src/cli/oneuser:75-80,245,458, src/cli/one_helper/oneuser_helper.rb:60-66; the
      # same at 6.10.5, 7.0.2 and 7.2.0), never on a command line, where ps shows it. The file holds exactly
      # $desired, which the members and one_auth then get, even if the Secret changes meanwhile.
      (umask 077 && printf '%s\n' "$desired" > "$TRY.new")
      if ONE_AUTH="$ONE_AUTH_FILE" oneuser passwd 0 --read-file "$TRY.new" >/dev/null 2>&1; then
        rm -f "$TRY.new"
        # shellcheck disable=SC2086 # one endpoint per word
        wait_for_members "$desired" $members
        write_one_auth "$desired"
        log "oneadmin's password changed to the Secret's"
      else
        rm -f "$TRY.new"
        log "could not change oneadmin's password to the Secret's; retrying"
      fi
    fi
  else
    log "oneadmin authenticates neither with the Secret's password nor with one_auth: if it was changed with"
    log "oneuser passwd, put that password in the Secret (key oneadmin-password); the Secret owns it"
  fi
}

reconcile_serveradmin() {
  in_charge || return 0
  token=$(cat "$AUTH/serveradmin-password") || return 0
  stored=$(ONE_AUTH="$ONE_AUTH_FILE" oneuser show 1 -x 2>/dev/null \
    | sed -n 's:.*<PASSWORD>\(<!\[CDATA\[\)\{0,1\}\([^]<]*\)\(\]\]>\)\{0,1\}</PASSWORD>.*:\2:p') || return 0
  [ -n "$stored" ] || return 0
  if [ "$stored" != "$(sha256 "$token")" ]; then
    if ONE_AUTH="$ONE_AUTH_FILE" oneuser passwd 1 --sha256 --read-file "$AUTH/serveradmin-password" >/dev/null 2>&1; then
      log "serveradmin's password set to the Secret's token"
    fi
  fi
}

# shellcheck source=common.sh
. "${ONECHART_SCRIPTS:-/run/onechart/scripts}/common.sh"

# Usage: sync-admin-users.sh PID  -- runs while process PID (oned, which oned.sh becomes) lives.
if [ "${ONECHART_SOURCE_ONLY:-}" != 1 ]; then
  watch=${1:?usage: sync-admin-users.sh PID}
  until [ -f "$ONE_RUN/onechart-ready" ]; do alive "$watch" || exit 0; sleep 1; done
  until ONE_AUTH="$ONE_AUTH_FILE" oned_answers; do alive "$watch" || exit 0; sleep 2; done
  # At once when oned is ready, then every INTERVAL: a bootstrap interrupted after oned created the database and
  # before it set serveradmin's password leaves oned's random token there, and every add-on's login (the Secret's
  # token) is refused until this runs (the real tier's OneGate 401 at load 20).
  while alive "$watch"; do
    reconcile_oneadmin
    reconcile_serveradmin
    i=0
    while [ "$i" -lt "$INTERVAL" ] && alive "$watch"; do sleep 1; i=$((i + 1)); done
  done
fi
