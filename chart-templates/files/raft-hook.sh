#!/bin/sh
# onechart: RAFT_LEADER_HOOK / RAFT_FOLLOWER_HOOK. Records this member's role for the leader-only services and
# labels its pod `onechart.io/raft-role=<role>`, so the leader-routed Services follow the leader. oned runs it
# on every leadership change, and as follower at start.
set -eu
role=${1:?usage: raft-hook.sh leader|follower}
run=${ONE_RUN:-/run/one}
echo "$role" > "$run/raft-role.tmp" && mv "$run/raft-role.tmp" "$run/raft-role"
# shellcheck disable=SC2086 # ONE_LABEL_POD is a command with its arguments
exec ${ONE_LABEL_POD:-ruby ${ONECHART_SCRIPTS:-/run/onechart/scripts}/label-pod.rb} "onechart.io/raft-role" "$role"
