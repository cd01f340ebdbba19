#!/bin/sh
# onechart: runs a daemon that must run once per cluster (OneGate, OneFlow, the hook manager, OneForm, OneKS) while
# this member is the Raft leader (always, on a single front-end), and restarts it when its credentials file
# changes: the daemons read it once, at start (onehem: OpenNebula/one@release-7.4.0:src/hem/onehem-server.rb:272,
# a single OpenNebula::Client; OneGate and OneFlow their *_auth file), and files/sync-admin-users.sh rewrites
# one_auth when the Secret's password changes. With LEADER_ONLY=false it runs on every member, and only restarts
# the daemon on new credentials (6.10's mm_sched reads one_auth once, at start). Usage: leader-only.sh AUTH_FILE COMMAND...
set -eu
scripts=${ONECHART_SCRIPTS:-/run/onechart/scripts}
auth=$1
shift
credentials=${ONE_VAR:-/var/lib/one}/.one/$auth
role_file=${ONE_RUN:-/run/one}/raft-role
poll=${LEADER_POLL:-2}
is_leader() {
  [ "${LEADER_ONLY:-true}" = false ] || [ "${RAFT_MEMBERS:-1}" -le 1 ] || [ "$(cat "$role_file" 2>/dev/null)" = leader ]
}
fingerprint() { cksum < "$credentials" 2>/dev/null || true; }
child=""
stop() { if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi; }
trap 'stop; exit 0' TERM INT
/bin/sh "$scripts/wait-for-oned.sh" "$auth" true
while :; do
  until is_leader; do sleep "$poll"; done
  seen=$(fingerprint)
  echo "onechart: starting $1"
  "$@" &
  child=$!
  while is_leader && kill -0 "$child" 2>/dev/null && [ "$(fingerprint)" = "$seen" ]; do sleep "$poll"; done
  if ! kill -0 "$child" 2>/dev/null; then
    echo "onechart: $1 exited"
    wait "$child" || true
    exit 1
  fi
  if is_leader; then
    echo "onechart: $auth changed: restarting $1"
  else
    echo "onechart: this member follows now: stopping $1"
  fi
  stop
  child=""
done
