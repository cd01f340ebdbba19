#!/bin/sh
# onechart: keeps this member's `onechart.io/raft-role` label (which the leader-routed Services select) in step with
# Raft's state, continuously. The Raft hooks (files/raft-hook.sh) label the pod when oned changes role, but a hook
# runs once: a PATCH that fails during a fail-over (the API server busy, a token being renewed) left the leader
# Services empty, or a follower labelled leader (issue 16 major 5). Every LABEL_INTERVAL seconds this loop asks the
# local oned (one-raft.rb) and labels the pod `leader` only when it leads and passes the leader's readiness check
# (`one-raft.rb ready`), `follower` otherwise (oned down, candidate, follower), retrying a failed PATCH at the next
# turn and re-asserting the label every LABEL_REFRESH turns. It also writes $ONE_RUN/raft-role, which the leader-only
# daemons follow. Started in the background by oned.sh with oned's PID: it ends when oned does.
# Usage: raft-label.sh PID
set -u
watch=${1:?usage: raft-label.sh PID}
# shellcheck source=common.sh
. "${ONECHART_SCRIPTS:-/run/onechart/scripts}/common.sh"
run=${ONE_RUN:-/run/one}
interval=${LABEL_INTERVAL:-5}
refresh=${LABEL_REFRESH:-12}
raft=${ONE_RAFT:-ruby ${ONECHART_SCRIPTS:-/run/onechart/scripts}/one-raft.rb}
label=${ONE_LABEL_POD:-ruby ${ONECHART_SCRIPTS:-/run/onechart/scripts}/label-pod.rb}

log() { echo "onechart-raft-label: $*"; }

# role: leader when the local oned leads and is ready as a leader; follower otherwise.
role() {
  # shellcheck disable=SC2086 # ONE_RAFT is a command with its arguments
  state=$($raft status http://localhost:2633/RPC2 2>/dev/null | cut -d' ' -f1)
  # shellcheck disable=SC2086
  if [ "$state" = leader ] && $raft ready "${RAFT_SYNC_LAG:-100}" >/dev/null 2>&1; then echo leader; else echo follower; fi
}

turn=0
while alive "$watch"; do
  r=$(role)
  echo "$r" > "$run/raft-role.tmp" && mv "$run/raft-role.tmp" "$run/raft-role"
  applied=$(cat "$run/raft-label" 2>/dev/null || true)
  if [ "$r" != "$applied" ] || [ $((turn % refresh)) -eq 0 ]; then
    # shellcheck disable=SC2086 # ONE_LABEL_POD is a command with its arguments
    if out=$($label onechart.io/raft-role "$r" 2>&1); then
      echo "$r" > "$run/raft-label"
      if [ "$r" != "$applied" ]; then log "labelled $r"; fi
    else
      rm -f "$run/raft-label"
      log "labelling $r failed, retrying in ${interval}s: $out"
    fi
  fi
  turn=$((turn + 1))
  sleep "$interval"
done
