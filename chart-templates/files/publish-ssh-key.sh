#!/bin/sh
# onechart: publishes oneadmin's SSH public key in the ConfigMap named by $CONFIGMAP (keys `id_rsa.pub` and
# `authorized_keys`), for node provisioning to add to every hypervisor. The private key is read from the
# mounted Secret and never leaves the pod. Helm post-install and post-upgrade hook.
set -eu
key=${SSH_KEY_FILE:-/run/onechart/ssh/id_rsa}
pub=${SSH_PUB_FILE:-/run/onechart/ssh/id_rsa.pub}
if [ -s "$pub" ]; then
  public=$(cat "$pub")
else
  public=$(ssh-keygen -y -f "$key")
fi
# Type and key material only: the comment of the key file is not part of the identity.
public=$(echo "$public" | awk '{ print $1 " " $2 }')
case $public in
  ssh-*|ecdsa-*) ;;
  *) echo "onechart: no valid public key could be derived from $key" >&2; exit 1 ;;
esac
exec ruby "${ONECHART_SCRIPTS:-/run/onechart/scripts}/apply-configmap.rb" "$CONFIGMAP" \
  "id_rsa.pub=$public" "authorized_keys=$public oneadmin@opennebula"
