#!/bin/sh
# onechart: runs a leader-only service (OneGate, OneFlow, the hook manager) only while this member is the Raft
# leader; on a single front-end it just starts it. Usage: leader-only.sh AUTH_FILE COMMAND...
set -eu
scripts=${ONECHART_SCRIPTS:-/run/onechart/scripts}
if [ "${RAFT_MEMBERS:-1}" -le 1 ]; then
  exec /bin/sh "$scripts/wait-for-oned.sh" "$@"
fi
auth=$1
shift
role_file=${ONE_RUN:-/run/one}/raft-role
poll=${LEADER_POLL:-2}
is_leader() { [ "$(cat "$role_file" 2>/dev/null)" = leader ]; }
child=""
stop() { if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi; }
trap 'stop; exit 0' TERM INT
/bin/sh "$scripts/wait-for-oned.sh" "$auth" true
while :; do
  until is_leader; do sleep "$poll"; done
  echo "onechart: this member leads: starting $1"
  "$@" &
  child=$!
  while is_leader && kill -0 "$child" 2>/dev/null; do sleep "$poll"; done
  if is_leader; then
    echo "onechart: $1 exited while this member leads"
    wait "$child" || true
    exit 1
  fi
  echo "onechart: this member follows now: stopping $1"
  stop
  child=""
done
