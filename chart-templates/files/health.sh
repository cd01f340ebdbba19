#!/bin/sh
# onechart: probe of a service container. `health.sh PORT` is healthy when the port accepts connections;
# leader-only services on a Raft follower (which do not run there) are healthy by definition.
# `health.sh raft` is oned's readiness under HA: this member is the leader, or a follower whose commit index is
# within RAFT_SYNC_LAG entries of the leader's (a follower's own COMMIT is capped at its own LOG_INDEX, so only
# the leader's tells whether it is in sync: OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:649-665).
# `health.sh process NAME` is healthy when another process runs NAME: the base name of its program (argv[0]) or,
# for an interpreter (`ruby onehem-server.rb`), of its script (argv[1]). Matching the whole command line would
# match this probe itself, whose arguments hold NAME.
set -eu
run=${ONE_RUN:-/run/one}
# `health.sh oned` is oned's readiness on a single front-end: oned.sh bootstraps (and upgrades) with a solo oned on
# the same port before it starts the one that serves; only that one, started after it touched onechart-ready,
# makes the member Ready.
if [ "$1" = oned ]; then
  [ -f "$run/onechart-ready" ] || exit 1
  exec ruby -rsocket -e 'TCPSocket.new("127.0.0.1", ARGV[0].to_i).close' "${ONED_PORT:-2633}"
fi
if [ "$1" = raft ]; then
  # shellcheck disable=SC2086 # ONE_RAFT is a command with its arguments
  exec ${ONE_RAFT:-ruby /run/onechart/scripts/one-raft.rb} ready "${RAFT_SYNC_LAG:-100}"
fi
if [ "${RAFT_MEMBERS:-1}" -gt 1 ] && [ "${LEADER_ONLY:-}" = true ] && [ "$(cat "$run/raft-role" 2>/dev/null)" != leader ]; then
  exit 0
fi
if [ "$1" = process ]; then
  for dir in "${HEALTH_PROC:-/proc}"/[0-9]*; do
    [ "${dir##*/}" != "$$" ] || continue
    # The first two NUL-separated arguments, one per line.
    args=$(tr '\000' '\n' < "$dir/cmdline" 2>/dev/null | head -n 2) || continue
    for arg in $args; do
      if [ "${arg##*/}" = "$2" ]; then exit 0; fi
    done
  done
  exit 1
fi
exec ruby -rsocket -e 'TCPSocket.new("127.0.0.1", ARGV[0].to_i).close' "$1"
