#!/bin/sh
# onechart: starts a daemon once oned has finished its start (and, for services that authenticate as
# serveradmin, once their auth file holds the shared password). Usage: wait-for-oned.sh AUTH_FILE COMMAND...
set -eu
# The container's main process until it execs the daemon: PID 1 ignores a signal it has no handler for, so
# without this trap a pod deleted while oned is down (maintenance mode, a crash loop) waited for SIGKILL.
trap 'exit 0' TERM INT
auth=$1
shift
ready=${ONE_RUN:-/run/one}/onechart-ready
i=0
until [ -f "$ready" ] && [ -s "${ONE_VAR:-/var/lib/one}/.one/$auth" ]; do
  i=$((i + 1))
  if [ $((i % 30)) -eq 0 ]; then echo "onechart: still waiting for oned before starting $1"; fi
  sleep 2
done
exec "$@"
