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
set -u
ONE_VAR=${ONE_VAR:-/var/lib/one}
ONE_RUN=${ONE_RUN:-/run/one}
AUTH=${ONECHART_AUTH:-/run/onechart/auth}
INTERVAL=${ADMIN_SYNC_INTERVAL:-30}
ONE_AUTH_FILE="$ONE_VAR/.one/one_auth"
TRY="$ONE_RUN/onechart-try-auth"

log() { echo "onechart-admin-users: $*"; }

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
      # From its file (`--read-file`, src/cli/oneuser:75-80): a password on a command line shows in ps.
      if ONE_AUTH="$ONE_AUTH_FILE" oneuser passwd 0 --read-file "$AUTH/oneadmin-password" >/dev/null 2>&1; then
        write_one_auth "$desired"
        log "oneadmin's password changed to the Secret's"
      else
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

# alive PID: the process runs (an exited process not yet reaped by its parent still answers kill -0).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ "$(sed -e 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

# Usage: sync-admin-users.sh PID  -- runs while process PID (oned, which oned.sh becomes) lives.
if [ "${ONECHART_SOURCE_ONLY:-}" != 1 ]; then
  watch=${1:?usage: sync-admin-users.sh PID}
  until [ -f "$ONE_RUN/onechart-ready" ]; do alive "$watch" || exit 0; sleep 1; done
  while alive "$watch"; do
    i=0
    while [ "$i" -lt "$INTERVAL" ] && alive "$watch"; do sleep 1; i=$((i + 1)); done
    alive "$watch" || exit 0
    reconcile_oneadmin
    reconcile_serveradmin
  done
fi
