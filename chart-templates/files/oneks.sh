#!/bin/sh
# onechart: starts OneKS (7.4) once what it checks at start holds, instead of letting it exit and crash-loop.
# `oneks-server.rb` exits 1 when a family's dependencies fail (OpenNebula/one@release-7.4.0:
# src/oneks/oneks-server.rb:33-41, src/oneks/app/models/k8s_group.rb:575-589,775-825):
#  - cluster_router: `:tproxy:` of remotes/etc/vnm/OpenNebulaNetwork.conf serves the ports 5030 and 2633
#    (src/oneks/app/models/dependencies/cluster_router.rb:125-156). The chart writes it from `oneks.tproxy`; a
#    file without it is a chart or values error: this script says so and stops.
#  - seed_vm: the family's appliance (controlplane.conf `appliance_id`, the marketplace app's IMPORT_ID) is an
#    image of datastore 1, or a marketplace lists it and OneKS imports it (seed_vm.rb:202-245,
#    src/ods/lib/helpers/one/marketplace.rb:27-59,112-127). A fresh cloud lists marketplace apps only once oned
#    has monitored the marketplace: this script waits, and says what it waits for, until one lists it.
# Usage: oneks.sh COMMAND...   (ONE_AUTH: oneadmin's credentials, for `onemarketapp list`)
set -eu
var=${ONE_VAR:-/var/lib/one}
network_conf=${ONEKS_NETWORK_CONF:-$var/remotes/etc/vnm/OpenNebulaNetwork.conf}
specs=${ONEKS_SPEC_DIR:-$var/oneks}
poll=${ONEKS_POLL:-30}

log() { echo "onechart-oneks: $*"; }

# The tproxy service ports the file declares, one per line.
tproxy_ports() {
  ruby -ryaml -e '
    data = YAML.safe_load(File.read(ARGV[0]), permitted_classes: [Symbol]) || {}
    Array(data[:tproxy] || data["tproxy"]).each { |e| p = e[:service_port] || e["service_port"]; puts p.to_i if p }
  ' "$1"
}

# The appliance IDs the control plane and node group families need (their seed_vm dependencies).
appliances() {
  ruby -ryaml -e '
    ARGV.each do |f|
      (YAML.safe_load(File.read(f)) || {}).fetch("dependencies", []).each do |d|
        id = (d["options"] || {})["appliance_id"]
        puts id if d["object"] == "seed_vm" && id
      end
    end
  ' "$specs"/controlplanes/*/controlplane.conf "$specs"/nodegroups/*/nodegroup.conf 2>/dev/null | sort -u
}

ports=$(tproxy_ports "$network_conf" 2>/dev/null) || {
  log "cannot read $network_conf: OneKS needs its :tproxy: section"
  exit 1
}
for need in 5030 2633; do
  if ! printf '%s\n' "$ports" | grep -qx "$need"; then
    log "$network_conf has no :tproxy: entry for port $need: set oneks.tproxy.onegate and oneks.tproxy.oned"
    exit 1
  fi
done

ids=$(appliances)
waited=0
for id in $ids; do
  until onemarketapp list -x 2>/dev/null | grep -q "<IMPORT_ID><!\[CDATA\[$id\]\]></IMPORT_ID>"; do
    if [ $((waited % 300)) -eq 0 ]; then
      log "waiting for a marketplace to list the OneKS appliance $id (the OpenNebula Public marketplace must be"
      log "enabled and reachable over HTTPS from the front-end; oned lists its apps once it has monitored it)"
    fi
    sleep "$poll"
    waited=$((waited + poll))
  done
  log "a marketplace lists the OneKS appliance $id"
done
exec "$@"
