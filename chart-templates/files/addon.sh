#!/bin/sh
# onechart: runs an OpenNebula add-on daemon (FireEdge, OneGate, OneFlow, OneForm, OneKS, the exporter, 6.10's
# Sunstone) in a pod of its own, away from oned: its readiness never decides the API's.
# Usage: addon.sh CREDENTIAL... -- COMMAND...
#   CREDENTIAL is FILE=serveradmin or FILE=oneadmin (FILE gets `<user>:<password>` from the mounted Secret key
#   `<user>-password`), or FILE=@KEY (FILE gets the Secret key KEY as it is); FILE is under $ONE_VAR/.one.
# What it does:
#  - writes the credential files the daemon reads at start (onegate_auth, oneflow_auth, sunstone_auth,
#    fireedge_key, one_auth: OpenNebula/one@release-7.4.0:src/onegate/onegate-server.rb:36,121,
#    src/flow/oneflow-server.rb:35,158, src/form/config/environment.rb:42, src/ods/config/environment.rb:45,
#    src/fireedge/src/server/utils/server.js:631,670, src/oneprometheus/opennebula-exporter/src/
#    opennebula_ha_collector.rb:90) from the mounted Secret, owner-only;
#  - links the daemon's log files to its output (ADDON_LOGS; they log only to fixed files under /var/log/one);
#  - waits until oned's API answers (ONECHART_API host:port, the -leader Service), then starts COMMAND;
#  - when a mounted credential changes (the kubelet refreshes a Secret volume in place), rewrites the files and
#    restarts the daemon: the daemons read them once, at start (server_cipher_auth.rb new_client);
#  - exits 1 when the daemon exits (the kubelet restarts the container), and stops it on TERM;
#  - with ADDON_ONCE=true (a Job's command, such as `oneshowback calculate`), runs COMMAND once and exits with
#    its status instead.
set -eu
secrets=${ONECHART_AUTH:-/run/onechart/auth}
dotone=${ONE_VAR:-/var/lib/one}/.one
logs=${ONE_LOG:-/var/log/one}
poll=${ADDON_POLL:-10}

log() { echo "onechart-addon: $*"; }

creds=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  creds="$creds $1"
  shift
done
[ "${1:-}" = -- ] || { log "usage: addon.sh CREDENTIAL... -- COMMAND..."; exit 2; }
shift
[ $# -gt 0 ] || { log "usage: addon.sh CREDENTIAL... -- COMMAND..."; exit 2; }

# secret_of CREDENTIAL: the Secret key file a credential comes from.
secret_of() {
  case ${1#*=} in
    @*) echo "$secrets/${1#*=@}" ;;
    *) echo "$secrets/${1#*=}-password" ;;
  esac
}

write_credentials() {
  mkdir -p "$dotone"
  # $dotone is the pod's emptyDir: the kubelet makes it root's, mode 0777 (kubernetes/kubernetes
  # pkg/volume/emptydir/empty_dir.go, perm 0777), and only its owner may chmod it (the restricted security context
  # runs the add-on as oneadmin). The files below are owner-only (umask 077) and the volume is this pod's alone.
  if [ -O "$dotone" ]; then chmod 0700 "$dotone"; fi
  for c in $creds; do
    file=$dotone/${c%%=*}
    src=$(secret_of "$c")
    [ -s "$src" ] || { log "the Secret has no ${src##*/}"; exit 1; }
    case ${c#*=} in
      @*) (umask 077 && cat "$src" > "$file.onechart") ;;
      *) (umask 077 && printf '%s:%s\n' "${c#*=}" "$(cat "$src")" > "$file.onechart") ;;
    esac
    mv "$file.onechart" "$file"
  done
}

fingerprint() {
  for c in $creds; do cksum < "$(secret_of "$c")" 2>/dev/null || true; done
}

# link_logs: each log file of ADDON_LOGS becomes a link to the container's output. FireEdge's winston File
# transport (maxsize 5 MB, src/fireedge/src/server/utils/logger.js:65-80) moves on to <name>1.log, <name>2.log...
# after each 5 MB (winston 3.3.3, lib/winston/transports/file.js _getFile): ADDON_ROTATED names those files,
# which are links ahead of it (ADDON_ROTATED_AHEAD names, 5 GB of output at 1000), so it writes no file into the
# log volume. Only a regular file (winston got past every link) moves the window: links are never counted, or
# each poll would add more.
link_logs() {
  mkdir -p "$logs"
  for f in ${ADDON_LOGS:-}; do ln -sfn /dev/stdout "$logs/$f"; done
  for f in ${ADDON_ROTATED:-}; do
    base=${f%.*}
    ext=${f##*.}
    highest=0
    for existing in "$logs/$base"[0-9]*."$ext"; do
      if [ -L "$existing" ] || [ ! -f "$existing" ]; then continue; fi
      i=${existing#"$logs/$base"}
      i=${i%."$ext"}
      case $i in *[!0-9]*) continue ;; esac
      if [ "$i" -gt "$highest" ]; then highest=$i; fi
    done
    n=1
    while [ "$n" -le $((highest + ${ADDON_ROTATED_AHEAD:-1000})) ]; do
      [ -e "$logs/$base$n.$ext" ] || [ -L "$logs/$base$n.$ext" ] || ln -s /dev/stdout "$logs/$base$n.$ext"
      n=$((n + 1))
    done
  done
}

# link_vm_logs: FireEdge 7.2 reads a VM's log as /var/log/one/<id>.log (src/fireedge/src/server/routes/api/vm/
# functions.js at release-7.2.0), which oned writes as /var/lib/one/vms/<id>/vm.log (LOG USE_VMS_LOCATION).
link_vm_logs() {
  [ -n "${ADDON_VM_LOGS:-}" ] && [ -d "$ADDON_VM_LOGS" ] || return 0
  for d in "$ADDON_VM_LOGS"/*/; do
    id=${d%/}
    id=${id##*/}
    case $id in '' | *[!0-9]*) continue ;; esac
    [ -L "$logs/$id.log" ] || ln -sfn "$ADDON_VM_LOGS/$id/vm.log" "$logs/$id.log"
  done
}

wait_for_api() {
  [ -n "${ONECHART_API:-}" ] || return 0
  i=0
  until ruby -rsocket -e 'TCPSocket.new(ARGV[0], ARGV[1].to_i).close' "${ONECHART_API%:*}" "${ONECHART_API##*:}" 2>/dev/null; do
    if [ $((i % 30)) -eq 0 ]; then log "waiting for oned's API at $ONECHART_API before starting $1"; fi
    i=$((i + 1))
    sleep 2
  done
}

child=""
stop() { if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi; }
trap 'stop; exit 0' TERM INT

link_logs
write_credentials
wait_for_api "$1"
if [ "${ADDON_ONCE:-}" = true ]; then
  log "running $1"
  exec "$@"
fi
while :; do
  seen=$(fingerprint)
  log "starting $1"
  "$@" &
  child=$!
  while kill -0 "$child" 2>/dev/null && [ "$(fingerprint)" = "$seen" ]; do
    link_logs
    link_vm_logs
    sleep "$poll" &
    wait $! || true
  done
  if ! kill -0 "$child" 2>/dev/null; then
    rc=0
    wait "$child" || rc=$?
    log "$1 exited ($rc)"
    exit 1
  fi
  log "a credential changed in its Secret: restarting $1 with it"
  stop
  child=""
  write_credentials
done
