#!/bin/sh
# onechart: runs the OpenNebula 6.10 noVNC proxy in the foreground (novnc-server forks and writes a pid file).
set -eu
pidfile=/var/lock/one/.novnc.lock
novnc-server start
trap 'novnc-server stop; exit 0' TERM INT
while pid=$(cat "$pidfile" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; do
  sleep 5
done
echo "onechart: noVNC proxy exited"
exit 1
