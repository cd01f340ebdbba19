#!/bin/sh
# onechart: prepares one front-end member before its daemons start (init container, runs as oneadmin).
#  - /etc/one: the image's packaged configuration, copied to a memory-backed volume and edited with onechart's
#    settings; the database password goes into oned.conf here, from the Secret, never from a ConfigMap.
#  - /var/lib/one: the member's volume, seeded from the image (remotes are refreshed on every start).
#  - identity: one_key, fireedge_key and the SSH key pair, identical on every member; one_auth from the Secret on
#    the first start only (afterwards files/sync-admin-users.sh keeps it in step with the Secret and OpenNebula);
#  - the SSH server for oneadmin (hypervisors and the front-end itself copy disks from `oned.hostname` over SSH);
#  - logs: every daemon logs to its container's output (files under /var/log/one are links to it).
set -eu

CONFIG=${ONECHART_CONFIG:-/run/onechart/config}     # ConfigMap: onechart's configuration fragments
AUTH=${ONECHART_AUTH:-/run/onechart/auth}           # Secret: oneadmin/serveradmin passwords, one_key, fireedge_key
SSH_KEYS=${ONECHART_SSH:-/run/onechart/ssh}         # Secret: oneadmin's SSH private key
SCRIPTS=${ONECHART_SCRIPTS:-/run/onechart/scripts}  # ConfigMap: these scripts
ETC=${ONECHART_ETC:-/run/onechart/etc}              # becomes /etc/one in the daemon containers
DATA=${ONECHART_DATA:-/run/onechart/data}           # becomes /var/lib/one in the daemon containers
LOGS=${ONECHART_LOG:-/run/onechart/log}             # becomes /var/log/one in the daemon containers
IMAGE_ETC=${ONECHART_IMAGE_ETC:-/etc/one}
IMAGE_DATA=${ONECHART_IMAGE_DATA:-/var/lib/one}

log() { echo "onechart-prepare: $*"; }

# remove_attribute FILE NAME: deletes `NAME = value` lines and `NAME = [ ... ]` blocks (not comments).
remove_attribute() {
  awk -v name="$2" '
    BEGIN { skipping = 0 }
    skipping { if ($0 ~ /\]/) { skipping = 0 }; next }
    $0 ~ "^[ \t]*" name "[ \t]*=" {
      if ($0 ~ /=[ \t]*\[/ && $0 !~ /\]/) { skipping = 1 }
      next
    }
    { print }
  ' "$1" > "$1.onechart" && mv "$1.onechart" "$1"
}

# quote VALUE: an OpenNebula template string, with " and \ escaped.
quote() {
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# replaces FILE: the attributes a ConfigMap file replaces (its `# onechart replaces: A B C` line); a file without
# that line replaces onechart's own attributes.
replaces() {
  _r=$(sed -n 's/^# onechart replaces: //p' "$1" | head -n 1)
  echo "${_r:-LOG HOSTNAME ONEGATE_ENDPOINT FEDERATION HM_MAD RAFT_LEADER_HOOK RAFT_FOLLOWER_HOOK NETWORK}"
}

# merge_template TARGET OVERRIDE: an OpenNebula template file (oned.conf syntax) from the ConfigMap merged over the
# packaged one: every attribute it replaces is removed from TARGET, then it is appended.
merge_template() {
  for attr in $(replaces "$2"); do remove_attribute "$1" "$attr"; done
  {
    echo
    echo "# ---- set by onechart (the chart's ConfigMap) ----"
    cat "$2"
  } >> "$1"
}

configure_oned() {
  conf="$ETC/oned.conf"
  remove_attribute "$conf" DB
  merge_template "$conf" "$CONFIG/oned.conf"
  {
    if [ -z "${DB_BACKEND:-}" ]; then
      : # an add-on's copy: no database section, no credential
    elif [ "$DB_BACKEND" = mysql ]; then
      echo "DB = [ BACKEND = \"mysql\","
      echo "       SERVER = $(quote "$DB_HOST"),"
      echo "       PORT = $DB_PORT,"
      echo "       USER = $(quote "$DB_USER"),"
      echo "       PASSWD = $(quote "$DB_PASSWORD"),"
      echo "       DB_NAME = $(quote "$DB_NAME"),"
      echo "       CONNECTIONS = 25,"
      echo "       COMPARE_BINARY = \"no\" ]"
    else
      echo "DB = [ BACKEND = \"sqlite\", TIMEOUT = 2500 ]"
    fi
  } >> "$conf"
  chmod 0640 "$conf"

  merge_template "$ETC/monitord.conf" "$CONFIG/monitord.conf"
  # The scheduler: 6.10's sched.conf (mm_sched, logging to its container's output), 7.x's rank driver
  # (schedulers/rank.conf) and OneDRS (schedulers/one_drs.conf, YAML).
  if [ -f "$ETC/sched.conf" ] && [ -f "$CONFIG/sched.conf" ]; then merge_template "$ETC/sched.conf" "$CONFIG/sched.conf"; fi
  if [ -f "$ETC/schedulers/rank.conf" ] && [ -f "$CONFIG/rank.conf" ]; then
    merge_template "$ETC/schedulers/rank.conf" "$CONFIG/rank.conf"
  fi
  if [ -f "$ETC/schedulers/one_drs.conf" ] && [ -f "$CONFIG/one_drs.conf" ]; then
    ruby "$SCRIPTS/merge-yaml.rb" "$ETC/schedulers/one_drs.conf" "$CONFIG/one_drs.conf"
  fi

  if [ -n "${EMULATOR:-}" ]; then
    for kvm in "$ETC"/vmm_exec/vmm_exec_kvm.conf "$ETC"/vmm_exec/*/vmm_exec_kvm.conf; do
      [ -f "$kvm" ] || continue
      remove_attribute "$kvm" EMULATOR
      echo "EMULATOR = $(quote "$EMULATOR")" >> "$kvm"
    done
  fi
}

# configure_services [CONF...]: the services' YAML files: the chart's settings, then config.<service> of the values
# (`values-<file>`), deep-merged over the packaged file.
configure_services() {
  for conf in ${1:-fireedge-server.conf onegate-server.conf oneflow-server.conf sunstone-server.conf \
              oneform-server.conf oneks-server.conf}; do
    [ -f "$ETC/$conf" ] || continue
    for override in "$CONFIG/$conf" "$CONFIG/values-$conf"; do
      if [ -f "$override" ]; then ruby "$SCRIPTS/merge-yaml.rb" "$ETC/$conf" "$override"; fi
    done
  done
}

# configure_remotes: the driver settings of the values (config.remotes, and OneKS's transparent proxy), merged into
# remotes/etc after seed_data refreshed the drivers from the image: they survive every restart and upgrade.
configure_remotes() {
  if [ -f "$CONFIG/remotes.yaml" ]; then
    ruby "$SCRIPTS/merge-remotes.rb" "$DATA/remotes/etc" "$CONFIG/remotes.yaml"
  fi
}

# configure_logs: the Ruby and Node daemons log only to fixed files under /var/log/one (OneGate, OneFlow, OneHEM,
# OneForm, OneKS: Logger on /var/log/one/<name>.log; FireEdge: winston on fireedge.log; none has a stderr option,
# OpenNebula/one@release-7.4.0:src/onegate/onegate-server.rb:37, src/flow/oneflow-server.rb:36,
# src/fireedge/src/server/utils/logger.js:65-80). Each file is a link to /dev/stdout, which resolves in the
# process that opens it: every daemon writes to its own container's output.
configure_logs() {
  for f in onegate.log oneflow.log onehem.log oneform.log oneks.log fireedge.log fireedge.error \
           sunstone.log sunstone.error novnc.log; do
    ln -sfn /dev/stdout "$LOGS/$f"
  done
}

# configure_sshd: the SSH server of oneadmin. Transfer drivers address images as `<oned.hostname>:<path>`, and
# the front-end (ssh/clone, local/clone for raw images) and the hypervisors (local/clone for qcow2 images) copy
# them over SSH from that name (OpenNebula/one@release-7.4.0:src/tm/TransferManager.cc:181,
# src/tm_mad/local/clone:152-214, src/tm_mad/ssh/clone:122). Keys only; the host key is the same on every member.
configure_sshd() {
  mkdir -p "$ETC/sshd"
  chmod 0700 "$ETC/sshd"
  umask 077
  if [ ! -s "$SSH_KEYS/ssh_host_ecdsa_key" ]; then
    log "the SSH Secret has no ssh_host_ecdsa_key: with ssh.existingSecret, add the sshd host key to it (README.md, Credentials)"
    exit 1
  fi
  cat "$SSH_KEYS/ssh_host_ecdsa_key" > "$ETC/sshd/ssh_host_ecdsa_key"
  cat "$CONFIG/sshd_config" > "$ETC/sshd/sshd_config"
  {
    cat "$DATA/.ssh/id_rsa.pub"
    if [ -s "$CONFIG/authorized_keys" ]; then cat "$CONFIG/authorized_keys"; fi
  } > "$ETC/sshd/authorized_keys"
  # The front-end copies from itself through `oned.hostname`: it knows its own host key, even with
  # strictHostKeyChecking yes.
  if [ -n "${ONE_HOSTNAME:-}" ]; then
    entry="$ONE_HOSTNAME $(ssh-keygen -y -f "$ETC/sshd/ssh_host_ecdsa_key" | awk '{ print $1 " " $2 }')"
    grep -qxF "$entry" "$DATA/.ssh/known_hosts" 2>/dev/null || echo "$entry" >> "$DATA/.ssh/known_hosts"
  fi
  umask 022
}

seed_data() {
  # Everything the packages put in /var/lib/one that the volume does not have yet (first start).
  for entry in "$IMAGE_DATA"/* "$IMAGE_DATA"/.[!.]*; do
    [ -e "$entry" ] || continue
    name=${entry##*/}
    [ -e "$DATA/$name" ] || cp -a "$entry" "$DATA/$name"
  done
  # Driver scripts must match the running OpenNebula version: refresh them on every start.
  if [ -d "$IMAGE_DATA/remotes" ]; then
    mkdir -p "$DATA/remotes"
    cp -a "$IMAGE_DATA/remotes/." "$DATA/remotes/"
  fi
  mkdir -p "$DATA/.one" "$DATA/.ssh" "$DATA/backups" "$DATA/datastores"
  chmod 0700 "$DATA/.one" "$DATA/.ssh"
}

install_identity() {
  umask 077
  # oneadmin's password: the Secret's on the first start; afterwards one_auth holds the password OpenNebula has,
  # and files/sync-admin-users.sh moves both to the Secret's when it changes.
  if [ ! -s "$DATA/.one/one_auth" ]; then
    printf 'oneadmin:%s\n' "$(cat "$AUTH/oneadmin-password")" > "$DATA/.one/one_auth"
  fi
  cat "$AUTH/one-key" > "$DATA/.one/one_key"
  cat "$AUTH/fireedge-key" > "$DATA/.one/fireedge_key"
  # The key pair lives only in its Secret (made once by the chart's secrets hook job, or ssh.existingSecret):
  # a member never makes a key of its own, which the hypervisors would not trust.
  if [ ! -s "$SSH_KEYS/id_rsa" ]; then
    log "the SSH Secret has no id_rsa: with ssh.existingSecret, add oneadmin's key pair to it (README.md, Credentials)"
    exit 1
  fi
  cat "$SSH_KEYS/id_rsa" > "$DATA/.ssh/id_rsa"
  if [ -s "$SSH_KEYS/id_rsa.pub" ]; then
    cat "$SSH_KEYS/id_rsa.pub" > "$DATA/.ssh/id_rsa.pub"
  else
    ssh-keygen -y -f "$DATA/.ssh/id_rsa" > "$DATA/.ssh/id_rsa.pub"
  fi
  # Front-ends reach each other (and themselves) with the same key.
  touch "$DATA/.ssh/authorized_keys" "$DATA/.ssh/known_hosts"
  grep -qxF "$(cat "$DATA/.ssh/id_rsa.pub")" "$DATA/.ssh/authorized_keys" \
    || cat "$DATA/.ssh/id_rsa.pub" >> "$DATA/.ssh/authorized_keys"
  cat "$CONFIG/ssh_config" > "$DATA/.ssh/config"
  chmod 0600 "$DATA/.ssh/id_rsa" "$DATA/.ssh/config" "$DATA/.ssh/authorized_keys"
  chmod 0644 "$DATA/.ssh/id_rsa.pub" "$DATA/.ssh/known_hosts"
}

# Host keys of the declared hypervisors (hosts[].sshHostKey, the ConfigMap's known_hosts): the values are the
# truth for those names, so a changed key replaces the old entry; entries learnt for other hosts stay.
seed_known_hosts() {
  [ -s "$CONFIG/known_hosts" ] || return 0
  touch "$DATA/.ssh/known_hosts"
  awk 'NR == FNR { declared[$1] = 1; next } !($1 in declared)' "$CONFIG/known_hosts" "$DATA/.ssh/known_hosts" \
    > "$DATA/.ssh/known_hosts.onechart"
  cat "$CONFIG/known_hosts" >> "$DATA/.ssh/known_hosts.onechart"
  mv "$DATA/.ssh/known_hosts.onechart" "$DATA/.ssh/known_hosts"
  chmod 0644 "$DATA/.ssh/known_hosts"
  log "known_hosts: $(awk 'END { print NR }' "$CONFIG/known_hosts") declared host key(s)"
}

# copy_image_etc: the image's /etc/one into the writable volume, entry by entry: the volume's root belongs to root
# (the kubelet makes emptyDirs as root, with the fsGroup), and `cp -a DIR/. VOLUME/` fails when it sets the times
# of VOLUME itself as oneadmin (EPERM, exit 1; found by the real tier).
copy_image_etc() {
  for entry in "$IMAGE_ETC"/* "$IMAGE_ETC"/.[!.]*; do
    [ -e "$entry" ] || continue
    cp -a "$entry" "$ETC/"
  done
}

# addon CONF...: the config init container of an add-on's pod (FireEdge, OneGate, ...): the packaged /etc/one with
# onechart's settings, and the add-on's own service configuration merged in. No database, no credential.
addon() {
  log "copying $IMAGE_ETC to a writable volume (add-on: ${1:-})"
  copy_image_etc
  DB_BACKEND="" configure_oned
  configure_services "${1:-}"
  log "add-on configuration ready"
}

main() {
  if [ "${1:-}" = addon ]; then
    addon "${2:-}"
    return 0
  fi
  if [ "${DB_BACKEND:-}" = mysql ] && [ -z "${DB_PASSWORD:-}" ] && [ -n "${DB_PASSWORD_FILE:-}" ]; then DB_PASSWORD=$(cat "$DB_PASSWORD_FILE"); fi
  if [ "${DB_NAME_PER_MEMBER:-}" = true ]; then DB_NAME="${DB_NAME}_${POD_NAME##*-}"; fi
  : "${DB_BACKEND:?DB_BACKEND is not set}"
  if [ "$DB_BACKEND" = mysql ]; then
    : "${DB_HOST:?}" "${DB_PORT:?}" "${DB_USER:?}" "${DB_NAME:?}" "${DB_PASSWORD:?DB_PASSWORD is not set}"
  fi
  log "copying $IMAGE_ETC to a writable volume"
  copy_image_etc
  configure_oned
  configure_services
  configure_logs
  seed_data
  configure_remotes
  install_identity
  configure_sshd
  seed_known_hosts
  log "member ready: backend=$DB_BACKEND"
}

if [ "${ONECHART_SOURCE_ONLY:-}" != 1 ]; then
  main "$@"
fi
