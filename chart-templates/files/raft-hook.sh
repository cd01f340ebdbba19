#!/bin/sh
# onechart: RAFT_LEADER_HOOK / RAFT_FOLLOWER_HOOK. Records this member's role for the leader-only services and
# labels its pod `onechart.io/raft-role=<role>` at once, so the leader-routed Services follow the leader without
# waiting for files/raft-label.sh, which keeps the label in step afterwards (and retries a PATCH that failed here).
# oned runs it on every leadership change, and as follower at start.
set -eu
role=${1:?usage: raft-hook.sh leader|follower}
run=${ONE_RUN:-/run/one}
echo "$role" > "$run/raft-role.tmp" && mv "$run/raft-role.tmp" "$run/raft-role"
# shellcheck disable=SC2086 # ONE_LABEL_POD is a command with its arguments
if ${ONE_LABEL_POD:-ruby ${ONECHART_SCRIPTS:-/run/onechart/scripts}/label-pod.rb} "onechart.io/raft-role" "$role"; then
  echo "$role" > "$run/raft-label"
else
  rm -f "$run/raft-label"
fi
