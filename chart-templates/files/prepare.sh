#!/bin/sh
# onechart: prepares one front-end member before its daemons start (init container, runs as oneadmin).
#  - /etc/one: the image's packaged configuration, copied to a memory-backed volume and edited with onechart's
#    settings; the database password goes into oned.conf here, from the Secret, never from a ConfigMap.
#  - /var/lib/one: the member's volume, seeded from the image (remotes are refreshed on every start).
#  - identity: one_auth, one_key, fireedge_key and the SSH key pair from their Secrets, identical on every member.
set -eu

CONFIG=${ONECHART_CONFIG:-/run/onechart/config}     # ConfigMap: onechart's configuration fragments
AUTH=${ONECHART_AUTH:-/run/onechart/auth}           # Secret: oneadmin/serveradmin passwords, one_key, fireedge_key
SSH_KEYS=${ONECHART_SSH:-/run/onechart/ssh}         # Secret: oneadmin's SSH private key
SCRIPTS=${ONECHART_SCRIPTS:-/run/onechart/scripts}  # ConfigMap: these scripts
ETC=${ONECHART_ETC:-/run/onechart/etc}              # becomes /etc/one in the daemon containers
DATA=${ONECHART_DATA:-/run/onechart/data}           # becomes /var/lib/one in the daemon containers
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

configure_oned() {
  conf="$ETC/oned.conf"
  for attr in LOG DB HOSTNAME ONEGATE_ENDPOINT FEDERATION RAFT_LEADER_HOOK RAFT_FOLLOWER_HOOK; do
    remove_attribute "$conf" "$attr"
  done
  {
    echo
    echo "# ---- set by onechart ----"
    cat "$CONFIG/oned.conf"
    if [ "$DB_BACKEND" = mysql ]; then
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

  remove_attribute "$ETC/monitord.conf" NETWORK
  cat "$CONFIG/monitord.conf" >> "$ETC/monitord.conf"

  if [ -n "${EMULATOR:-}" ]; then
    for kvm in "$ETC"/vmm_exec/vmm_exec_kvm.conf "$ETC"/vmm_exec/*/vmm_exec_kvm.conf; do
      [ -f "$kvm" ] || continue
      remove_attribute "$kvm" EMULATOR
      echo "EMULATOR = $(quote "$EMULATOR")" >> "$kvm"
    done
  fi
}

configure_services() {
  for pair in fireedge-server.conf:fireedge-server.conf onegate-server.conf:onegate-server.conf \
              oneflow-server.conf:oneflow-server.conf sunstone-server.conf:sunstone-server.conf; do
    override="$CONFIG/${pair%%:*}"
    target="$ETC/${pair##*:}"
    if [ -f "$override" ] && [ -f "$target" ]; then
      ruby "$SCRIPTS/merge-yaml.rb" "$target" "$override"
    fi
  done
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
  printf 'oneadmin:%s' "$(cat "$AUTH/oneadmin-password")" > "$DATA/.one/one_auth"
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

main() {
  if [ "${DB_BACKEND:-}" = mysql ] && [ -z "${DB_PASSWORD:-}" ] && [ -n "${DB_PASSWORD_FILE:-}" ]; then DB_PASSWORD=$(cat "$DB_PASSWORD_FILE"); fi
  if [ "${DB_NAME_PER_MEMBER:-}" = true ]; then DB_NAME="${DB_NAME}_${POD_NAME##*-}"; fi
  : "${DB_BACKEND:?DB_BACKEND is not set}"
  if [ "$DB_BACKEND" = mysql ]; then
    : "${DB_HOST:?}" "${DB_PORT:?}" "${DB_USER:?}" "${DB_NAME:?}" "${DB_PASSWORD:?DB_PASSWORD is not set}"
  fi
  log "copying $IMAGE_ETC to a writable volume"
  cp -a "$IMAGE_ETC/." "$ETC/"
  configure_oned
  configure_services
  seed_data
  install_identity
  log "member ready: backend=$DB_BACKEND"
}

if [ "${ONECHART_SOURCE_ONLY:-}" != 1 ]; then
  main "$@"
fi
